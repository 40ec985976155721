/**
 * The Anthropic mock (test/mocks/anthropic.ts) served over real HTTP on loopback and read back
 * through the adapter: what end-to-end tests will see must be what the adapter understands.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicAdapter } from "../../../../src/providers/anthropic";
import type { Target } from "../../../../src/providers/types";
import { assembleToolCalls, readChunks } from "../../../conformance/adapter-suite";
import { anthropicMock } from "../../../mocks/anthropic";
import { request, target } from "./helpers";

let server: Server;
let baseUrl = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    let bodyText = "";
    req.setEncoding("utf8");
    req.on("data", (part: string) => {
      bodyText += part;
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://mock");
      void anthropicMock(
        {
          method: req.method ?? "GET",
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          bodyText,
        },
        res,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function mockTarget(model: string): Target {
  const t = target({ providerModelId: model });
  t.provider.baseUrl = baseUrl;
  return t;
}

const weather = { type: "function", function: { name: "get_weather", parameters: { type: "object" } } };

async function call(model: string, fields: Record<string, unknown>, stream: boolean) {
  const req = request(fields);
  const t = mockTarget(model);
  const up = await anthropicAdapter.toProviderRequest(req, t, { stream });
  const res = await fetch(up.url, { method: "POST", headers: up.headers, body: up.body });
  return { req, t, res };
}

async function streamed(model: string, fields: Record<string, unknown> = {}) {
  const { req, t, res } = await call(model, fields, true);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const { chunks, error } = await readChunks(res.body ?? new ReadableStream(), anthropicAdapter, {
    request: req,
    target: t,
  });
  const choices = chunks.flatMap((c) => c.choices);
  return {
    chunks,
    error,
    text: choices.map((c) => c.delta.content ?? "").join(""),
    finish: choices.find((c) => c.finish_reason !== null)?.finish_reason,
    usages: chunks.filter((c) => c.usage !== undefined),
    toolCalls: assembleToolCalls(choices),
  };
}

describe("anthropic mock through the adapter", () => {
  it("streams text with one finish and one usage", async () => {
    const out = await streamed("claude-mock", {
      messages: [{ role: "user", content: "What is the capital of France?" }],
    });
    expect(out.error).toBeUndefined();
    expect(out.text).toBe("Hello from the anthropic mock. [What is the capital of France?]");
    expect(out.finish).toBe("stop");
    expect(out.usages).toHaveLength(1);
  });

  it("streams one tool call with JSON arguments", async () => {
    const out = await streamed("claude-mock", { tools: [weather] });
    expect(out.finish).toBe("tool_calls");
    expect(out.toolCalls).toEqual([
      { id: expect.stringMatching(/^toolu_/), name: "get_weather", arguments: '{"location": "Paris"}' },
    ]);
  });

  it("answers text when tool_choice is none", async () => {
    const out = await streamed("claude-mock", { tools: [weather], tool_choice: "none" });
    expect(out.toolCalls).toEqual([]);
    expect(out.text).toMatch(/^Hello from the anthropic mock\./);
  });

  it("answers non-streaming text and tool calls", async () => {
    for (const [fields, check] of [
      [{}, (c: ReturnType<typeof anthropicAdapter.fromProviderResponse>) => c.choices[0]?.message.content],
      [
        { tools: [weather] },
        (c: ReturnType<typeof anthropicAdapter.fromProviderResponse>) => c.choices[0]?.finish_reason,
      ],
    ] as const) {
      const { req, t, res } = await call("claude-mock", fields, false);
      expect(res.status).toBe(200);
      const completion = anthropicAdapter.fromProviderResponse(await res.json(), { request: req, target: t });
      expect(completion.usage?.total_tokens).toBeGreaterThan(0);
      expect(check(completion)).toMatch(/^(Hello from the anthropic mock\. \[Hello\]|tool_calls)$/);
    }
  });

  it("ends a cut stream in an error after some content", async () => {
    const out = await streamed("claude-cut");
    expect(out.text.length).toBeGreaterThan(0);
    expect(out.finish).toBeUndefined();
    expect(out.error).toBeDefined();
  });

  it.each([
    ["claude-fail-500", 500, "server", true],
    ["claude-fail-429", 429, "rate_limit_exceeded", true],
    ["claude-fail-400", 400, "invalid_request", false],
    ["claude-ctx-limit", 400, "context_length_exceeded", false],
  ] as const)("maps %s to %i %s", async (model, status, type, retryable) => {
    const { t, res } = await call(model, {}, false);
    expect(res.status).toBe(status);
    const err = anthropicAdapter.toGatewayError(res.status, await res.text(), res.headers, t);
    expect(err).toMatchObject({ status, type, retryable });
    if (status === 429) expect(err.meta.retryAfter).toBe(0);
  });

  it("refuses a request without x-api-key as Anthropic does", async () => {
    const t = mockTarget("claude-mock");
    const up = await anthropicAdapter.toProviderRequest(
      request(),
      { ...t, apiKey: undefined },
      { stream: false },
    );
    const res = await fetch(up.url, { method: "POST", headers: up.headers, body: up.body });
    expect(res.status).toBe(401);
    // The gateway's credentials, not the client's key: a retryable 502 (src/providers/http-errors.ts).
    expect(anthropicAdapter.toGatewayError(401, await res.text(), res.headers, t)).toMatchObject({
      status: 502,
      retryable: true,
      meta: { providerCode: "authentication_error" },
    });
  });
});
