import type { FinishReason } from "../../schema/chat-completion";

/**
 * Anthropic `stop_reason` → OpenAI `finish_reason`. The raw value travels beside it as
 * `native_finish_reason`. `pause_turn` (a server tool paused a long turn) is a normal end
 * of this response from the client's point of view. Unknown future reasons count as `stop`.
 *
 * @see https://docs.anthropic.com/en/api/handling-stop-reasons
 */
const FINISH_REASONS: Readonly<Record<string, FinishReason>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

export function mapFinishReason(stopReason: string): FinishReason {
  return FINISH_REASONS[stopReason] ?? "stop";
}
