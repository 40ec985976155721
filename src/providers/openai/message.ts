/**
 * The pieces of a message or delta that vendors spell differently, read the same way for
 * complete messages (response.ts) and stream deltas (stream.ts).
 */
import type { ReasoningDetail } from "../../schema/chat-request";
import type { WireContentPart } from "./wire";

export interface SplitContent {
  content: string | undefined;
  reasoning: string | undefined;
}

/**
 * Mistral's Magistral sends `content` as an array of typed chunks: `{type:"thinking",
 * thinking:[{type:"text",text}]}` for reasoning, `{type:"text",text}` for the answer (fixture
 * mistral/stream-thinking.sse). Plain strings pass unchanged.
 */
export function splitContent(content: string | WireContentPart[] | null | undefined): SplitContent {
  if (content === null || content === undefined) return { content: undefined, reasoning: undefined };
  if (typeof content === "string") return { content, reasoning: undefined };
  let text: string | undefined;
  let reasoning: string | undefined;
  for (const part of content) {
    if (part.type === "thinking") {
      for (const inner of part.thinking ?? []) reasoning = (reasoning ?? "") + (inner.text ?? "");
    } else if (part.type === "text") {
      text = (text ?? "") + (part.text ?? "");
    }
  }
  return { content: text, reasoning };
}

/** DeepSeek and xAI say `reasoning_content`; Ollama, Groq, vLLM and OpenRouter say `reasoning`. */
export function reasoningOf(wire: {
  reasoning_content?: string | null | undefined;
  reasoning?: string | null | undefined;
}): string | undefined {
  return wire.reasoning_content ?? wire.reasoning ?? undefined;
}

/** OpenRouter upstreams send structured reasoning; kept verbatim so clients can send it back. */
export function reasoningDetailsOf(
  details: readonly Record<string, unknown>[] | null | undefined,
): ReasoningDetail[] | undefined {
  if (!details || details.length === 0) return undefined;
  return details.filter((d): d is ReasoningDetail => typeof d.type === "string");
}

/**
 * Plain reasoning text as the `reasoning_details` API.md b6 requires beside it: one
 * `reasoning.text` item (index 0, one reasoning block per choice), shaped as OpenRouter emits it
 * for a provider that reasons in plain text — `format: null`, there being no signed format to name
 * (fixture openrouter/stream-mid-stream-error.sse, Minimax).
 */
export function plainReasoningDetails(text: string): ReasoningDetail[] {
  return [{ type: "reasoning.text", text, index: 0, format: null }];
}

/** Whether the client asked not to see reasoning (`reasoning.exclude`, legacy `include_reasoning:false`). */
export function reasoningExcluded(req: {
  reasoning?: { exclude?: boolean | undefined } | undefined;
  include_reasoning?: boolean | undefined;
}): boolean {
  return req.reasoning?.exclude === true || req.include_reasoning === false;
}
