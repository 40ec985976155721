import type { Usage } from "../../schema/chat-completion";
import type { UsageWire } from "./wire";

/**
 * Bedrock usage → OpenAI's. Bedrock's `inputTokens` excludes cache reads and writes (fixtures
 * converse-cache-read.json / converse-cache-write.json: inputTokens 2 + cacheRead 1322 + output 5
 * = totalTokens 1329), so they are added back: `prompt_tokens` counts every input token.
 * Bedrock reports no reasoning-token split; reasoning is inside `outputTokens`.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_TokenUsage.html
 */
export function mapUsage(usage: UsageWire): Usage {
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  const prompt = (usage.inputTokens ?? 0) + cacheRead + cacheWrite;
  const completion = usage.outputTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: {
      cached_tokens: cacheRead,
      ...(cacheWrite > 0 ? { cache_write_tokens: cacheWrite } : {}),
    },
  };
}
