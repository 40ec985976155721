import type { FinishReason } from "../../schema/chat-completion";

/**
 * Vendor finish reasons → OpenAI's. OpenAI's own values pass unchanged; the raw value always
 * travels beside the unified one as `native_finish_reason`.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices
 * @see https://docs.mistral.ai/api/#tag/chat (finish_reason: stop | length | model_length | error | tool_calls)
 * @see https://api-docs.deepseek.com/api/create-chat-completion (… | insufficient_system_resource)
 * @see https://docs.vllm.ai/en/latest/ (vLLM: stop | length | abort)
 */
const FINISH_REASONS: Record<string, FinishReason> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool_calls",
  content_filter: "content_filter",
  function_call: "tool_calls", // legacy functions API
  eos: "stop",
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_length: "length", // Mistral: the context window filled up
  tool_use: "tool_calls",
  safety: "content_filter",
  recitation: "content_filter",
  error: "error", // Mistral, OpenRouter
  abort: "error", // vLLM
  insufficient_system_resource: "error", // DeepSeek: generation was interrupted
};

/**
 * `raw` is the vendor's value; `hadToolCalls` says whether the choice carried tool calls, because
 * xAI (and some local servers) answer a tool call with `stop` (API.md §c.5, vercel/ai#12218).
 * Unknown reasons become `stop`: the answer did end, and the raw value is kept.
 */
export function mapFinishReason(raw: string, hadToolCalls: boolean): FinishReason {
  const unified = FINISH_REASONS[raw.toLowerCase()] ?? "stop";
  return unified === "stop" && hadToolCalls ? "tool_calls" : unified;
}
