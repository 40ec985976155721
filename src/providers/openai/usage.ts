import type { Usage } from "../../schema/chat-completion";
import type { WireUsage } from "./wire";

type PromptDetails = NonNullable<Usage["prompt_tokens_details"]>;
type CompletionDetails = NonNullable<Usage["completion_tokens_details"]>;

/**
 * A vendor's usage → OpenAI's semantics: `prompt_tokens` counts every input token (cache reads
 * included), `completion_tokens` every output token (reasoning included), and the total is
 * recomputed as their sum so it is never inconsistent. `cost` is never copied: the gateway prices
 * usage itself (OpenRouter upstreams send one).
 */
export function normalizeUsage(wire: WireUsage): Usage {
  const prompt = wire.prompt_tokens ?? 0;
  const reasoning = wire.completion_tokens_details?.reasoning_tokens ?? 0;
  let completion = wire.completion_tokens ?? 0;
  // xAI counts reasoning outside completion_tokens: total = prompt + completion + reasoning
  // (fixtures xai/chat-reasoning.json: 12 + 2 + 320 = 334, xai/stream-tool-call-reasoning.chunks.jsonl).
  if (reasoning > 0 && wire.total_tokens === prompt + completion + reasoning) completion += reasoning;

  const promptDetails: PromptDetails = {
    // DeepSeek names cache reads prompt_cache_hit_tokens (fixture deepseek/chat-reasoning.json).
    cached_tokens: wire.prompt_tokens_details?.cached_tokens ?? wire.prompt_cache_hit_tokens ?? 0,
  };
  const cacheWrite = wire.prompt_tokens_details?.cache_write_tokens;
  if (cacheWrite) promptDetails.cache_write_tokens = cacheWrite;
  const audioIn = wire.prompt_tokens_details?.audio_tokens;
  if (audioIn) promptDetails.audio_tokens = audioIn;

  const completionDetails: CompletionDetails = { reasoning_tokens: reasoning };
  const audioOut = wire.completion_tokens_details?.audio_tokens;
  if (audioOut) completionDetails.audio_tokens = audioOut;

  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: promptDetails,
    completion_tokens_details: completionDetails,
  };
}
