/**
 * The shared adapter contract over every Anthropic recording in ../shared/fixtures/anthropic
 * (fixtures-used.test.ts checks that none is left out).
 */

import { anthropicAdapter } from "../../../../src/providers/anthropic";
import { runAdapterSuite } from "../../../conformance/adapter-suite";
import {
  fixtureBytes,
  fixtureHttp,
  fixtureJson,
  fixtureText,
  sseFromJsonl,
} from "../../../conformance/fixtures";
import { DIR, errorEventFrame, request, target } from "./helpers";

const jsonl = (name: string) => sseFromJsonl(DIR + name, { eventNames: true });
const sse = (name: string) => fixtureBytes(DIR + name);
const headersOnly = fixtureHttp(`${DIR}error-429.headers.json`);

/** stream-text.chunks.jsonl up to its first text delta, then the recorded error event. */
function textCutByError(): Uint8Array {
  const head = fixtureText(`${DIR}stream-text.chunks.jsonl`)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .slice(0, 4)
    .map((line) => `event: ${(JSON.parse(line) as { type: string }).type}\ndata: ${line}\n\n`)
    .join("");
  const error = errorEventFrame(`${DIR}stream-error-event-with-request-id.json`);
  return new Uint8Array([...new TextEncoder().encode(head), ...error]);
}

runAdapterSuite(anthropicAdapter, {
  target: target(),
  request: request(),
  streams: [
    { name: "stream-text.sse", body: sse("stream-text.sse"), expect: { finishReason: "stop", text: true } },
    {
      name: "stream-text.chunks.jsonl",
      body: jsonl("stream-text.chunks.jsonl"),
      expect: { finishReason: "stop", text: true },
    },
    {
      name: "stream-tool-use.sse",
      body: sse("stream-tool-use.sse"),
      expect: { finishReason: "tool_calls", toolCalls: 1, text: true },
    },
    {
      name: "stream-tool-use-no-args.chunks.jsonl",
      body: jsonl("stream-tool-use-no-args.chunks.jsonl"),
      expect: { finishReason: "tool_calls", toolCalls: 1, text: true },
    },
    {
      name: "stream-tool-use-truncated-max-tokens.sse",
      body: sse("stream-tool-use-truncated-max-tokens.sse"),
      expect: { finishReason: "length", toolCalls: 1, text: true },
    },
    {
      name: "stream-thinking.sse",
      body: sse("stream-thinking.sse"),
      expect: { finishReason: "stop", text: true, reasoning: true },
    },
    {
      name: "stream-redacted-thinking.sse",
      body: sse("stream-redacted-thinking.sse"),
      expect: { finishReason: "stop", text: true, reasoning: true },
    },
    {
      name: "stream-cache-read-compaction.sse",
      body: sse("stream-cache-read-compaction.sse"),
      expect: { finishReason: "stop", text: true },
    },
    {
      name: "stream-refusal.chunks.jsonl",
      body: jsonl("stream-refusal.chunks.jsonl"),
      expect: { finishReason: "content_filter" },
    },
    {
      name: "stream-error-overloaded.sse",
      body: sse("stream-error-overloaded.sse"),
      expect: { error: { retryable: true, type: "provider_overloaded" } },
    },
    {
      name: "stream-error-event-with-request-id.json (as an event: error frame)",
      body: errorEventFrame(`${DIR}stream-error-event-with-request-id.json`),
      expect: { error: { retryable: true, type: "provider_overloaded" } },
    },
    {
      name: "stream-text.chunks.jsonl cut after its first text by stream-error-event-with-request-id.json",
      body: textCutByError(),
      expect: { error: { retryable: true, type: "provider_overloaded", usage: true } },
    },
  ],
  completions: [
    {
      name: "messages-text.json",
      body: fixtureJson(`${DIR}messages-text.json`),
      expect: { finishReason: "stop", text: true },
    },
    {
      name: "messages-thinking.json",
      body: fixtureJson(`${DIR}messages-thinking.json`),
      expect: { finishReason: "stop", text: true, reasoning: true },
    },
    {
      name: "messages-tool-use-parallel.json",
      body: fixtureJson(`${DIR}messages-tool-use-parallel.json`),
      expect: { finishReason: "tool_calls", toolCalls: 4, text: true },
    },
    {
      name: "messages-cache-read-and-creation.json",
      body: fixtureJson(`${DIR}messages-cache-read-and-creation.json`),
      expect: { finishReason: "stop", text: true },
    },
  ],
  errors: [
    {
      name: "error-400-invalid-request.http.json",
      ...fixtureHttp(`${DIR}error-400-invalid-request.http.json`),
      retryable: false,
      type: "invalid_request",
    },
    {
      name: "error-404-not-found.http.json",
      ...fixtureHttp(`${DIR}error-404-not-found.http.json`),
      retryable: false,
      type: "not_found",
    },
    {
      name: "error-429-rate-limit.json",
      status: 429,
      bodyText: fixtureText(`${DIR}error-429-rate-limit.json`),
      retryable: true,
      type: "rate_limit_exceeded",
    },
    {
      name: "error-429-rate-limited-short.json",
      status: 429,
      bodyText: fixtureText(`${DIR}error-429-rate-limited-short.json`),
      retryable: true,
      type: "rate_limit_exceeded",
    },
    {
      name: "error-429.headers.json (headers only)",
      status: 429,
      bodyText: "",
      headers: headersOnly.headers,
      retryable: true,
      type: "rate_limit_exceeded",
      retryAfter: 16,
    },
    {
      name: "error-529-overloaded.http.json",
      ...fixtureHttp(`${DIR}error-529-overloaded.http.json`),
      retryable: true,
      type: "provider_overloaded",
    },
  ],
});
