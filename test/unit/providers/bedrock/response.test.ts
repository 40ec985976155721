/** Converse (non-streaming) bodies: the recordings' usage, and the block kinds no recording has. */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { bedrockAdapter } from "../../../../src/providers/bedrock";
import type { ChatRequest } from "../../../../src/schema/chat-request";
import { fixtureJson } from "../../../conformance/fixtures";
import { bedrockTarget } from "./target";

const request: ChatRequest = { model: "m", messages: [{ role: "user", content: "hi" }] };
const ctx = { request, target: bedrockTarget() };

describe("bedrock fromProviderResponse", () => {
  it.each([
    ["converse-cache-read", { cached_tokens: 1322 }],
    ["converse-cache-write", { cached_tokens: 0, cache_write_tokens: 1322 }],
  ])("%s: prompt_tokens include the cache", (name, details) => {
    const out = bedrockAdapter.fromProviderResponse(fixtureJson(`bedrock/${name}.json`), ctx);
    expect(out.usage).toEqual({
      prompt_tokens: 1324,
      completion_tokens: 5,
      total_tokens: 1329,
      prompt_tokens_details: details,
    });
    expect(out.choices[0]).toMatchObject({
      message: { role: "assistant", content: "21" },
      finish_reason: "stop",
      native_finish_reason: "end_turn",
    });
  });

  it("reads reasoning (signed and redacted) and tool calls", () => {
    const out = bedrockAdapter.fromProviderResponse(
      {
        output: {
          message: {
            role: "assistant",
            content: [
              { reasoningContent: { reasoningText: { text: "Need the weather.", signature: "SIG" } } },
              { reasoningContent: { redactedContent: "QUJD" } },
              { text: "Checking." },
              { toolUse: { toolUseId: "tooluse_1", name: "get_weather", input: { location: "Paris" } } },
            ],
          },
        },
        stopReason: "tool_use",
        usage: { inputTokens: 10, outputTokens: 20, totalTokens: 30 },
      },
      ctx,
    );
    expect(out.choices[0]).toEqual({
      index: 0,
      message: {
        role: "assistant",
        content: "Checking.",
        refusal: null,
        reasoning: "Need the weather.",
        reasoning_details: [
          {
            type: "reasoning.text",
            text: "Need the weather.",
            signature: "SIG",
            format: "anthropic-claude-v1",
            index: 0,
          },
          { type: "reasoning.encrypted", data: "QUJD", format: "anthropic-claude-v1", index: 1 },
        ],
        tool_calls: [
          {
            id: "tooluse_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"location":"Paris"}' },
          },
        ],
      },
      finish_reason: "tool_calls",
      native_finish_reason: "tool_use",
      logprobs: null,
    });
  });

  it("gives content null for a tool-only answer", () => {
    const out = bedrockAdapter.fromProviderResponse(
      {
        output: { message: { content: [{ toolUse: { toolUseId: "t", name: "f", input: {} } }] } },
        stopReason: "tool_use",
      },
      ctx,
    );
    expect(out.choices[0]?.message.content).toBeNull();
    expect(out.usage).toBeUndefined();
  });

  // A parameterless tool's call must still carry arguments clients can JSON.parse.
  it.each([
    ["input {}", { input: {} }],
    ["input null", { input: null }],
    ["no input", {}],
  ])("gives a parameterless tool call (%s) arguments {}", (_, input) => {
    const out = bedrockAdapter.fromProviderResponse(
      {
        output: { message: { content: [{ toolUse: { toolUseId: "t", name: "now", ...input } }] } },
        stopReason: "tool_use",
      },
      ctx,
    );
    expect(out.choices[0]?.message.tool_calls?.[0]?.function.arguments).toBe("{}");
  });

  it("rejects an unreadable body with a retryable 502", () => {
    expect(() =>
      bedrockAdapter.fromProviderResponse({ output: { message: { content: "nope" } } }, ctx),
    ).toThrow(GatewayError);
  });
});
