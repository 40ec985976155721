import { describe, expect, it } from "vitest";
import { mapFinishReason } from "../../../../src/providers/google/finish-reason";

describe("google mapFinishReason", () => {
  it.each([
    ["STOP", false, "stop"],
    ["STOP", true, "tool_calls"],
    ["MAX_TOKENS", false, "length"],
    ["MAX_TOKENS", true, "length"],
    ["SAFETY", false, "content_filter"],
    ["RECITATION", false, "content_filter"],
    ["BLOCKLIST", false, "content_filter"],
    ["PROHIBITED_CONTENT", false, "content_filter"],
    ["SPII", false, "content_filter"],
    ["IMAGE_SAFETY", false, "content_filter"],
    ["MALFORMED_FUNCTION_CALL", false, "error"],
    ["UNEXPECTED_TOOL_CALL", true, "error"],
    ["LANGUAGE", false, "error"],
    ["OTHER", false, "error"],
    ["FINISH_REASON_UNSPECIFIED", false, "error"],
    ["SOMETHING_NEW", false, "error"],
  ] as const)("%s (tool call seen: %s) → %s", (raw, sawToolCall, expected) => {
    expect(mapFinishReason(raw, sawToolCall)).toBe(expected);
  });
});
