/**
 * The OpenAI mock (test/mocks/openai.ts) served over real HTTP and read back through the adapter:
 * what end-to-end tests will see must be what the adapter understands.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { openaiAdapter } from "../../../../src/providers/openai";
import { assembleToolCalls } from "../../../conformance/adapter-suite";
import { openaiMock } from "../../../mocks/openai";
import { callThrough, serve } from "./serve";
import { vendorTarget } from "./targets";

let mock: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  mock = await serve(openaiMock);
});
afterAll(() => mock.close());

const target = (model: string) => {
  const t = vendorTarget("openai", { providerModelId: model });
  t.provider.baseUrl = `${mock.baseUrl}/v1`;
  return t;
};
const weather = { type: "function", function: { name: "get_weather", parameters: { type: "object" } } };

describe("openai mock through the openai adapter", () => {
  it("streams text framed like api.openai.com, usage once, then [DONE]", async () => {
    const { chunks, error, res } = await callThrough(openaiAdapter, target("gpt-4o-mini"), {}, true);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(error).toBeUndefined();
    const choices = chunks.flatMap((c) => c.choices);
    expect(choices[0]?.delta.role).toBe("assistant");
    expect(choices.map((c) => c.delta.content ?? "").join("")).toBe("Hello from the openai mock. [Hi there]");
    expect(choices.filter((c) => c.finish_reason)).toEqual([
      { index: 0, delta: {}, finish_reason: "stop", native_finish_reason: "stop" },
    ]);
    const usages = chunks.filter((c) => c.usage);
    expect(usages).toHaveLength(1);
    expect(usages[0]?.choices).toEqual([]);
  });

  it("streams a tool call: id and name first, then argument fragments", async () => {
    const { chunks } = await callThrough(openaiAdapter, target("gpt-4o-mini"), { tools: [weather] }, true);
    const choices = chunks.flatMap((c) => c.choices);
    expect(choices[0]?.delta.tool_calls?.[0]).toMatchObject({
      index: 0,
      type: "function",
      function: { name: "get_weather", arguments: "" },
    });
    const calls = assembleToolCalls(choices);
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]?.arguments ?? "")).toEqual({ location: "Paris" });
    expect(choices.at(-1)?.finish_reason).toBe("tool_calls");
  });

  it("answers tool_choice none with text", async () => {
    const { chunks } = await callThrough(
      openaiAdapter,
      target("m"),
      { tools: [weather], tool_choice: "none" },
      true,
    );
    expect(assembleToolCalls(chunks.flatMap((c) => c.choices))).toEqual([]);
  });

  it("answers non-streaming requests, text and tool calls", async () => {
    const text = await callThrough(openaiAdapter, target("m"), {}, false);
    const out = openaiAdapter.fromProviderResponse(await text.res.json(), {
      request: text.req,
      target: target("m"),
    });
    expect(out.choices[0]?.message.content).toBe("Hello from the openai mock. [Hi there]");
    expect(out.usage?.total_tokens).toBe(
      (out.usage?.prompt_tokens ?? 0) + (out.usage?.completion_tokens ?? 0),
    );

    const tool = await callThrough(openaiAdapter, target("m"), { tools: [weather] }, false);
    const call = openaiAdapter.fromProviderResponse(await tool.res.json(), {
      request: tool.req,
      target: target("m"),
    });
    expect(call.choices[0]).toMatchObject({ finish_reason: "tool_calls" });
    expect(call.choices[0]?.message.tool_calls?.[0]?.function).toEqual({
      name: "get_weather",
      arguments: '{"location":"Paris"}',
    });
  });

  it.each([
    ["mock-fail-500", 500, true, "provider_unavailable"],
    ["mock-fail-429", 429, true, "rate_limit_exceeded"],
    ["mock-fail-400", 400, false, "invalid_request"],
    ["mock-ctx-limit", 400, false, "context_length_exceeded"],
  ] as const)("%s → %i (retryable %s, %s)", async (model, status, retryable, type) => {
    const t = target(model);
    const { res } = await callThrough(openaiAdapter, t, {}, true);
    expect(res.status).toBe(status);
    const err = openaiAdapter.toGatewayError(res.status, await res.text(), res.headers, t);
    expect(err).toMatchObject({ status, retryable, type });
    if (status === 429) expect(err.meta.retryAfter).toBe(0);
  });

  it("cut: the stream dies after some content and the reader sees an error, not a clean end", async () => {
    const { chunks, error } = await callThrough(openaiAdapter, target("mock-cut"), {}, true);
    expect(chunks.flatMap((c) => c.choices).some((c) => c.delta.content)).toBe(true);
    expect(chunks.some((c) => c.choices.some((ch) => ch.finish_reason))).toBe(false);
    expect(error).toBeDefined();
    // Either the socket error surfaces, or the adapter's truncation error does.
    if (error instanceof GatewayError) expect(error.retryable).toBe(true);
  });
});
