/** Stream behaviour the recordings do not pin on their own: hand-made edge cases. */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { openaiAdapter } from "../../../../src/providers/openai";
import type { ChatRequest } from "../../../../src/schema/chat-request";
import { assembleToolCalls, runStream } from "../../../conformance/adapter-suite";
import { fixtureBytes, sseFromJsonl } from "../../../conformance/fixtures";
import { baseRequest, vendorTarget } from "./targets";

const encoder = new TextEncoder();
const frames = (...payloads: (object | string)[]) =>
  encoder.encode(payloads.map((p) => `data: ${typeof p === "string" ? p : JSON.stringify(p)}\n\n`).join(""));
const chunk = (choices: object[], extra: object = {}) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  choices,
  ...extra,
});
const fx = (request: ChatRequest = baseRequest, slug = "openai") => ({ target: vendorTarget(slug), request });

describe("openai stream edge cases", () => {
  it("throws a retryable 502 when the stream ends with neither [DONE] nor a finish_reason", async () => {
    const body = frames(chunk([{ index: 0, delta: { role: "assistant", content: "Hel" } }]));
    const { chunks, error } = await runStream(openaiAdapter, body, fx());
    expect(chunks).toHaveLength(1);
    expect(error).toBeInstanceOf(GatewayError);
    const err = error as GatewayError;
    expect(err).toMatchObject({ status: 502, type: "provider_unavailable", retryable: true });
    expect(err.message).toContain("stream ended without a finish reason");
  });

  it("throws when [DONE] arrives without any choice", async () => {
    const { error } = await runStream(openaiAdapter, frames("[DONE]"), fx());
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).retryable).toBe(true);
  });

  it("accepts a finished stream without [DONE] and emits its usage last", async () => {
    const body = frames(
      chunk([{ index: 0, delta: { content: "Hi" }, finish_reason: "stop" }], {
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      }),
    );
    const { chunks, error } = await runStream(openaiAdapter, body, fx());
    expect(error).toBeUndefined();
    expect(chunks.map((c) => [c.choices.length, c.usage?.total_tokens])).toEqual([
      [1, undefined],
      [0, 4],
    ]);
  });

  it("closes a choice that got [DONE] but no finish_reason as stop, native null", async () => {
    const body = frames(chunk([{ index: 0, delta: { content: "Hi" } }]), "[DONE]");
    const { chunks, error } = await runStream(openaiAdapter, body, fx());
    expect(error).toBeUndefined();
    expect(chunks.at(-1)?.choices).toEqual([
      { index: 0, delta: {}, finish_reason: "stop", native_finish_reason: null },
    ]);
  });

  it("keeps the last usage when a vendor repeats it, and emits it once", async () => {
    const body = frames(
      chunk([{ index: 0, delta: { content: "Hi" }, finish_reason: "stop" }], {
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      }),
      chunk([], { usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }),
      "[DONE]",
    );
    const { chunks } = await runStream(openaiAdapter, body, fx());
    const usages = chunks.filter((c) => c.usage);
    expect(usages).toHaveLength(1);
    expect(usages[0]?.usage?.completion_tokens).toBe(2);
  });

  it("turns xAI's stop after a tool call into tool_calls, keeping stop as native", async () => {
    const body = frames(
      chunk([
        {
          index: 0,
          delta: { tool_calls: [{ id: "call_1", function: { name: "weather", arguments: "{}" }, index: 0 }] },
        },
      ]),
      chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
      "[DONE]",
    );
    const { chunks } = await runStream(openaiAdapter, body, fx(baseRequest, "xai"));
    const last = chunks.at(-1)?.choices[0];
    expect(last).toMatchObject({ finish_reason: "tool_calls", native_finish_reason: "stop" });
  });

  it("gives Mistral's index-less whole tool calls their own indices and type function", async () => {
    const body = frames(
      chunk([
        {
          index: 0,
          delta: {
            tool_calls: [
              { id: "aaaaaaaaa", function: { name: "weather", arguments: '{"city":"Paris"}' } },
              { id: "bbbbbbbbb", function: { name: "time", arguments: "" } },
            ],
          },
          finish_reason: "tool_calls",
        },
      ]),
      "[DONE]",
    );
    const { chunks } = await runStream(openaiAdapter, body, fx(baseRequest, "mistral"));
    const deltas = chunks[0]?.choices[0]?.delta.tool_calls;
    expect(deltas).toEqual([
      {
        index: 0,
        id: "aaaaaaaaa",
        type: "function",
        function: { name: "weather", arguments: '{"city":"Paris"}' },
      },
      { index: 1, id: "bbbbbbbbb", type: "function", function: { name: "time", arguments: "" } },
    ]);
  });

  it("reads Mistral's thinking chunks as reasoning and text chunks as content", async () => {
    const { chunks } = await runStream(openaiAdapter, fixtureBytes("mistral/stream-thinking.sse"), fx());
    const choices = chunks.flatMap((c) => c.choices);
    const reasoning = choices.map((c) => c.delta.reasoning ?? "").join("");
    const text = choices.map((c) => c.delta.content ?? "").join("");
    expect(reasoning.startsWith("Okay, the user is asking how")).toBe(true);
    expect(text).toContain("safe crossing.");
    expect(text).not.toContain("Okay, the user");
  });

  it("keeps OpenRouter's reasoning_details verbatim (signature and format included)", async () => {
    const body = fixtureBytes("openrouter/stream-reasoning-usage-cost.sse");
    const { chunks } = await runStream(openaiAdapter, body, fx(baseRequest, "openrouter"));
    const details = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.reasoning_details ?? []));
    expect(details.find((d) => d.signature)).toMatchObject({
      type: "reasoning.text",
      format: "anthropic-claude-v1",
      index: 0,
    });
    expect(chunks.find((c) => c.usage)?.usage).not.toHaveProperty("cost");
  });

  // OpenRouter's own output for a provider with plain-text reasoning (openrouter/stream-mid-stream-
  // error.sse, Minimax): each delta.reasoning mirrored as one reasoning.text detail, format null.
  it.each([
    ["deepseek", "deepseek/stream-reasoning.sse"],
    ["groq", "groq/stream-error-tool-use-failed.sse"],
    ["mistral", "mistral/stream-thinking.sse"],
  ])("mirrors %s's plain reasoning text as a reasoning.text detail per chunk", async (slug, path) => {
    const { chunks } = await runStream(openaiAdapter, fixtureBytes(path), fx(baseRequest, slug));
    const choices = chunks.flatMap((c) => c.choices);
    const reasoning = choices.filter((c) => c.delta.reasoning);
    expect(reasoning.length).toBeGreaterThan(1);
    for (const { delta } of reasoning) {
      expect(delta.reasoning_details).toEqual([
        { type: "reasoning.text", text: delta.reasoning, index: 0, format: null },
      ]);
    }
    expect(choices.filter((c) => !c.delta.reasoning).some((c) => c.delta.reasoning_details)).toBe(false);
  });

  it("passes upstream reasoning_details through without adding its own", async () => {
    const body = fixtureBytes("openrouter/stream-reasoning-usage-cost.sse");
    const { chunks } = await runStream(openaiAdapter, body, fx(baseRequest, "openrouter"));
    const details = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.reasoning_details ?? []));
    expect(details).toHaveLength(6);
    expect(details.every((d) => d.format === "anthropic-claude-v1")).toBe(true);
  });

  it("omits reasoning when the client excluded it", async () => {
    const request = { ...baseRequest, reasoning: { exclude: true } };
    const { chunks } = await runStream(
      openaiAdapter,
      fixtureBytes("deepseek/stream-reasoning.sse"),
      fx(request),
    );
    const choices = chunks.flatMap((c) => c.choices);
    expect(choices.some((c) => c.delta.reasoning !== undefined)).toBe(false);
    expect(choices.some((c) => c.delta.reasoning_details !== undefined)).toBe(false);
    expect(choices.map((c) => c.delta.content ?? "").join("").length).toBeGreaterThan(0);
  });

  it("keeps n>1 choice indices apart, each with its own finish", async () => {
    const { chunks } = await runStream(
      openaiAdapter,
      fixtureBytes("openai/chat-stream-n3-choices.sse"),
      fx(),
    );
    const choices = chunks.flatMap((c) => c.choices);
    const texts = [0, 1, 2].map((i) =>
      choices
        .filter((c) => c.index === i)
        .map((c) => c.delta.content ?? "")
        .join(""),
    );
    for (const text of texts) expect(() => JSON.parse(text)).not.toThrow();
    expect(choices.filter((c) => c.finish_reason === "stop").map((c) => c.index)).toEqual([0, 1, 2]);
  });

  it("passes logprobs and refusals through", async () => {
    const logprobs = await runStream(openaiAdapter, fixtureBytes("openai/chat-stream-logprobs.sse"), fx());
    expect(logprobs.chunks[1]?.choices[0]?.logprobs).toMatchObject({ content: [{ token: "Foo" }] });
    const refusal = await runStream(openaiAdapter, fixtureBytes("openai/chat-stream-refusal.sse"), fx());
    const text = refusal.chunks.flatMap((c) => c.choices.map((ch) => ch.delta.refusal ?? "")).join("");
    expect(text).toContain("I'm sorry");
  });

  it("reassembles OpenAI's fragmented parallel tool calls with their ids", async () => {
    const body = fixtureBytes("openai/chat-stream-tool-calls-parallel.sse");
    const { chunks } = await runStream(openaiAdapter, body, fx());
    const calls = assembleToolCalls(chunks.flatMap((c) => c.choices));
    expect(calls.map((c) => c.name)).toEqual(["GetWeatherArgs", "get_stock_price"]);
    expect(JSON.parse(calls[1]?.arguments ?? "")).toMatchObject({ ticker: "AAPL" });
  });

  it("uses Groq's x_groq.usage when no top-level usage came", async () => {
    const body = frames(
      chunk([{ index: 0, delta: { content: "Hi" }, finish_reason: "stop" }], {
        x_groq: { usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } },
      }),
      "[DONE]",
    );
    const { chunks } = await runStream(openaiAdapter, body, fx(baseRequest, "groq"));
    expect(chunks.at(-1)?.usage?.total_tokens).toBe(6);
  });

  it("skips Azure's choice-less prompt_filter_results chunk", async () => {
    const body = sseFromJsonl("openai/azure-chat-stream-reasoning-usage.chunks.jsonl", { done: true });
    const { chunks } = await runStream(openaiAdapter, body, fx(baseRequest, "azure"));
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.filter((c) => c.choices.length === 0)).toHaveLength(1); // the usage chunk only
    expect(chunks.at(-1)?.usage?.completion_tokens_details?.reasoning_tokens).toBe(64);
  });

  it.each([
    [{ error: { code: 429, message: "Rate limit exceeded" } }, 429, true, "rate_limit_exceeded"],
    [
      { error: { code: 502, message: "Upstream died", metadata: { error_type: "provider_unavailable" } } },
      502,
      true,
      "provider_unavailable",
    ],
    [
      { error: { message: "The server had an error", type: "server_error" } },
      502,
      true,
      "provider_unavailable",
    ],
    [
      {
        error: {
          message: "This model's maximum context length is 8192 tokens",
          type: "invalid_request_error",
          code: "context_length_exceeded",
        },
      },
      400,
      false,
      "context_length_exceeded",
    ],
  ])("an in-band error %j → %i (retryable %s, %s)", async (payload, status, retryable, type) => {
    const body = frames(chunk([{ index: 0, delta: { content: "a" } }]), payload);
    const { error } = await runStream(openaiAdapter, body, fx());
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status, retryable, type });
  });

  // The error chunk carries the run's usage; the gateway must record it, not an estimate.
  it("emits the usage an in-band error chunk carries, before the error", async () => {
    const body = fixtureBytes("openrouter/stream-mid-stream-error.sse");
    const { chunks, error } = await runStream(openaiAdapter, body, fx(baseRequest, "openrouter"));
    expect(error).toMatchObject({ status: 400, message: "Token limit reached" });
    expect(chunks.filter((c) => c.usage)).toHaveLength(1);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      upstreamId: "gen-1762179802-UN8pkJI4AGZvryk0kFnb",
      usage: {
        prompt_tokens: 43,
        completion_tokens: 10,
        total_tokens: 53,
        completion_tokens_details: { reasoning_tokens: 11 },
      },
      rawUsage: { prompt_tokens: 43, completion_tokens: 10, cost: 0 },
    });
  });

  it("emits usage held from an earlier chunk before an in-band error", async () => {
    const body = frames(
      chunk([{ index: 0, delta: { content: "a" } }], {
        usage: { prompt_tokens: 7, completion_tokens: 1, total_tokens: 8 },
      }),
      { error: { code: 502, message: "Upstream died" } },
    );
    const { chunks, error } = await runStream(openaiAdapter, body, fx());
    expect(error).toMatchObject({ status: 502 });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 7, total_tokens: 8 } });
  });

  it("throws on a chunk that is not JSON", async () => {
    const { error } = await runStream(openaiAdapter, frames("{not json"), fx());
    expect(error).toMatchObject({ status: 502, retryable: true });
  });
});
