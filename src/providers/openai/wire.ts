/**
 * What OpenAI-dialect vendors send back, read leniently: loose objects and `.nullish()`
 * everywhere, because each vendor adds fields (`x_groq`, `obfuscation`, `content_filter_results`,
 * `prompt_cache_hit_tokens`, `num_sources_used` …) and leaves others out (Ollama has no `logprobs`,
 * Mistral no tool-call `index`). Only what we translate is named here.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/object
 * @see https://platform.openai.com/docs/api-reference/chat-streaming/streaming
 */
import { z } from "zod";

const count = z.number().nullish();

export const wireUsageSchema = z.looseObject({
  prompt_tokens: count,
  completion_tokens: count,
  total_tokens: count,
  prompt_tokens_details: z
    .looseObject({ cached_tokens: count, cache_write_tokens: count, audio_tokens: count })
    .nullish(),
  completion_tokens_details: z.looseObject({ reasoning_tokens: count, audio_tokens: count }).nullish(),
  /** DeepSeek's name for cache reads (fixture deepseek/chat-reasoning.json). */
  prompt_cache_hit_tokens: count,
});
export type WireUsage = z.infer<typeof wireUsageSchema>;

export const wireToolCallSchema = z.looseObject({
  /** Absent on Mistral, which sends whole calls without it (fixture mistral/stream-tool-call.chunks.jsonl). */
  index: z.number().int().nullish(),
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z.looseObject({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});
export type WireToolCall = z.infer<typeof wireToolCallSchema>;

/** Mistral's typed content chunks (fixture mistral/stream-thinking.sse). */
const wireContentPartSchema = z.looseObject({
  type: z.string(),
  text: z.string().nullish(),
  thinking: z.array(z.looseObject({ type: z.string(), text: z.string().nullish() })).nullish(),
});
export type WireContentPart = z.infer<typeof wireContentPartSchema>;
export const wireContentSchema = z.union([z.string(), z.array(wireContentPartSchema)]).nullish();

const wireReasoningDetailSchema = z.looseObject({ type: z.string() });

/** Fields shared by `message` (non-streaming) and `delta` (streaming). */
const wireMessageFields = {
  role: z.string().nullish(),
  content: wireContentSchema,
  refusal: z.string().nullish(),
  /** DeepSeek and xAI. */
  reasoning_content: z.string().nullish(),
  /** Ollama, Groq, vLLM, OpenRouter. */
  reasoning: z.string().nullish(),
  /** OpenRouter upstreams: kept verbatim so clients can send them back. */
  reasoning_details: z.array(wireReasoningDetailSchema).nullish(),
  tool_calls: z.array(wireToolCallSchema).nullish(),
  annotations: z.array(z.unknown()).nullish(),
};

/** An in-band error: OpenRouter's `{code: 429, message, metadata}` or OpenAI/Groq's `{type, code, message}`. */
export const wireErrorSchema = z.looseObject({
  message: z.unknown().optional(),
  type: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
  param: z.string().nullish(),
  status_code: z.number().nullish(),
  metadata: z
    .looseObject({
      error_type: z.string().nullish(),
      raw: z.unknown().optional(),
      provider_name: z.string().nullish(),
      provider_code: z.union([z.string(), z.number()]).nullish(),
    })
    .nullish(),
});
export type WireError = z.infer<typeof wireErrorSchema>;

export const wireCompletionSchema = z.looseObject({
  id: z.string().nullish(),
  system_fingerprint: z.string().nullish(),
  service_tier: z.string().nullish(),
  choices: z.array(
    z.looseObject({
      index: z.number().int().nullish(),
      message: z.looseObject(wireMessageFields),
      finish_reason: z.string().nullish(),
      logprobs: z.unknown().optional(),
    }),
  ),
  usage: wireUsageSchema.nullish(),
});
export type WireCompletion = z.infer<typeof wireCompletionSchema>;

export const wireChunkSchema = z.looseObject({
  id: z.string().nullish(),
  system_fingerprint: z.string().nullish(),
  /** Empty on usage-only chunks and on Azure's leading `prompt_filter_results` chunk. */
  choices: z
    .array(
      z.looseObject({
        index: z.number().int().nullish(),
        delta: z.looseObject(wireMessageFields).nullish(),
        finish_reason: z.string().nullish(),
        logprobs: z.unknown().optional(),
      }),
    )
    .nullish(),
  usage: wireUsageSchema.nullish(),
  /** Groq repeats usage here (fixture groq/stream-tool-call.chunks.jsonl). */
  x_groq: z.looseObject({ usage: wireUsageSchema.nullish() }).nullish(),
  /** OpenRouter's mid-stream error on an HTTP 200 (fixture openrouter/stream-mid-stream-error.sse). */
  error: wireErrorSchema.nullish(),
});
export type WireChunk = z.infer<typeof wireChunkSchema>;
export type WireChunkChoice = NonNullable<WireChunk["choices"]>[number];
