/**
 * What the gateway emits for chat completions: OpenAI's `chat.completion` and
 * `chat.completion.chunk` plus OpenRouter's fields (`provider`, `native_finish_reason`,
 * `reasoning`, `reasoning_details`, `usage.cost`). Declared as zod so the OpenAPI document
 * is generated from the same shapes the code is typed by.
 */
import { z } from "@hono/zod-openapi";
import { reasoningDetailSchema, toolCallSchema } from "./chat-request";
import { routerMetadataSchema } from "./router-metadata";

/** The only finish reasons clients see; the provider's own is kept in `native_finish_reason`. */
export const FINISH_REASONS = ["stop", "length", "tool_calls", "content_filter", "error"] as const;
export const finishReasonSchema = z.enum(FINISH_REASONS);
export type FinishReason = z.infer<typeof finishReasonSchema>;

export const usageSchema = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  prompt_tokens_details: z
    .object({
      cached_tokens: z.number().int(),
      cache_write_tokens: z.number().int().optional(),
      audio_tokens: z.number().int().optional(),
    })
    .optional(),
  completion_tokens_details: z
    .object({
      reasoning_tokens: z.number().int(),
      audio_tokens: z.number().int().optional(),
      image_tokens: z.number().int().optional(),
    })
    .optional(),
  /** USD charged for this request. */
  cost: z.number().optional(),
  is_byok: z.boolean().optional(),
  cost_details: z
    .object({
      upstream_inference_cost: z.number().nullable(),
      upstream_inference_prompt_cost: z.number(),
      upstream_inference_completions_cost: z.number(),
    })
    .optional(),
  /** Switchyard: true when the provider reported no usage and the gateway counted tokens itself. */
  estimated: z.boolean().optional(),
});
export type Usage = z.infer<typeof usageSchema>;

export const assistantMessageSchema = z.object({
  role: z.literal("assistant"),
  content: z.string().nullable(),
  refusal: z.string().nullable().optional(),
  reasoning: z.string().nullable().optional(),
  reasoning_details: z.array(reasoningDetailSchema).optional(),
  tool_calls: z.array(toolCallSchema).optional(),
  annotations: z.array(z.unknown()).optional(),
});
export type AssistantMessage = z.infer<typeof assistantMessageSchema>;

const choiceErrorSchema = z.object({
  code: z.number().int(),
  message: z.string(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const choiceSchema = z.object({
  index: z.number().int(),
  message: assistantMessageSchema,
  finish_reason: finishReasonSchema.nullable(),
  native_finish_reason: z.string().nullable(),
  logprobs: z.unknown().nullable(),
  error: choiceErrorSchema.optional(),
});
export type Choice = z.infer<typeof choiceSchema>;

export const chatCompletionSchema = z
  .object({
    id: z.string().openapi({ example: "gen-1739458867-kUKFjpDGCEBBvK6V46PX" }),
    object: z.literal("chat.completion"),
    created: z.number().int(),
    model: z.string().openapi({ description: "The model that served the request." }),
    provider: z.string().openapi({ description: "Display name of the provider that served it." }),
    system_fingerprint: z.string().nullable().optional(),
    service_tier: z.string().nullable().optional(),
    choices: z.array(choiceSchema),
    usage: usageSchema,
    /** Only with `X-OpenRouter-Metadata: enabled`. */
    openrouter_metadata: routerMetadataSchema.optional(),
  })
  .openapi("ChatCompletion");
export type ChatCompletion = z.infer<typeof chatCompletionSchema>;

export const toolCallDeltaSchema = z.object({
  index: z.number().int(),
  id: z.string().optional(),
  type: z.literal("function").optional(),
  function: z.object({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
});
export type ToolCallDelta = z.infer<typeof toolCallDeltaSchema>;

export const deltaSchema = z.object({
  role: z.literal("assistant").optional(),
  content: z.string().nullable().optional(),
  refusal: z.string().nullable().optional(),
  reasoning: z.string().nullable().optional(),
  reasoning_details: z.array(reasoningDetailSchema).optional(),
  tool_calls: z.array(toolCallDeltaSchema).optional(),
});
export type Delta = z.infer<typeof deltaSchema>;

export const chunkChoiceSchema = z.object({
  index: z.number().int(),
  delta: deltaSchema,
  finish_reason: finishReasonSchema.nullable(),
  native_finish_reason: z.string().nullable(),
  logprobs: z.unknown().nullable().optional(),
});
export type ChunkChoice = z.infer<typeof chunkChoiceSchema>;

export const chatCompletionChunkSchema = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion.chunk"),
    created: z.number().int(),
    model: z.string(),
    provider: z.string(),
    system_fingerprint: z.string().nullable().optional(),
    choices: z.array(chunkChoiceSchema),
    usage: usageSchema.optional(),
    error: choiceErrorSchema.optional(),
    /** On the final usage chunk only, with `X-OpenRouter-Metadata: enabled`. */
    openrouter_metadata: routerMetadataSchema.optional(),
    /**
     * With `debug.echo_upstream_body`, on a leading chunk with `choices: []` per provider
     * attempted: the body sent to it, parsed, secrets redacted.
     */
    debug: z.object({ echo_upstream_body: z.unknown() }).optional(),
  })
  .openapi("ChatCompletionChunk");
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;
