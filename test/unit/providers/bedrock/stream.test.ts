/**
 * What the transformer makes of the recordings in detail, and of the in-band exceptions no
 * recording has (built with the mock's frame encoder, byte-for-byte as ConverseStream frames them).
 */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { bedrockAdapter } from "../../../../src/providers/bedrock";
import type { ChatRequest } from "../../../../src/schema/chat-request";
import { assembleToolCalls, runStream } from "../../../conformance/adapter-suite";
import { fixtureBytes } from "../../../conformance/fixtures";
import { encodeFrame, eventFrame, exceptionFrame } from "../../../mocks/bedrock";
import { bedrockTarget } from "./target";

const request: ChatRequest = { model: "m", messages: [{ role: "user", content: "Hello" }] };
const fx = { target: bedrockTarget(), request };

const concat = (...frames: Uint8Array[]) => new Uint8Array(frames.flatMap((f) => [...f]));
const start = eventFrame("messageStart", { role: "assistant" });
const hello = eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Hi" } });

describe("bedrock stream transformer", () => {
  it("turns the thinking recording into reasoning + signed reasoning_details, then text", async () => {
    const { chunks, error } = await runStream(
      bedrockAdapter,
      fixtureBytes("bedrock/converse-stream-thinking.eventstream"),
      fx,
    );
    expect(error).toBeUndefined();
    const choices = chunks.flatMap((c) => c.choices);
    const reasoning = choices.map((c) => c.delta.reasoning ?? "").join("");
    expect(reasoning).toMatch(/^The user has greeted me with a simple "Hello"\./);
    const details = choices.flatMap((c) => c.delta.reasoning_details ?? []);
    expect(details.every((d) => d.format === "anthropic-claude-v1" && d.index === 0)).toBe(true);
    const signed = details.filter((d) => d.signature);
    expect(signed).toHaveLength(1);
    expect(signed[0]?.signature).toMatch(/^Eu0CCkgIBxAB/);
    expect(choices.map((c) => c.delta.content ?? "").join("").length).toBeGreaterThan(0);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: 36,
        completion_tokens: 73,
        total_tokens: 109,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
  });

  it("hides reasoning when the client asked for reasoning.exclude", async () => {
    const hidden = { target: fx.target, request: { ...request, reasoning: { exclude: true } } };
    const { chunks, error } = await runStream(
      bedrockAdapter,
      fixtureBytes("bedrock/converse-stream-thinking.eventstream"),
      hidden,
    );
    expect(error).toBeUndefined();
    const choices = chunks.flatMap((c) => c.choices);
    expect(choices.some((c) => c.delta.reasoning || c.delta.reasoning_details)).toBe(false);
    expect(choices.map((c) => c.delta.content ?? "").join("").length).toBeGreaterThan(0);
  });

  it("tags reasoning from non-Claude models bedrock-converse-v1", async () => {
    const target = bedrockTarget({}, "us.deepseek.r1-v1:0");
    const { chunks } = await runStream(
      bedrockAdapter,
      fixtureBytes("bedrock/converse-stream-thinking.eventstream"),
      {
        target,
        request,
      },
    );
    const details = chunks.flatMap((c) => c.choices).flatMap((c) => c.delta.reasoning_details ?? []);
    expect(new Set(details.map((d) => d.format))).toEqual(new Set(["bedrock-converse-v1"]));
  });

  it("numbers tool calls from 0 whatever their content block index", async () => {
    const { chunks } = await runStream(
      bedrockAdapter,
      fixtureBytes("bedrock/converse-stream-tool-use.eventstream"),
      fx,
    );
    const choices = chunks.flatMap((c) => c.choices);
    expect(assembleToolCalls(choices)).toEqual([
      { id: "tooluse_lAG_zP8QRHmSYOwZzzaCqA", name: "get_temperature", arguments: '{"city":"Paris"}' },
    ]);
    expect(choices.at(-1)).toMatchObject({ finish_reason: "tool_calls", native_finish_reason: "tool_use" });
  });

  // A parameterless tool: contentBlockStart, an empty input delta (or none), contentBlockStop.
  // Clients JSON.parse the assembled arguments, and JSON.parse("") throws.
  it.each([
    [
      "an empty input delta",
      [eventFrame("contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: "" } } })],
    ],
    ["no input delta", []],
  ])("closes a tool call with %s as arguments {}", async (_, deltas) => {
    const body = concat(
      start,
      eventFrame("contentBlockStart", {
        contentBlockIndex: 1,
        start: { toolUse: { toolUseId: "tooluse_now", name: "now" } },
      }),
      ...deltas,
      eventFrame("contentBlockStop", { contentBlockIndex: 1 }),
      eventFrame("messageStop", { stopReason: "tool_use" }),
    );
    const { chunks, error } = await runStream(bedrockAdapter, body, fx);
    expect(error).toBeUndefined();
    const choices = chunks.flatMap((c) => c.choices);
    expect(assembleToolCalls(choices)).toEqual([{ id: "tooluse_now", name: "now", arguments: "{}" }]);
    expect(choices.at(-1)).toMatchObject({ finish_reason: "tool_calls" });
  });

  it("starts with a role chunk and ends with finish then a lone usage chunk", async () => {
    const { chunks } = await runStream(
      bedrockAdapter,
      fixtureBytes("bedrock/converse-stream-text.eventstream"),
      fx,
    );
    expect(chunks[0]).toEqual({
      choices: [{ index: 0, delta: { role: "assistant" }, finish_reason: null, native_finish_reason: null }],
    });
    expect(chunks.at(-2)?.choices[0]).toMatchObject({
      finish_reason: "stop",
      native_finish_reason: "end_turn",
    });
    expect(chunks.at(-1)?.usage).toEqual({
      prompt_tokens: 13,
      completion_tokens: 82,
      total_tokens: 95,
      prompt_tokens_details: { cached_tokens: 0 },
    });
  });

  it("counts cache reads and writes into prompt_tokens", async () => {
    const body = concat(
      start,
      hello,
      eventFrame("messageStop", { stopReason: "end_turn" }),
      eventFrame("metadata", {
        usage: {
          inputTokens: 2,
          outputTokens: 5,
          cacheReadInputTokens: 100,
          cacheWriteInputTokens: 30,
          totalTokens: 137,
        },
      }),
    );
    const { chunks } = await runStream(bedrockAdapter, body, fx);
    expect(chunks.at(-1)?.usage).toEqual({
      prompt_tokens: 132,
      completion_tokens: 5,
      total_tokens: 137,
      prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 30 },
    });
  });

  it.each([
    ["throttlingException", 429, "rate_limit_exceeded", true],
    ["serviceUnavailableException", 503, "provider_overloaded", true],
    ["internalServerException", 500, "server", true],
    ["modelStreamErrorException", 502, "provider_unavailable", true],
    ["modelTimeoutException", 408, "timeout", true],
    ["validationException", 400, "invalid_request", false],
  ] as const)("throws %s in-band as a %i GatewayError", async (name, status, type, retryable) => {
    const body = concat(start, hello, exceptionFrame(name, "something went wrong"));
    const { chunks, error } = await runStream(bedrockAdapter, body, fx, 7);
    expect(
      chunks
        .flatMap((c) => c.choices)
        .map((c) => c.delta.content ?? "")
        .join(""),
    ).toBe("Hi");
    expect(error).toBeInstanceOf(GatewayError);
    const err = error as GatewayError;
    expect({ status: err.status, type: err.type, retryable: err.retryable }).toEqual({
      status,
      type,
      retryable,
    });
    expect(err.message).toBe("something went wrong");
    expect(err.meta.providerCode).toBe(name);
  });

  it("reads an in-band context overflow as context_length_exceeded", async () => {
    const body = concat(
      start,
      exceptionFrame("validationException", "Input is too long for requested model."),
    );
    const { error } = await runStream(bedrockAdapter, body, fx);
    expect(error).toMatchObject({ status: 400, type: "context_length_exceeded" });
  });

  it("throws a protocol-level error frame", async () => {
    const frame = encodeFrame(
      { ":message-type": "error", ":error-code": "InternalFailure", ":error-message": "boom" },
      "",
    );
    const { error } = await runStream(bedrockAdapter, concat(start, frame), fx);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).retryable).toBe(true);
  });

  it("throws a retryable 502 when the stream ends before messageStop", async () => {
    const { chunks, error } = await runStream(bedrockAdapter, concat(start, hello), fx);
    expect(chunks).toHaveLength(2);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 502, type: "provider_unavailable" });
    expect((error as GatewayError).retryable).toBe(true);
  });

  it("skips unknown event types but rejects a known one that breaks its schema", async () => {
    const unknown = eventFrame("somethingNew", { x: 1 });
    const ok = await runStream(
      bedrockAdapter,
      concat(start, unknown, hello, eventFrame("messageStop", { stopReason: "end_turn" })),
      fx,
    );
    expect(ok.error).toBeUndefined();
    const bad = await runStream(
      bedrockAdapter,
      concat(start, eventFrame("contentBlockDelta", { delta: "nope" })),
      fx,
    );
    expect(bad.error).toMatchObject({ status: 502 });
  });

  it.each([
    ["max_tokens", "length"],
    ["stop_sequence", "stop"],
    ["guardrail_intervened", "content_filter"],
    ["content_filtered", "content_filter"],
    ["model_context_window_exceeded", "length"],
  ])("maps stopReason %s to %s", async (stopReason, finish) => {
    const { chunks } = await runStream(
      bedrockAdapter,
      concat(start, eventFrame("messageStop", { stopReason })),
      fx,
    );
    expect(chunks.at(-1)?.choices[0]).toMatchObject({
      finish_reason: finish,
      native_finish_reason: stopReason,
    });
  });
});
