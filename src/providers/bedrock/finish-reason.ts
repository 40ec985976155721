import type { FinishReason } from "../../schema/chat-completion";

/**
 * Bedrock `stopReason` → OpenAI finish reason. The raw value travels on as `native_finish_reason`.
 * Unknown future reasons read as `stop`: the message did end, and an error is never a finish reason.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html (StopReason)
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_MessageStopEvent.html
 */
const STOP_REASONS: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  guardrail_intervened: "content_filter",
  content_filtered: "content_filter",
  malformed_model_output: "error",
  malformed_tool_use: "error",
};

export function mapFinishReason(stopReason: string | null | undefined): FinishReason {
  return (stopReason ? STOP_REASONS[stopReason] : undefined) ?? "stop";
}
