import { describe, expect, it } from "vitest";
import { mapFinishReason } from "../../../../src/providers/anthropic/finish-reason";

describe("mapFinishReason", () => {
  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["pause_turn", "stop"],
    ["max_tokens", "length"],
    ["model_context_window_exceeded", "length"],
    ["tool_use", "tool_calls"],
    ["refusal", "content_filter"],
    ["something_new", "stop"],
  ] as const)("%s → %s", (raw, unified) => {
    expect(mapFinishReason(raw)).toBe(unified);
  });
});
