/**
 * The Gemini mock (test/mocks/google.ts) through the real adapter over real HTTP: what the
 * end-to-end tests will see must be something the adapter reads like a Gemini answer.
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { googleAdapter } from "../../../../src/providers/google";
import type { ProviderChunk, Target } from "../../../../src/providers/types";
import type { ChatRequest } from "../../../../src/schema/chat-request";
import { assembleToolCalls, readChunks } from "../../../conformance/adapter-suite";
import { googleMock } from "../../../mocks/google";
import { aiStudioTarget, chatRequest } from "./target";

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://mock");
      void googleMock(
        {
          method: req.method ?? "GET",
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          bodyText: Buffer.concat(chunks).toString("utf8"),
        },
        res,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1beta`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const target = (model: string): Target => aiStudioTarget({ baseUrl }, model);

async function call(model: string, req: ChatRequest, stream: boolean) {
  const t = target(model);
  const up = await googleAdapter.toProviderRequest(req, t, { stream });
  const res = await fetch(up.url, { method: "POST", headers: up.headers, body: up.body });
  return { res, t };
}

async function streamed(
  model: string,
  req: ChatRequest,
): Promise<{ chunks: ProviderChunk[]; error: unknown }> {
  const { res, t } = await call(model, req, true);
  expect(res.status).toBe(200);
  expect(res.body).not.toBeNull();
  if (!res.body) throw new Error("no body");
  return readChunks(res.body, googleAdapter, { request: req, target: t });
}

const hello = chatRequest({ messages: [{ role: "user", content: "What is the capital of France?" }] });
const withTool = chatRequest({
  messages: [{ role: "user", content: "Weather?" }],
  tools: [
    {
      type: "function",
      function: {
        name: "weather",
        parameters: { type: "object", properties: { location: { type: "string" } } },
      },
    },
  ],
});

describe("google mock through the adapter", () => {
  it("answers a non-streaming text request", async () => {
    const { res } = await call("gemini-mock", hello, false);
    const out = googleAdapter.fromProviderResponse(await res.json(), {
      request: hello,
      target: target("gemini-mock"),
    });
    expect(out.choices[0]).toMatchObject({
      message: { content: "Hello from the google mock. [What is the capital of France?]" },
      finish_reason: "stop",
    });
    expect(out.usage?.total_tokens).toBe(
      (out.usage?.prompt_tokens ?? 0) + (out.usage?.completion_tokens ?? 0),
    );
  });

  it("streams text with CRLF framing, one finish and usage once", async () => {
    const { chunks, error } = await streamed("gemini-mock", hello);
    expect(error).toBeUndefined();
    const choices = chunks.flatMap((c) => c.choices);
    expect(choices.map((c) => c.delta.content ?? "").join("")).toBe(
      "Hello from the google mock. [What is the capital of France?]",
    );
    expect(choices.filter((c) => c.finish_reason !== null).map((c) => c.finish_reason)).toEqual(["stop"]);
    expect(chunks.filter((c) => c.usage !== undefined).length).toBe(1);
  });

  it("streams a tool call", async () => {
    const { chunks, error } = await streamed("gemini-mock", withTool);
    expect(error).toBeUndefined();
    const choices = chunks.flatMap((c) => c.choices);
    expect(assembleToolCalls(choices)).toMatchObject([
      { name: "weather", arguments: '{"location":"Paris"}' },
    ]);
    expect(choices.at(-1)?.finish_reason).toBe("tool_calls");
  });

  it("answers no tool call when tool_choice is none", async () => {
    const req = chatRequest({ ...withTool, tool_choice: "none" });
    const { res } = await call("gemini-mock", req, false);
    const out = googleAdapter.fromProviderResponse(await res.json(), {
      request: req,
      target: target("gemini-mock"),
    });
    expect(out.choices[0]?.message.tool_calls).toBeUndefined();
    expect(out.choices[0]?.finish_reason).toBe("stop");
  });

  it("cuts a stream after some content, before any finish", async () => {
    const { chunks, error } = await streamed("gemini-cut", hello);
    // The dropped socket surfaces as the body's network error; routing wraps those, not the adapter.
    expect(error).toBeDefined();
    const choices = chunks.flatMap((c) => c.choices);
    expect(choices.length).toBeGreaterThan(0);
    expect(choices.every((c) => c.finish_reason === null)).toBe(true);
  });

  it.each([
    ["gemini-fail-429", 429, "rate_limit_exceeded", true],
    ["gemini-fail-500", 500, "server", true],
    ["gemini-fail-400", 400, "invalid_request", false],
    ["gemini-ctx-limit", 400, "context_length_exceeded", false],
  ] as const)("maps %s to a %i %s error", async (model, status, type, retryable) => {
    const { res, t } = await call(model, hello, false);
    expect(res.status).toBe(status);
    const err = googleAdapter.toGatewayError(res.status, await res.text(), res.headers, t);
    expect(err).toMatchObject({ status, type, retryable });
    if (status === 429) expect(err.meta.retryAfter).toBe(0);
  });
});
