import type { Usage } from "../../schema/chat-completion";
import type { WireUsage } from "./wire";

/**
 * Anthropic usage → OpenAI's semantics. Anthropic's `input_tokens` excludes cached input, so
 * `prompt_tokens` = input + cache reads + cache writes; cache reads become `cached_tokens` and
 * writes `cache_write_tokens`. Thinking is already inside `output_tokens` (Anthropic reports no
 * separate count, so no `reasoning_tokens` is invented).
 *
 * When server-side compaction ran, the top-level numbers describe only the final sampling pass
 * and `iterations[]` lists every pass, all billed; we then sum the iterations
 * (stream-cache-read-compaction.sse: top level says 181 input, the passes 100 + 55096 cached + 181).
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#tracking-cache-performance
 * @see https://docs.anthropic.com/en/docs/build-with-claude/compaction
 */
export function mapUsage(usage: WireUsage): Usage {
  const passes = usage.iterations && usage.iterations.length > 0 ? usage.iterations : [usage];
  let input = 0;
  let cacheRead = 0;
  let cacheWrite = 0;
  let output = 0;
  for (const pass of passes) {
    input += pass.input_tokens ?? 0;
    cacheRead += pass.cache_read_input_tokens ?? 0;
    cacheWrite += pass.cache_creation_input_tokens ?? 0;
    output += pass.output_tokens ?? 0;
  }
  const prompt = input + cacheRead + cacheWrite;
  return {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: { cached_tokens: cacheRead, cache_write_tokens: cacheWrite },
  };
}

/**
 * Folds a stream's usage reports: `message_start` has the input side, each `message_delta`
 * the cumulative totals. A later non-null field wins; absent ones keep the earlier value
 * (stream-text.sse's message_delta carries only `output_tokens`).
 */
export function mergeUsage(earlier: WireUsage | undefined, later: WireUsage): WireUsage {
  if (earlier === undefined) return later;
  const merged: WireUsage = { ...earlier };
  for (const [key, value] of Object.entries(later)) {
    if (value !== null && value !== undefined) merged[key] = value;
  }
  return merged;
}
