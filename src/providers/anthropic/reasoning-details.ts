import type { ReasoningDetail } from "../../schema/chat-request";

/** The `format` of the reasoning_details we emit, and the only one Anthropic can take back (API.md b6). */
export const REASONING_FORMAT = "anthropic-claude-v1";

/**
 * A `thinking` block (or a streamed piece of one) as a `reasoning.text` detail. `index` counts
 * reasoning blocks only, so a client can join streamed pieces by it and send them back in order.
 */
export function reasoningText(index: number, text: string | undefined, signature?: string): ReasoningDetail {
  const detail: ReasoningDetail = { type: "reasoning.text", format: REASONING_FORMAT, index };
  if (text !== undefined) detail.text = text;
  if (signature !== undefined) detail.signature = signature;
  return detail;
}

/** A `redacted_thinking` block: opaque, encrypted by Anthropic, to be returned verbatim. */
export function reasoningEncrypted(index: number, data: string): ReasoningDetail {
  return { type: "reasoning.encrypted", data, format: REASONING_FORMAT, index };
}
