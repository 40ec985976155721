/** The Azure mock (test/mocks/azure.ts) over real HTTP, read back through the Azure adapter. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { azureAdapter } from "../../../../src/providers/azure";
import { assembleToolCalls } from "../../../conformance/adapter-suite";
import { azureMock } from "../../../mocks/azure";
import { callThrough, serve } from "../openai/serve";
import { vendorTarget } from "../openai/targets";

let mock: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  mock = await serve(azureMock);
});
afterAll(() => mock.close());

const target = (deployment: string) => {
  const t = vendorTarget("azure", { providerModelId: deployment });
  t.provider.baseUrl = mock.baseUrl;
  return t;
};
const weather = { type: "function", function: { name: "get_weather", parameters: { type: "object" } } };

describe("azure mock through the azure adapter", () => {
  it("streams text after Azure's prompt-filter chunk, usage once", async () => {
    const { chunks, error } = await callThrough(azureAdapter, target("gpt-4o"), {}, true);
    expect(error).toBeUndefined();
    const choices = chunks.flatMap((c) => c.choices);
    expect(choices.map((c) => c.delta.content ?? "").join("")).toBe("Hello from the azure mock. [Hi there]");
    expect(choices.filter((c) => c.finish_reason).map((c) => c.finish_reason)).toEqual(["stop"]);
    expect(chunks.filter((c) => c.usage)).toHaveLength(1);
  });

  it("streams and answers tool calls", async () => {
    const streamed = await callThrough(azureAdapter, target("gpt-4o"), { tools: [weather] }, true);
    expect(assembleToolCalls(streamed.chunks.flatMap((c) => c.choices))[0]).toMatchObject({
      name: "get_weather",
    });
    const whole = await callThrough(azureAdapter, target("gpt-4o"), { tools: [weather] }, false);
    const out = azureAdapter.fromProviderResponse(await whole.res.json(), {
      request: whole.req,
      target: target("gpt-4o"),
    });
    expect(out.choices[0]).toMatchObject({ finish_reason: "tool_calls" });
  });

  it("refuses a request without api-key as Azure does", async () => {
    const t = { ...target("gpt-4o"), apiKey: undefined };
    const { res } = await callThrough(azureAdapter, t, {}, false);
    expect(res.status).toBe(401);
    expect(azureAdapter.toGatewayError(401, await res.text(), res.headers, t)).toMatchObject({
      status: 502,
      type: "provider_unavailable",
      retryable: true,
    });
  });

  it.each([
    ["dep-fail-429", 429, true, "rate_limit_exceeded"],
    ["dep-ctx-limit", 400, false, "context_length_exceeded"],
    ["dep-fail-500", 500, true, "provider_unavailable"],
  ] as const)("%s → %i", async (deployment, status, retryable, type) => {
    const t = target(deployment);
    const { res } = await callThrough(azureAdapter, t, {}, false);
    expect(res.status).toBe(status);
    expect(azureAdapter.toGatewayError(res.status, await res.text(), res.headers, t)).toMatchObject({
      status,
      retryable,
      type,
    });
  });

  it("cut: an error, never a clean end", async () => {
    const { error, chunks } = await callThrough(azureAdapter, target("dep-cut"), {}, true);
    expect(error).toBeDefined();
    expect(chunks.some((c) => c.choices.some((ch) => ch.finish_reason))).toBe(false);
  });
});
