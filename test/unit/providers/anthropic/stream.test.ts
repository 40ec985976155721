import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { anthropicAdapter } from "../../../../src/providers/anthropic";
import type { ProviderChunk } from "../../../../src/providers/types";
import { assembleToolCalls, runStream } from "../../../conformance/adapter-suite";
import { fixtureBytes, sseFromJsonl } from "../../../conformance/fixtures";
import { DIR, request, target } from "./helpers";

const fx = { target: target(), request: request() };
const run = (body: Uint8Array, req = fx.request) =>
  runStream(anthropicAdapter, body, { ...fx, request: req });
const sse = (text: string) => new TextEncoder().encode(text);
const frames = (...payloads: object[]) =>
  sse(payloads.map((p) => `event: ${(p as { type: string }).type}\ndata: ${JSON.stringify(p)}\n\n`).join(""));

const choices = (chunks: ProviderChunk[]) => chunks.flatMap((c) => c.choices);
const text = (chunks: ProviderChunk[]) =>
  choices(chunks)
    .map((c) => c.delta.content ?? "")
    .join("");
const usages = (chunks: ProviderChunk[]) => chunks.flatMap((c) => (c.usage ? [c.usage] : []));

describe("stream translation", () => {
  it("translates the simplest text stream", async () => {
    const { chunks, error } = await run(fixtureBytes(`${DIR}stream-text.sse`));
    expect(error).toBeUndefined();
    expect(chunks.map(({ choices, usage }) => ({ choices, usage }))).toMatchInlineSnapshot(`
      [
        {
          "choices": [
            {
              "delta": {
                "content": "",
                "role": "assistant",
              },
              "finish_reason": null,
              "index": 0,
              "native_finish_reason": null,
            },
          ],
          "usage": undefined,
        },
        {
          "choices": [
            {
              "delta": {
                "content": "Hello",
              },
              "finish_reason": null,
              "index": 0,
              "native_finish_reason": null,
            },
          ],
          "usage": undefined,
        },
        {
          "choices": [
            {
              "delta": {
                "content": " there",
              },
              "finish_reason": null,
              "index": 0,
              "native_finish_reason": null,
            },
          ],
          "usage": undefined,
        },
        {
          "choices": [
            {
              "delta": {
                "content": "!",
              },
              "finish_reason": null,
              "index": 0,
              "native_finish_reason": null,
            },
          ],
          "usage": undefined,
        },
        {
          "choices": [
            {
              "delta": {},
              "finish_reason": "stop",
              "index": 0,
              "native_finish_reason": "end_turn",
            },
          ],
          "usage": undefined,
        },
        {
          "choices": [],
          "usage": {
            "completion_tokens": 6,
            "prompt_tokens": 11,
            "prompt_tokens_details": {
              "cache_write_tokens": 0,
              "cached_tokens": 0,
            },
            "total_tokens": 17,
          },
        },
      ]
    `);
    expect(chunks.every((c) => c.upstreamId === "msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK")).toBe(true);
  });

  it("keeps toolu_ ids and reassembles argument fragments (first one empty)", async () => {
    const { chunks } = await run(fixtureBytes(`${DIR}stream-tool-use.sse`));
    expect(assembleToolCalls(choices(chunks))).toEqual([
      { id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "get_weather", arguments: '{"location": "Paris"}' },
    ]);
    // Tool calls count only tool_use blocks: the text block before it is content block 0.
    expect(
      choices(chunks)
        .flatMap((c) => c.delta.tool_calls ?? [])
        .every((t) => t.index === 0),
    ).toBe(true);
  });

  it('yields "{}" for a tool without arguments', async () => {
    const { chunks } = await run(
      sseFromJsonl(`${DIR}stream-tool-use-no-args.chunks.jsonl`, { eventNames: true }),
    );
    expect(assembleToolCalls(choices(chunks))).toEqual([
      { id: "toolu_01QE1WLsSVp5hy5Q3GmGTmjP", name: "updateIssueList", arguments: "{}" },
    ]);
  });

  it("ends a max_tokens-truncated tool call with length and usage", async () => {
    const { chunks, error } = await run(fixtureBytes(`${DIR}stream-tool-use-truncated-max-tokens.sse`));
    expect(error).toBeUndefined();
    const finish = choices(chunks).find((c) => c.finish_reason !== null);
    expect(finish).toMatchObject({ finish_reason: "length", native_finish_reason: "max_tokens" });
    expect(assembleToolCalls(choices(chunks))[0]?.arguments).toMatch(/^\{"filename": "taxes.txt/);
    expect(usages(chunks)).toEqual([expect.objectContaining({ prompt_tokens: 450, completion_tokens: 124 })]);
  });

  it("streams thinking as reasoning plus reasoning.text details, then the signature", async () => {
    const { chunks } = await run(fixtureBytes(`${DIR}stream-thinking.sse`));
    const details = choices(chunks).flatMap((c) => c.delta.reasoning_details ?? []);
    const reasoning = choices(chunks)
      .map((c) => c.delta.reasoning ?? "")
      .join("");
    expect(reasoning).toMatch(/^This is a straightforward question about pedestrian safety/);
    expect(
      details.every(
        (d) => d.type === "reasoning.text" && d.format === "anthropic-claude-v1" && d.index === 0,
      ),
    ).toBe(true);
    expect(details.map((d) => d.text ?? "").join("")).toBe(reasoning);
    expect(details.at(-1)).toEqual({
      type: "reasoning.text",
      signature: expect.stringMatching(/^EvMCCkYICxgCKkCHP2cSuEdcJK/),
      format: "anthropic-claude-v1",
      index: 0,
    });
  });

  it("passes redacted thinking as reasoning.encrypted, numbered among reasoning blocks", async () => {
    const { chunks } = await run(fixtureBytes(`${DIR}stream-redacted-thinking.sse`));
    const details = choices(chunks).flatMap((c) => c.delta.reasoning_details ?? []);
    expect(details.map((d) => [d.type, d.index, d.data?.slice(0, 8)])).toEqual([
      ["reasoning.encrypted", 0, "EqkECkYI"],
      ["reasoning.encrypted", 1, "EtgBCkYI"],
    ]);
    expect(text(chunks)).toMatch(/^I notice that you've sent/);
  });

  it("omits reasoning when the client excludes it", async () => {
    const { chunks } = await run(
      fixtureBytes(`${DIR}stream-thinking.sse`),
      request({ reasoning: { exclude: true } }),
    );
    expect(choices(chunks).some((c) => c.delta.reasoning || c.delta.reasoning_details)).toBe(false);
    expect(text(chunks).length).toBeGreaterThan(0);
  });

  it("skips the compaction block and bills every compaction pass", async () => {
    const { chunks } = await run(fixtureBytes(`${DIR}stream-cache-read-compaction.sse`));
    expect(text(chunks)).toBe("Hello! 👋");
    expect(usages(chunks)).toEqual([
      {
        prompt_tokens: 100 + 55_096 + 181,
        completion_tokens: 83 + 8,
        total_tokens: 100 + 55_096 + 181 + 83 + 8,
        prompt_tokens_details: { cached_tokens: 55_096, cache_write_tokens: 0 },
      },
    ]);
  });

  it("maps a refusal to content_filter", async () => {
    const { chunks } = await run(sseFromJsonl(`${DIR}stream-refusal.chunks.jsonl`, { eventNames: true }));
    expect(choices(chunks).at(-1)).toMatchObject({
      finish_reason: "content_filter",
      native_finish_reason: "refusal",
    });
    expect(usages(chunks)).toEqual([expect.objectContaining({ prompt_tokens: 18, completion_tokens: 5 })]);
  });

  it("counts cache reads and writes into prompt_tokens", async () => {
    const { chunks } = await run(
      frames(
        {
          type: "message_start",
          message: {
            id: "msg_1",
            usage: {
              input_tokens: 3,
              cache_read_input_tokens: 1111,
              cache_creation_input_tokens: 418,
              output_tokens: 1,
            },
          },
        },
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } },
        { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 33 } },
        { type: "message_stop" },
      ),
    );
    expect(usages(chunks)).toEqual([
      {
        prompt_tokens: 1532,
        completion_tokens: 33,
        total_tokens: 1565,
        prompt_tokens_details: { cached_tokens: 1111, cache_write_tokens: 418 },
      },
    ]);
  });

  it("streams a JSON-mode tool call as content that finishes with stop", async () => {
    const req = request({ response_format: { type: "json_schema", json_schema: { name: "Weather" } } });
    const { chunks } = await run(
      frames(
        { type: "message_start", message: { id: "msg_2", usage: { input_tokens: 5, output_tokens: 1 } } },
        {
          type: "content_block_start",
          index: 0,
          content_block: { type: "tool_use", id: "toolu_x", name: "Weather", input: {} },
        },
        { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: "" } },
        {
          type: "content_block_delta",
          index: 0,
          delta: { type: "input_json_delta", partial_json: '{"city":' },
        },
        {
          type: "content_block_delta",
          index: 0,
          delta: { type: "input_json_delta", partial_json: '"Paris"}' },
        },
        { type: "content_block_stop", index: 0 },
        { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 9 } },
        { type: "message_stop" },
      ),
      req,
    );
    expect(text(chunks)).toBe('{"city":"Paris"}');
    expect(choices(chunks).some((c) => c.delta.tool_calls)).toBe(false);
    expect(choices(chunks).at(-1)).toMatchObject({ finish_reason: "stop", native_finish_reason: "tool_use" });
  });
});

describe("stream failures", () => {
  const start = {
    type: "message_start",
    message: { id: "msg_3", usage: { input_tokens: 5, output_tokens: 1 } },
  };
  const textStart = { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } };
  const delta = { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "partial" } };

  it("throws a retryable 502 when the stream ends before any stop_reason", async () => {
    const { chunks, error } = await run(frames(start, textStart, delta));
    expect(text(chunks)).toBe("partial");
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 502, type: "provider_unavailable", retryable: true });
  });

  it.each([
    ["the body ends", []],
    ["message_stop comes", [{ type: "message_stop" }]],
  ])("emits the usage reported so far when %s before any stop_reason", async (_, tail) => {
    const { chunks, error } = await run(frames(start, textStart, delta, ...tail));
    expect(error).toMatchObject({ status: 502, retryable: true });
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
    });
  });

  it("throws when message_stop comes without a stop_reason", async () => {
    const { error } = await run(frames(start, textStart, delta, { type: "message_stop" }));
    expect(error).toMatchObject({ status: 502, retryable: true });
  });

  it.each([
    ["overloaded_error", 503, "provider_overloaded", true],
    ["rate_limit_error", 429, "rate_limit_exceeded", true],
    ["api_error", 500, "server", true],
    ["invalid_request_error", 400, "invalid_request", false],
    ["some_future_error", 502, "provider_unavailable", true],
  ] as const)("maps an in-stream %s to %i %s", async (code, status, type, retryable) => {
    const body = frames(start, textStart, delta, {
      type: "error",
      error: { type: code, message: `mock ${code}` },
      request_id: "req_1",
    });
    const { chunks, error } = await run(body);
    expect(text(chunks)).toBe("partial");
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status, type, retryable, message: `mock ${code}` });
    expect((error as GatewayError).meta).toMatchObject({ provider: "Anthropic", providerCode: code });
  });

  // message_start already reported the prompt side: the gateway must price that, not an estimate.
  it("emits the usage reported so far before an in-stream error", async () => {
    const cachedStart = {
      type: "message_start",
      message: {
        id: "msg_4",
        usage: {
          input_tokens: 3,
          cache_read_input_tokens: 1111,
          cache_creation_input_tokens: 418,
          output_tokens: 1,
        },
      },
    };
    const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };
    const { chunks, error } = await run(frames(cachedStart, textStart, delta, overloaded));
    expect(error).toMatchObject({ type: "provider_overloaded" });
    expect(chunks.at(-1)).toEqual({
      choices: [],
      usage: {
        prompt_tokens: 1532,
        completion_tokens: 1,
        total_tokens: 1533,
        prompt_tokens_details: { cached_tokens: 1111, cache_write_tokens: 418 },
      },
      upstreamId: "msg_4",
      rawUsage: cachedStart.message.usage,
    });
    expect(usages(chunks)).toHaveLength(1);
  });

  it("takes output tokens from the last message_delta when the error comes after it", async () => {
    const { chunks, error } = await run(
      frames(
        start,
        textStart,
        delta,
        { type: "message_delta", delta: {}, usage: { output_tokens: 12 } },
        { type: "error", error: { type: "api_error", message: "Internal server error" } },
      ),
    );
    expect(error).toMatchObject({ type: "server" });
    expect(usages(chunks)).toEqual([
      expect.objectContaining({ prompt_tokens: 5, completion_tokens: 12, total_tokens: 17 }),
    ]);
  });

  it("emits no usage before an error that comes before message_start", async () => {
    const { chunks, error } = await run(
      frames({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
    );
    expect(error).toMatchObject({ type: "provider_overloaded" });
    expect(chunks).toEqual([]);
  });

  it("treats a malformed known event as an upstream error, and skips unknown ones", async () => {
    const bad = await run(frames(start, { type: "content_block_delta", index: "zero" }));
    expect(bad.error).toMatchObject({ status: 502, retryable: true });
    const unknown = await run(
      frames(
        start,
        { type: "brand_new_event", x: 1 },
        { type: "message_delta", delta: { stop_reason: "end_turn" } },
      ),
    );
    expect(unknown.error).toBeUndefined();
    expect(choices(unknown.chunks).at(-1)?.finish_reason).toBe("stop");
  });
});
