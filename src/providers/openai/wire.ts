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
export type WireDelta = NonNullable<WireChunkChoice["delta"]>;

/*
 * Fast path. zod's safeParse was 8% of stream CPU (once per chunk) and up to 13% of request CPU
 * (once per body) in bench/RESULTS.md §3–4. The guards below check by hand exactly what the
 * schemas above check, field by field, and answer only "surely valid": anything else, including
 * every invalid input, goes to zod, so errors and odd cases are zod's as before. The input object
 * is returned as is; zod would return a shallow copy with the same values. Kept in step with the
 * schemas by test/unit/providers/openai/wire-guard.test.ts (every recording, plus a property test).
 */

type Loose = Record<string, unknown>;

/** What `z.looseObject` takes: any non-null, non-array object. */
const isObject = (v: unknown): v is Loose => typeof v === "object" && v !== null && !Array.isArray(v);
const isNullish = (v: unknown): v is null | undefined => v === null || v === undefined;
const isOptString = (v: unknown): boolean => isNullish(v) || typeof v === "string";
/** `z.number()` rejects NaN and ±Infinity. */
const isOptCount = (v: unknown): boolean => isNullish(v) || (typeof v === "number" && Number.isFinite(v));
/** `z.number().int()` wants a safe integer. */
const isOptIndex = (v: unknown): boolean => isNullish(v) || Number.isSafeInteger(v);

/** An indexed loop, not `every`: `every` skips holes, which zod reads as `undefined`. */
function isArrayOf(v: unknown, check: (item: unknown) => boolean): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!check(v[i])) return false;
  return true;
}

const isPromptDetails = (v: unknown): boolean =>
  isNullish(v) ||
  (isObject(v) &&
    isOptCount(v.cached_tokens) &&
    isOptCount(v.cache_write_tokens) &&
    isOptCount(v.audio_tokens));

const isCompletionDetails = (v: unknown): boolean =>
  isNullish(v) || (isObject(v) && isOptCount(v.reasoning_tokens) && isOptCount(v.audio_tokens));

const isOptUsage = (v: unknown): boolean =>
  isNullish(v) ||
  (isObject(v) &&
    isOptCount(v.prompt_tokens) &&
    isOptCount(v.completion_tokens) &&
    isOptCount(v.total_tokens) &&
    isOptCount(v.prompt_cache_hit_tokens) &&
    isPromptDetails(v.prompt_tokens_details) &&
    isCompletionDetails(v.completion_tokens_details));

const isToolCall = (v: unknown): boolean =>
  isObject(v) &&
  isOptIndex(v.index) &&
  isOptString(v.id) &&
  isOptString(v.type) &&
  (isNullish(v.function) ||
    (isObject(v.function) && isOptString(v.function.name) && isOptString(v.function.arguments)));

const isTypedText = (v: unknown): boolean => isObject(v) && typeof v.type === "string" && isOptString(v.text);

const isContentPart = (v: unknown): boolean =>
  isObject(v) &&
  typeof v.type === "string" &&
  isOptString(v.text) &&
  (isNullish(v.thinking) || isArrayOf(v.thinking, isTypedText));

const isReasoningDetail = (v: unknown): boolean => isObject(v) && typeof v.type === "string";

const isUnknown = (): boolean => true;

/** `wireMessageFields` on a value already known to be an object. */
const hasMessageFields = (m: Loose): boolean =>
  isOptString(m.role) &&
  (isOptString(m.content) || isArrayOf(m.content, isContentPart)) &&
  isOptString(m.refusal) &&
  isOptString(m.reasoning_content) &&
  isOptString(m.reasoning) &&
  (isNullish(m.reasoning_details) || isArrayOf(m.reasoning_details, isReasoningDetail)) &&
  (isNullish(m.tool_calls) || isArrayOf(m.tool_calls, isToolCall)) &&
  (isNullish(m.annotations) || isArrayOf(m.annotations, isUnknown));

const isChunkChoice = (v: unknown): boolean =>
  isObject(v) &&
  isOptIndex(v.index) &&
  (isNullish(v.delta) || (isObject(v.delta) && hasMessageFields(v.delta))) &&
  isOptString(v.finish_reason);

const isCompletionChoice = (v: unknown): boolean =>
  isObject(v) &&
  isOptIndex(v.index) &&
  isObject(v.message) &&
  hasMessageFields(v.message) &&
  isOptString(v.finish_reason);

/** A chunk zod would surely accept as is. In-band errors (`error` set) are rare: left to zod. */
export function isWireChunk(v: unknown): v is WireChunk {
  return (
    isObject(v) &&
    isOptString(v.id) &&
    isOptString(v.system_fingerprint) &&
    (isNullish(v.choices) || isArrayOf(v.choices, isChunkChoice)) &&
    isOptUsage(v.usage) &&
    (isNullish(v.x_groq) || (isObject(v.x_groq) && isOptUsage(v.x_groq.usage))) &&
    isNullish(v.error)
  );
}

/** A non-streamed body zod would surely accept as is. */
export function isWireCompletion(v: unknown): v is WireCompletion {
  return (
    isObject(v) &&
    isOptString(v.id) &&
    isOptString(v.system_fingerprint) &&
    isOptString(v.service_tier) &&
    isArrayOf(v.choices, isCompletionChoice) &&
    isOptUsage(v.usage)
  );
}

/** One SSE chunk: the guard's answer when it is sure, zod's (with its error) otherwise. */
export function parseWireChunk(json: unknown): z.ZodSafeParseResult<WireChunk> {
  return isWireChunk(json) ? { success: true, data: json } : wireChunkSchema.safeParse(json);
}

/** One non-streamed body: the guard's answer when it is sure, zod's (with its error) otherwise. */
export function parseWireCompletion(json: unknown): z.ZodSafeParseResult<WireCompletion> {
  return isWireCompletion(json) ? { success: true, data: json } : wireCompletionSchema.safeParse(json);
}
