import { describe, expect, it } from "vitest";
import { mapFinishReason } from "../../../../src/providers/openai/finish-reason";
import { normalizeUsage } from "../../../../src/providers/openai/usage";
import type { WireUsage } from "../../../../src/providers/openai/wire";

describe("mapFinishReason", () => {
  it.each([
    ["stop", false, "stop"],
    ["length", false, "length"],
    ["tool_calls", true, "tool_calls"],
    ["content_filter", false, "content_filter"],
    ["function_call", true, "tool_calls"],
    ["model_length", false, "length"], // Mistral
    ["eos", false, "stop"], // vLLM / TGI
    ["end_turn", false, "stop"],
    ["tool_use", true, "tool_calls"],
    ["error", false, "error"], // Mistral
    ["abort", false, "error"], // vLLM
    ["insufficient_system_resource", false, "error"], // DeepSeek
    ["stop", true, "tool_calls"], // xAI answers a tool call with stop (API.md §c.5)
    ["something_new", false, "stop"],
    ["STOP", false, "stop"],
  ] as const)("%s (tool calls: %s) → %s", (raw, hadToolCalls, expected) => {
    expect(mapFinishReason(raw, hadToolCalls)).toBe(expected);
  });
});

describe("normalizeUsage", () => {
  it.each<[string, WireUsage, ReturnType<typeof normalizeUsage>]>([
    [
      "OpenAI",
      {
        prompt_tokens: 16,
        completion_tokens: 300,
        total_tokens: 316,
        prompt_tokens_details: { cached_tokens: 4, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 64 },
      },
      {
        prompt_tokens: 16,
        completion_tokens: 300,
        total_tokens: 316,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 64 },
      },
    ],
    [
      "DeepSeek prompt_cache_hit_tokens",
      { prompt_tokens: 339, completion_tokens: 83, total_tokens: 422, prompt_cache_hit_tokens: 320 },
      {
        prompt_tokens: 339,
        completion_tokens: 83,
        total_tokens: 422,
        prompt_tokens_details: { cached_tokens: 320 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    ],
    [
      "xAI reasoning outside completion_tokens",
      {
        prompt_tokens: 291,
        completion_tokens: 26,
        total_tokens: 513,
        prompt_tokens_details: { cached_tokens: 290 },
        completion_tokens_details: { reasoning_tokens: 196 },
      },
      {
        prompt_tokens: 291,
        completion_tokens: 222,
        total_tokens: 513,
        prompt_tokens_details: { cached_tokens: 290 },
        completion_tokens_details: { reasoning_tokens: 196 },
      },
    ],
    [
      "a wrong total is recomputed from its parts",
      { prompt_tokens: 10, completion_tokens: 232, total_tokens: 999 },
      {
        prompt_tokens: 10,
        completion_tokens: 232,
        total_tokens: 242,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    ],
    [
      "OpenRouter upstream: cost dropped, cache writes kept",
      {
        prompt_tokens: 43,
        completion_tokens: 36,
        total_tokens: 79,
        cost: 0.0006,
        prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 12 },
      } as WireUsage,
      {
        prompt_tokens: 43,
        completion_tokens: 36,
        total_tokens: 79,
        prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 12 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    ],
  ])("%s", (_name, wire, expected) => {
    expect(normalizeUsage(wire)).toEqual(expected);
  });
});
