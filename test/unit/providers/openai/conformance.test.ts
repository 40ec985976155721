/**
 * The OpenAI-dialect adapter against every real recording of the vendors it serves
 * (../shared/fixtures: openai, groq, deepseek, mistral, xai, ollama, openrouter).
 */
import { describe, vi } from "vitest";
import { openaiAdapter } from "../../../../src/providers/openai";
import {
  type CompletionFixture,
  type ErrorFixture,
  runAdapterSuite,
  type StreamFixture,
} from "../../../conformance/adapter-suite";
import { fixtureBytes, fixtureHttp, fixtureJson, sseFromJsonl } from "../../../conformance/fixtures";
import { baseRequest, vendorTarget } from "./targets";

// Cutting the 100 KB OpenAI text recording every byte costs the shared SSE decoder ~10–30 s on a
// loaded 2-core machine; the adapter's own share is negligible. The default 5 s is too tight.
vi.setConfig({ testTimeout: 120_000 });

const sse = (path: string) =>
  path.endsWith(".jsonl") ? sseFromJsonl(path, { done: true }) : fixtureBytes(path);

function stream(path: string, expect: StreamFixture["expect"]): StreamFixture {
  return { name: path, body: sse(path), expect };
}

function completion(path: string, expect: CompletionFixture["expect"]): CompletionFixture {
  return { name: path, body: fixtureJson(path), expect };
}

/** A bare error body (`.json`) or a recorded response (`.http.json`, `.headers.json`). */
function error(
  path: string,
  expect: Pick<ErrorFixture, "retryable" | "type" | "retryAfter"> & { status?: number },
): ErrorFixture {
  if (path.endsWith(".http.json") || path.endsWith(".headers.json")) {
    const rec = fixtureHttp(path);
    return { name: path, status: rec.status, bodyText: rec.bodyText, headers: rec.headers, ...expect };
  }
  return { name: path, status: expect.status ?? 400, bodyText: JSON.stringify(fixtureJson(path)), ...expect };
}

const empty = { streams: [], completions: [], errors: [] };

describe("openai", () => {
  runAdapterSuite(openaiAdapter, {
    target: vendorTarget("openai"),
    request: baseRequest,
    streams: [
      stream("openai/chat-stream-text-include-usage.chunks.jsonl", { finishReason: "stop", text: true }),
      stream("openai/chat-stream-tool-call-include-usage.sse", { finishReason: "tool_calls", toolCalls: 1 }),
      stream("openai/chat-stream-tool-calls-parallel.sse", { finishReason: "tool_calls", toolCalls: 2 }),
      stream("openai/chat-stream-refusal.sse", { finishReason: "stop" }),
      stream("openai/chat-stream-logprobs.sse", { finishReason: "stop", text: true }),
      stream("openai/chat-stream-n3-choices.sse", { finishReason: "stop", text: true }),
      stream("openai/chat-stream-finish-length.sse", { finishReason: "length", text: true }),
    ],
    completions: [
      completion("openai/chat-text.json", { finishReason: "stop", text: true }),
      completion("openai/chat-tool-calls-parallel.json", { finishReason: "tool_calls", toolCalls: 2 }),
      completion("openai/chat-refusal.json", { finishReason: "stop" }),
      completion("openai/chat-reasoning-usage-o3-mini.json", { finishReason: "stop", text: true }),
    ],
    errors: [
      error("openai/error-400-unsupported-parameter.json", { retryable: false, type: "invalid_request" }),
      error("openai/error-400-unsupported-value.http.json", { retryable: false, type: "invalid_request" }),
      error("openai/error-404-model-not-found.http.json", { retryable: false, type: "not_found" }),
      error("openai/error-429-rate-limit-tokens.json", {
        status: 429,
        retryable: true,
        type: "rate_limit_exceeded",
        retryAfter: 0.006,
      }),
      error("openai/error-429.headers.json", { retryable: true, type: "rate_limit_exceeded" }),
    ],
  });
});

describe("groq", () => {
  runAdapterSuite(openaiAdapter, {
    target: vendorTarget("groq"),
    request: baseRequest,
    streams: [
      stream("groq/stream-tool-call.chunks.jsonl", { finishReason: "tool_calls", toolCalls: 1 }),
      stream("groq/stream-error-tool-use-failed.sse", {
        error: { retryable: false, type: "invalid_request" },
      }),
    ],
    completions: [],
    errors: [
      error("groq/error-400-tool-use-failed.http.json", { retryable: false, type: "invalid_request" }),
    ],
  });
});

describe("deepseek", () => {
  runAdapterSuite(openaiAdapter, {
    target: vendorTarget("deepseek"),
    request: baseRequest,
    streams: [
      stream("deepseek/stream-reasoning.sse", { finishReason: "stop", text: true, reasoning: true }),
      stream("deepseek/stream-tool-call.chunks.jsonl", {
        finishReason: "tool_calls",
        toolCalls: 1,
        reasoning: true,
      }),
    ],
    completions: [
      completion("deepseek/chat-reasoning.json", { finishReason: "stop", text: true, reasoning: true }),
    ],
    errors: [],
  });
});

describe("mistral", () => {
  runAdapterSuite(openaiAdapter, {
    target: vendorTarget("mistral"),
    request: baseRequest,
    streams: [
      stream("mistral/stream-thinking.sse", { finishReason: "stop", text: true, reasoning: true }),
      stream("mistral/stream-tool-call.chunks.jsonl", { finishReason: "tool_calls", toolCalls: 1 }),
    ],
    completions: [completion("mistral/chat-text.json", { finishReason: "stop", text: true })],
    errors: [],
  });
});

describe("xai", () => {
  runAdapterSuite(openaiAdapter, {
    target: vendorTarget("xai"),
    request: baseRequest,
    streams: [
      stream("xai/stream-tool-call-reasoning.chunks.jsonl", {
        finishReason: "tool_calls",
        toolCalls: 1,
        reasoning: true,
      }),
    ],
    completions: [
      completion("xai/chat-reasoning.json", { finishReason: "stop", text: true, reasoning: true }),
    ],
    errors: [],
  });
});

describe("ollama", () => {
  runAdapterSuite(openaiAdapter, {
    ...empty,
    target: vendorTarget("ollama"),
    request: baseRequest,
    completions: [
      completion("ollama/chat-reasoning-gpt-oss.json", { finishReason: "stop", text: true, reasoning: true }),
      completion("ollama/chat-json-schema-local.json", { finishReason: "stop", text: true, reasoning: true }),
    ],
  });
});

describe("openrouter", () => {
  runAdapterSuite(openaiAdapter, {
    target: vendorTarget("openrouter"),
    request: baseRequest,
    streams: [
      stream("openrouter/stream-reasoning-usage-cost.sse", {
        finishReason: "stop",
        text: true,
        reasoning: true,
      }),
      stream("openrouter/stream-mid-stream-error.sse", { error: { retryable: false, usage: true } }),
    ],
    completions: [completion("openrouter/chat-tool-call.json", { finishReason: "tool_calls", toolCalls: 1 })],
    errors: [
      error("openrouter/error-429-upstream-rate-limited.http.json", {
        retryable: true,
        type: "rate_limit_exceeded",
      }),
    ],
  });
});
