/**
 * The Google adapter against every real recording in ../shared/fixtures/google/: the shared
 * contract first, then what each recording must translate to in particular.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { googleAdapter } from "../../../../src/providers/google";
import {
  assembleToolCalls,
  type CompletionFixture,
  type ErrorFixture,
  runAdapterSuite,
  runStream,
  type StreamFixture,
} from "../../../conformance/adapter-suite";
import {
  FIXTURES_DIR,
  fixtureBytes,
  fixtureHttp,
  fixtureJson,
  fixtureText,
  sseFromJsonl,
} from "../../../conformance/fixtures";
import { aiStudioTarget, chatRequest } from "./target";

const target = aiStudioTarget();
const request = chatRequest({ messages: [{ role: "user", content: "hi" }] });
const fx = { target, request };

const STREAMS: StreamFixture[] = [
  {
    name: "stream-text.sse",
    body: fixtureBytes("google/stream-text.sse"),
    expect: { finishReason: "stop", text: true },
  },
  {
    name: "stream-function-call-thought-signature.sse",
    body: fixtureBytes("google/stream-function-call-thought-signature.sse"),
    expect: { finishReason: "tool_calls", toolCalls: 1, reasoning: true },
  },
  {
    name: "stream-thinking-thought-summaries.sse",
    body: fixtureBytes("google/stream-thinking-thought-summaries.sse"),
    expect: { finishReason: "stop", text: true, reasoning: true },
  },
  {
    name: "stream-finish-recitation.sse",
    body: fixtureBytes("google/stream-finish-recitation.sse"),
    expect: { finishReason: "content_filter", text: true },
  },
  {
    // The prompt was blocked: no candidates and no usageMetadata at all.
    name: "stream-prompt-blocked-safety.sse",
    body: fixtureBytes("google/stream-prompt-blocked-safety.sse"),
    expect: { finishReason: "content_filter", usage: false },
  },
  {
    name: "vertex-stream-finish-safety.sse",
    body: fixtureBytes("google/vertex-stream-finish-safety.sse"),
    expect: { finishReason: "content_filter", text: true },
  },
  {
    name: "vertex-stream-function-call-partial-args.chunks.jsonl",
    body: sseFromJsonl("google/vertex-stream-function-call-partial-args.chunks.jsonl"),
    expect: { finishReason: "tool_calls", toolCalls: 2, reasoning: true },
  },
];

const COMPLETIONS: CompletionFixture[] = [
  {
    name: "generate-text.json",
    body: fixtureJson("google/generate-text.json"),
    expect: { finishReason: "stop", text: true, reasoning: true },
  },
  {
    name: "generate-function-call.json",
    body: fixtureJson("google/generate-function-call.json"),
    expect: { finishReason: "tool_calls", toolCalls: 1, reasoning: true },
  },
  {
    name: "generate-thinking-function-call-thought-summary.json",
    body: fixtureJson("google/generate-thinking-function-call-thought-summary.json"),
    expect: { finishReason: "tool_calls", toolCalls: 1, reasoning: true },
  },
  {
    name: "generate-finish-max-tokens.json",
    body: fixtureJson("google/generate-finish-max-tokens.json"),
    expect: { finishReason: "length", text: true },
  },
  {
    name: "generate-finish-max-tokens-no-parts.json",
    body: fixtureJson("google/generate-finish-max-tokens-no-parts.json"),
    expect: { finishReason: "length" },
  },
  {
    name: "generate-finish-safety.json",
    body: fixtureJson("google/generate-finish-safety.json"),
    expect: { finishReason: "content_filter" },
  },
  {
    name: "generate-cached-content-tokens.json",
    body: fixtureJson("google/generate-cached-content-tokens.json"),
    expect: { finishReason: "stop", text: true },
  },
];

function errorFixture(file: string): { status: number; bodyText: string } {
  const bodyText = fixtureText(`google/${file}`);
  return { status: (JSON.parse(bodyText) as { error: { code: number } }).error.code, bodyText };
}

const notFound = fixtureHttp("google/error-404-model-not-found.http.json");
const ERRORS: ErrorFixture[] = [
  {
    name: "error-400-invalid-argument-api-key.json",
    ...errorFixture("error-400-invalid-argument-api-key.json"),
    retryable: false,
    type: "authentication",
  },
  { name: "error-404-model-not-found.http.json", ...notFound, retryable: false, type: "not_found" },
  {
    name: "error-429-quota-exceeded-errorinfo.json",
    ...errorFixture("error-429-quota-exceeded-errorinfo.json"),
    retryable: true,
    type: "rate_limit_exceeded",
  },
  {
    name: "error-429-resource-exhausted.json",
    ...errorFixture("error-429-resource-exhausted.json"),
    retryable: true,
    type: "rate_limit_exceeded",
    retryAfter: 34.4,
  },
  // Hand-made, in Google's documented shape.
  {
    name: "context length (hand-made)",
    status: 400,
    bodyText: JSON.stringify({
      error: {
        code: 400,
        message: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
        status: "INVALID_ARGUMENT",
      },
    }),
    retryable: false,
    type: "context_length_exceeded",
  },
  {
    name: "unavailable (hand-made)",
    status: 503,
    bodyText: JSON.stringify({
      error: {
        code: 503,
        message: "The model is overloaded. Please try again later.",
        status: "UNAVAILABLE",
      },
    }),
    retryable: true,
    type: "provider_overloaded",
  },
  {
    name: "error array from a streaming endpoint (hand-made)",
    status: 429,
    bodyText: JSON.stringify([
      {
        error: {
          code: 429,
          message: "Resource has been exhausted (e.g. check quota).",
          status: "RESOURCE_EXHAUSTED",
        },
      },
    ]),
    retryable: true,
    type: "rate_limit_exceeded",
  },
  {
    name: "plain-text 500 (hand-made)",
    status: 500,
    bodyText: "<html>Internal Server Error</html>",
    retryable: true,
  },
];

runAdapterSuite(googleAdapter, {
  target,
  request,
  streams: STREAMS,
  completions: COMPLETIONS,
  errors: ERRORS,
});

describe("google fixtures", () => {
  it("are all referenced by these tests", () => {
    const used = new Set([...STREAMS, ...COMPLETIONS, ...ERRORS].map((f) => f.name));
    const files = readdirSync(`${FIXTURES_DIR}google`);
    expect(files.filter((f) => !used.has(f))).toEqual([]);
  });
});

const complete = (name: string) => googleAdapter.fromProviderResponse(fixtureJson(`google/${name}`), fx);
const stream = (name: string) =>
  runStream(
    googleAdapter,
    name.endsWith(".jsonl") ? sseFromJsonl(`google/${name}`) : fixtureBytes(`google/${name}`),
    fx,
  );

describe("google completions", () => {
  it("counts cached tokens inside prompt_tokens and thoughts as output (generate-cached-content-tokens.json)", () => {
    expect(complete("generate-cached-content-tokens.json").usage).toEqual({
      prompt_tokens: 17713,
      completion_tokens: 68 + 821,
      total_tokens: 18602,
      prompt_tokens_details: { cached_tokens: 17379 },
      completion_tokens_details: { reasoning_tokens: 821 },
    });
  });

  it("keeps the function call's thought signature as an encrypted detail tied to the call id", () => {
    const out = complete("generate-function-call.json");
    const message = out.choices[0]?.message;
    expect(message?.content).toBeNull();
    expect(message?.tool_calls).toEqual([
      {
        id: "call_m36LaZGyCLz1xs0PtNSB-QU_0",
        type: "function",
        function: { name: "weather", arguments: '{"location":"San Francisco"}' },
      },
    ]);
    expect(message?.reasoning_details).toEqual([
      {
        type: "reasoning.encrypted",
        data: expect.stringMatching(/^EskgCsYg/),
        id: "call_m36LaZGyCLz1xs0PtNSB-QU_0",
        format: "google-gemini-v1",
        index: 0,
      },
    ]);
    expect(out.choices[0]?.native_finish_reason).toBe("STOP");
    expect(out.upstreamId).toBe("m36LaZGyCLz1xs0PtNSB-QU");
  });

  it("puts thought summaries in reasoning and reasoning_details (generate-thinking-function-call-thought-summary.json)", () => {
    const message = complete("generate-thinking-function-call-thought-summary.json").choices[0]?.message;
    expect(message?.reasoning).toMatch(/^\*\*Thinking Through the New Year's Eve Calculation/);
    expect(message?.reasoning_details?.map((d) => [d.type, d.index])).toEqual([
      ["reasoning.text", 0],
      ["reasoning.encrypted", 1],
    ]);
    expect(message?.tool_calls?.[0]?.function).toEqual({ name: "now", arguments: "{}" });
  });

  it("answers an empty content for MAX_TOKENS with no parts", () => {
    const out = complete("generate-finish-max-tokens-no-parts.json");
    expect(out.choices[0]).toMatchObject({
      message: { content: "" },
      finish_reason: "length",
      native_finish_reason: "MAX_TOKENS",
    });
    expect(out.usage).toMatchObject({ prompt_tokens: 15, completion_tokens: 2, total_tokens: 17 });
  });

  it("answers an empty filtered content for SAFETY", () => {
    expect(complete("generate-finish-safety.json").choices[0]).toMatchObject({
      message: { content: "" },
      finish_reason: "content_filter",
      native_finish_reason: "SAFETY",
    });
  });

  it("turns a blocked prompt into an empty filtered answer and no candidates into a 502", () => {
    const blocked = googleAdapter.fromProviderResponse(
      { promptFeedback: { blockReason: "PROHIBITED_CONTENT" } },
      fx,
    );
    expect(blocked.choices).toEqual([
      {
        index: 0,
        message: { role: "assistant", content: "" },
        finish_reason: "content_filter",
        native_finish_reason: "PROHIBITED_CONTENT",
        logprobs: null,
      },
    ]);
    expect(() => googleAdapter.fromProviderResponse({ candidates: [] }, fx)).toThrow(GatewayError);
  });
});

describe("google streams", () => {
  it("emits usage once, at the end, from the last usageMetadata (stream-text.sse)", async () => {
    const { chunks } = await stream("stream-text.sse");
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 18, completion_tokens: 80 + 35, total_tokens: 133 },
    });
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined)).toBe(true);
    expect(chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? "")).join("")).toBe(
      Array.from({ length: 30 }, (_, i) => i + 1).join("\n"),
    );
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
  });

  it("streams thought summaries as one reasoning detail index, then the text's signature", async () => {
    const { chunks } = await stream("stream-thinking-thought-summaries.sse");
    const details = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.reasoning_details ?? []));
    expect(details.map((d) => [d.type, d.index])).toEqual([
      ["reasoning.text", 0],
      ["reasoning.text", 0],
      ["reasoning.text", 0],
      ["reasoning.text", 0],
      ["reasoning.encrypted", 1],
    ]);
    expect(details.every((d) => d.format === "google-gemini-v1")).toBe(true);
  });

  it("gives a whole function call with a stable id and its signature (stream-function-call-thought-signature.sse)", async () => {
    const { chunks } = await stream("stream-function-call-thought-signature.sse");
    const choices = chunks.flatMap((c) => c.choices);
    expect(assembleToolCalls(choices)).toEqual([
      { id: "call_QUVVadTSNJ6_qtsPvN7J8Q0_0", name: "get_country", arguments: "{}" },
    ]);
    const signature = choices.flatMap((c) => c.delta.reasoning_details ?? [])[0];
    expect(signature).toMatchObject({ type: "reasoning.encrypted", id: "call_QUVVadTSNJ6_qtsPvN7J8Q0_0" });
    expect(chunks.at(-1)?.usage).toMatchObject({
      completion_tokens: 212,
      completion_tokens_details: { reasoning_tokens: 202 },
    });
  });

  it("rebuilds Vertex partial arguments into two calls (vertex-stream-function-call-partial-args.chunks.jsonl)", async () => {
    const { chunks } = await stream("vertex-stream-function-call-partial-args.chunks.jsonl");
    const choices = chunks.flatMap((c) => c.choices);
    expect(assembleToolCalls(choices)).toEqual([
      { id: "call_dqHOab6xGLzWodAPkPuViA4_0", name: "getWeather", arguments: '{"location":"Boston"}' },
      { id: "call_dqHOab6xGLzWodAPkPuViA4_1", name: "getWeather", arguments: '{"location":"San Francisco"}' },
    ]);
    expect(choices.at(-1)).toMatchObject({ finish_reason: "tool_calls", native_finish_reason: "STOP" });
  });

  it("ends a blocked prompt with an empty filtered choice (stream-prompt-blocked-safety.sse)", async () => {
    const { chunks, error } = await stream("stream-prompt-blocked-safety.sse");
    expect(error).toBeUndefined();
    expect(chunks).toEqual([
      {
        choices: [
          {
            index: 0,
            delta: { role: "assistant", content: "" },
            finish_reason: "content_filter",
            native_finish_reason: "SAFETY",
            logprobs: null,
          },
        ],
        upstreamId: undefined,
      },
    ]);
  });

  it("throws a retryable 502 when the stream ends without a finish reason", async () => {
    const text = fixtureText("google/stream-text.sse");
    const cut = text.slice(0, text.lastIndexOf("data:"));
    const { chunks, error } = await runStream(googleAdapter, new TextEncoder().encode(cut), fx);
    expect(chunks.length).toBe(2);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 502, type: "provider_unavailable", retryable: true });
  });

  it("throws an in-band error event as a GatewayError with Google's status", async () => {
    const body = new TextEncoder().encode(
      'data: {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}\r\n\r\n',
    );
    const { error } = await runStream(googleAdapter, body, fx);
    expect(error).toMatchObject({ status: 503, type: "provider_overloaded", retryable: true });
    expect((error as GatewayError).meta.providerCode).toBe("UNAVAILABLE");
  });
});
