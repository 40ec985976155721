import type { FinishReason } from "../../schema/chat-completion";

/**
 * Gemini's `finishReason` → OpenAI's five values. Gemini says STOP even when the answer is a
 * function call (fixture generate-function-call.json), so the caller says whether it saw one.
 * Reasons that are neither a normal end nor a filter (a malformed function call, an unsupported
 * language, OTHER, and values added after this table) become `error`; the raw value is kept as
 * `native_finish_reason` either way.
 *
 * @see https://ai.google.dev/api/generate-content#FinishReason
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/GenerateContentResponse#FinishReason
 */
const FINISH_REASONS: Record<string, FinishReason> = {
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  IMAGE_SAFETY: "content_filter",
  IMAGE_PROHIBITED_CONTENT: "content_filter",
  IMAGE_RECITATION: "content_filter",
  LANGUAGE: "error",
  OTHER: "error",
  MALFORMED_FUNCTION_CALL: "error",
  UNEXPECTED_TOOL_CALL: "error",
  TOO_MANY_TOOL_CALLS: "error",
  MISSING_THOUGHT_SIGNATURE: "error",
  MALFORMED_RESPONSE: "error",
  IMAGE_OTHER: "error",
  NO_IMAGE: "error",
  FINISH_REASON_UNSPECIFIED: "error",
};

export function mapFinishReason(raw: string, sawToolCall: boolean): FinishReason {
  const unified = FINISH_REASONS[raw] ?? "error";
  return unified === "stop" && sawToolCall ? "tool_calls" : unified;
}
