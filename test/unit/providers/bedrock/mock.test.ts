/**
 * The Bedrock mock served over real HTTP (node:http, port 0) and read back through the adapter:
 * proves the mock speaks what the adapter expects, frames and CRCs included.
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { bedrockAdapter } from "../../../../src/providers/bedrock";
import type { Target } from "../../../../src/providers/types";
import { type ChatRequest, chatRequestSchema, type Tool } from "../../../../src/schema/chat-request";
import { assembleToolCalls, readChunks } from "../../../conformance/adapter-suite";
import { bedrockMock } from "../../../mocks/bedrock";
import { bedrockTarget } from "./target";

let server: Server;
let baseUrl = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://mock");
      void bedrockMock(
        {
          method: req.method ?? "GET",
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          bodyText: Buffer.concat(parts).toString("utf8"),
        },
        res,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const target = (modelId: string): Target =>
  bedrockTarget(
    {
      apiKey: "AKIDEXAMPLE",
      provider: { ...bedrockTarget().provider, baseUrl, config: { region: "us-east-1" } },
    },
    modelId,
  );

const chat = (extra: Partial<ChatRequest> = {}): ChatRequest =>
  chatRequestSchema.parse({
    model: "m",
    messages: [{ role: "user", content: "What is the capital of France?" }],
    ...extra,
  });

const tools: Tool[] = [
  { type: "function", function: { name: "get_weather", parameters: { type: "object" } } },
];

async function call(modelId: string, req: ChatRequest, stream: boolean) {
  const t = target(modelId);
  const upstream = await bedrockAdapter.toProviderRequest(req, t, { stream });
  const res = await fetch(upstream.url, { method: "POST", headers: upstream.headers, body: upstream.body });
  return { res, t };
}

async function streamChunks(modelId: string, req: ChatRequest) {
  const { res, t } = await call(modelId, req, true);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
  if (!res.body) throw new Error("no stream");
  return readChunks(res.body, bedrockAdapter, { request: req, target: t });
}

describe("bedrock mock through the adapter", () => {
  it("streams text as real event-stream frames, with finish and usage", async () => {
    const { chunks, error } = await streamChunks("us.amazon.nova-micro-v1:0", chat());
    expect(error).toBeUndefined();
    const choices = chunks.flatMap((c) => c.choices);
    expect(choices.map((c) => c.delta.content ?? "").join("")).toBe(
      "Hello from the bedrock mock. [What is the capital of France?]",
    );
    expect(choices.at(-1)?.finish_reason).toBe("stop");
    expect(chunks.filter((c) => c.usage)).toHaveLength(1);
  });

  it("streams one call of the first tool", async () => {
    const { chunks } = await streamChunks("us.amazon.nova-micro-v1:0", chat({ tools, tool_choice: "auto" }));
    const choices = chunks.flatMap((c) => c.choices);
    expect(assembleToolCalls(choices)).toEqual([
      { id: "tooluse_mock0123456789", name: "get_weather", arguments: '{"location":"Paris"}' },
    ]);
    expect(choices.at(-1)?.finish_reason).toBe("tool_calls");
  });

  it("answers text without tools when tool_choice is none", async () => {
    const { chunks } = await streamChunks("m", chat({ tools, tool_choice: "none" }));
    expect(assembleToolCalls(chunks.flatMap((c) => c.choices))).toEqual([]);
  });

  it("answers Converse JSON", async () => {
    const req = chat();
    const { res, t } = await call("us.amazon.nova-micro-v1:0", req, false);
    expect(res.status).toBe(200);
    const out = bedrockAdapter.fromProviderResponse(await res.json(), { request: req, target: t });
    expect(out.choices[0]?.message.content).toMatch(/^Hello from the bedrock mock\./);
    expect(out.usage?.total_tokens).toBe(
      (out.usage?.prompt_tokens ?? 0) + (out.usage?.completion_tokens ?? 0),
    );
  });

  it("ends a cut stream in a retryable error", async () => {
    const { chunks, error } = await streamChunks("model-cut", chat());
    expect(chunks.length).toBeGreaterThan(0);
    expect(error).toBeDefined();
    // Node reports the destroyed socket as a fetch TypeError ("terminated"), which the router retries as a
    // network error; had the socket closed cleanly, the adapter itself would throw a retryable 502.
    if (error instanceof GatewayError) expect(error.retryable).toBe(true);
    else expect(String(error)).toMatch(/terminated|socket|closed/i);
  });

  it.each([
    ["model-fail-500", 500, true, "server"],
    ["model-fail-429", 429, true, "rate_limit_exceeded"],
    ["model-fail-400", 400, false, "invalid_request"],
    ["model-ctx-limit", 400, false, "context_length_exceeded"],
  ] as const)("%s answers %i in Bedrock's error shape", async (model, status, retryable, type) => {
    const { res, t } = await call(model, chat(), true);
    expect(res.status).toBe(status);
    const err = bedrockAdapter.toGatewayError(res.status, await res.text(), res.headers, t);
    expect({ retryable: err.retryable, type: err.type }).toEqual({ retryable, type });
  });

  it("rejects an unsigned request with 403 AccessDeniedException", async () => {
    const res = await fetch(`${baseUrl}/model/m/converse`, { method: "POST", body: "{}" });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-errortype")).toMatch(/^AccessDeniedException:/);
    expect(await res.json()).toEqual({ message: expect.any(String) });
  });
});
