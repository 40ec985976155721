import type { Usage } from "../../schema/chat-completion";
import type { WireUsage } from "./wire";

/**
 * `usageMetadata` → OpenAI usage. Gemini counts thinking apart from the answer
 * (`candidatesTokenCount` excludes `thoughtsTokenCount`) but bills both as output, and its
 * `promptTokenCount` already includes the cached tokens (`cachedContentTokenCount` is a subset;
 * fixture generate-cached-content-tokens.json: 17713 + 68 + 821 = totalTokenCount 18602).
 * Tool-use prompt tokens (code execution, search) are input too.
 * Undefined when Gemini sent no counts yet (Vertex sends `{trafficType}` alone mid-stream).
 *
 * @see https://ai.google.dev/api/generate-content#UsageMetadata
 */
export function toUsage(wire: WireUsage | null | undefined): Usage | undefined {
  if (!wire || (wire.promptTokenCount == null && wire.candidatesTokenCount == null)) return undefined;
  const prompt = (wire.promptTokenCount ?? 0) + (wire.toolUsePromptTokenCount ?? 0);
  const reasoning = wire.thoughtsTokenCount ?? 0;
  const completion = (wire.candidatesTokenCount ?? 0) + reasoning;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: wire.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}
