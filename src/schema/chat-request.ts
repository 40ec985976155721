/**
 * The body of `POST /api/v1/chat/completions`: OpenAI's chat request plus OpenRouter's
 * extensions (API.md b2–b6). Strict on shape and ranges so a bad request is a 400 naming
 * the field; loose objects where OpenAI-dialect providers accept fields we do not model
 * (those pass through untouched).
 */
import { z } from "@hono/zod-openapi";

const cacheControl = z.looseObject({ type: z.literal("ephemeral"), ttl: z.enum(["5m", "1h"]).optional() });

export const textPartSchema = z.looseObject({
  type: z.literal("text"),
  text: z.string(),
  cache_control: cacheControl.optional(),
});
export const imagePartSchema = z.looseObject({
  type: z.literal("image_url"),
  image_url: z.looseObject({ url: z.string().min(1), detail: z.enum(["auto", "low", "high"]).optional() }),
});
/** Audio, files (PDF), video: passed to providers that take them, otherwise dropped whole. */
const otherPartSchema = z.looseObject({ type: z.enum(["input_audio", "file", "video_url", "input_video"]) });
export const contentPartSchema = z.discriminatedUnion("type", [
  textPartSchema,
  imagePartSchema,
  otherPartSchema,
]);
export type ContentPart = z.infer<typeof contentPartSchema>;
export type TextPart = z.infer<typeof textPartSchema>;

const content = z.union([z.string(), z.array(contentPartSchema)]);

export const toolCallSchema = z.looseObject({
  id: z.string(),
  type: z.literal("function").default("function"),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

/** One item of `reasoning_details[]`; kept verbatim so clients can send them back (API.md b6). */
export const reasoningDetailSchema = z.looseObject({
  type: z.string(),
  id: z.string().nullish(),
  format: z.string().nullish(),
  index: z.number().int().optional(),
  text: z.string().nullish(),
  summary: z.string().nullish(),
  data: z.string().nullish(),
  signature: z.string().nullish(),
});
export type ReasoningDetail = z.infer<typeof reasoningDetailSchema>;

export const messageSchema = z.discriminatedUnion("role", [
  z.looseObject({ role: z.literal("system"), content, name: z.string().optional() }),
  z.looseObject({ role: z.literal("developer"), content, name: z.string().optional() }),
  z.looseObject({ role: z.literal("user"), content, name: z.string().optional() }),
  z.looseObject({
    role: z.literal("assistant"),
    content: content.nullish(),
    name: z.string().optional(),
    tool_calls: z.array(toolCallSchema).optional(),
    refusal: z.string().nullish(),
    reasoning: z.string().nullish(),
    reasoning_content: z.string().nullish(),
    reasoning_details: z.array(reasoningDetailSchema).optional(),
  }),
  z.looseObject({ role: z.literal("tool"), content, tool_call_id: z.string() }),
]);
export type Message = z.infer<typeof messageSchema>;

export const toolSchema = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().min(1).max(64),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});
export type Tool = z.infer<typeof toolSchema>;

export const toolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
]);
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

export const responseFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string(),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof responseFormatSchema>;

const QUANTIZATIONS = [
  "int4",
  "int8",
  "fp4",
  "mxfp4",
  "nvfp4",
  "fp6",
  "fp8",
  "mxfp8",
  "fp16",
  "bf16",
  "fp32",
  "unknown",
] as const;
export const SORT_KEYS = ["price", "throughput", "latency", "exacto"] as const;

const percentiles = z.union([
  z.number().nonnegative(),
  z.object({ p50: z.number(), p75: z.number(), p90: z.number(), p99: z.number() }).partial(),
]);

/** `provider` routing preferences (API.md b3). */
export const providerPreferencesSchema = z.looseObject({
  order: z.array(z.string()).optional(),
  allow_fallbacks: z.boolean().optional(),
  require_parameters: z.boolean().optional(),
  data_collection: z.enum(["allow", "deny"]).optional(),
  zdr: z.boolean().optional(),
  enforce_distillable_text: z.boolean().optional(),
  only: z.array(z.string()).optional(),
  ignore: z.array(z.string()).optional(),
  quantizations: z.array(z.enum(QUANTIZATIONS)).optional(),
  sort: z
    .union([
      z.enum(SORT_KEYS),
      z.object({ by: z.enum(SORT_KEYS), partition: z.enum(["model", "none"]).optional() }),
    ])
    .optional(),
  preferred_min_throughput: percentiles.optional(),
  preferred_max_latency: percentiles.optional(),
  max_price: z
    .object({
      prompt: z.number().nonnegative(),
      completion: z.number().nonnegative(),
      request: z.number().nonnegative(),
      image: z.number().nonnegative(),
      audio: z.number().nonnegative(),
    })
    .partial()
    .optional(),
});
export type ProviderPreferences = z.infer<typeof providerPreferencesSchema>;

/** A field OpenAI's schema lets be null where ours has it optional: null reads as not set. */
function unsetIfNull<T extends z.ZodType>(schema: T) {
  return schema
    .nullable()
    .transform((value): z.output<T> | undefined => value ?? undefined)
    .optional();
}

export const reasoningSchema = z.looseObject({
  effort: z.enum(["max", "xhigh", "high", "medium", "low", "minimal", "none"]).optional(),
  max_tokens: z.number().int().positive().optional(),
  exclude: z.boolean().optional(),
  enabled: z.boolean().optional(),
  summary: z.enum(["auto", "concise", "detailed"]).optional(),
});
export type Reasoning = z.infer<typeof reasoningSchema>;

/**
 * One of OpenRouter's plugins (API.md b2). The id stays a string: `enabled: false` turns any entry
 * off, known id or not, and an enabled one this gateway cannot honour gets an error of its own
 * (routing/plugins.ts), not a schema error.
 */
const pluginSchema = z.looseObject({ id: z.string(), enabled: z.boolean().optional() });

const PLUGINS_DESCRIPTION = [
  "OpenRouter's plugins. Served here: `context-compression` (middle-out; `engine` defaults to",
  "`middle-out`) and `response-healing` (the JSON in a non-streamed answer to a `json_object` or",
  "`json_schema` request is repaired; a stream is never healed). Not offered, and refused with a 404",
  "whose `error.availability.excluded_by` says why: `web` (`web_search`, as the `:online` variant),",
  "`web-fetch`, `file-parser`, `moderation`, `auto-router`, `auto-beta-router`, `pareto-router`,",
  "`fusion`, `switchyard-router` (`plugin:<id>`). Any other id is a 400. `enabled: false` turns any",
  "entry off.",
].join(" ");

const modelId = z.string().min(1).max(200);

export const chatRequestSchema = z
  .looseObject({
    model: modelId.optional(),
    models: z.array(modelId).min(1, "models must name at least one model").max(16).optional(),
    messages: z.array(messageSchema).min(1, "messages must contain at least one message"),
    stream: z.boolean().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().gt(0).max(1).nullish(),
    top_k: z.number().int().min(0).nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    repetition_penalty: z.number().gt(0).max(2).nullish(),
    min_p: z.number().min(0).max(1).nullish(),
    top_a: z.number().min(0).max(1).nullish(),
    seed: z.number().int().nullish(),
    logit_bias: z.record(z.string(), z.number()).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    n: z.number().int().min(1).max(8).nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
    response_format: responseFormatSchema.optional(),
    tools: z.array(toolSchema).optional(),
    tool_choice: toolChoiceSchema.optional(),
    parallel_tool_calls: z.boolean().nullish(),
    // OpenAI's schema takes null for these (anyOf [..., null]): null means not set.
    prediction: unsetIfNull(z.looseObject({ type: z.literal("content"), content: z.unknown() })),
    user: z.string().max(256).optional(),
    metadata: unsetIfNull(
      z
        .record(z.string().max(64), z.string().max(512))
        .refine((pairs) => Object.keys(pairs).length <= 16, "at most 16 key-value pairs"),
    ),
    modalities: unsetIfNull(z.array(z.enum(["text", "image", "audio"]))),
    service_tier: z.string().nullish(),
    verbosity: unsetIfNull(z.string()),
    // OpenRouter extensions
    route: z.enum(["fallback", "sort"]).optional(),
    provider: providerPreferencesSchema.optional(),
    plugins: z.array(pluginSchema).optional().openapi({ description: PLUGINS_DESCRIPTION }),
    transforms: z.array(z.string()).optional(),
    reasoning: reasoningSchema.optional(),
    reasoning_effort: unsetIfNull(reasoningSchema.shape.effort.unwrap()),
    include_reasoning: z.boolean().optional(),
    usage: z.looseObject({ include: z.boolean().optional() }).optional(),
    session_id: z.string().max(256).optional(),
    // Streaming only (API.md b2, b8): a non-streamed request is accepted and ignores it.
    debug: z.looseObject({ echo_upstream_body: z.boolean().optional() }).optional(),
    prompt_cache_key: z.string().optional(),
  })
  .superRefine((req, ctx) => {
    if (req.model === undefined && req.models === undefined) {
      ctx.addIssue({ code: "custom", path: ["model"], message: "model is required (or give models[])" });
    }
    if (req.reasoning?.effort && req.reasoning.max_tokens) {
      ctx.addIssue({
        code: "custom",
        path: ["reasoning"],
        message: "reasoning takes either effort or max_tokens, not both",
      });
    }
    if (req.reasoning_effort && req.reasoning?.effort && req.reasoning_effort !== req.reasoning.effort) {
      ctx.addIssue({
        code: "custom",
        path: ["reasoning_effort"],
        message: "reasoning_effort conflicts with reasoning.effort",
      });
    }
  });
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/**
 * The parameters a request actually sets, named as endpoints' `supportedParameters` name them.
 * Used to drop unsupported ones and to honour `provider.require_parameters`.
 */
export function requestedParameters(req: ChatRequest): string[] {
  const names: string[] = [];
  const set = (key: string, value: unknown) => value !== undefined && value !== null && names.push(key);
  set("max_tokens", req.max_tokens ?? req.max_completion_tokens);
  for (const key of [
    "temperature",
    "top_p",
    "top_k",
    "frequency_penalty",
    "presence_penalty",
    "repetition_penalty",
    "min_p",
    "top_a",
    "seed",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "stop",
    "response_format",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "verbosity",
  ] as const) {
    set(key, req[key]);
  }
  if (req.response_format?.type === "json_schema") names.push("structured_outputs");
  if (req.reasoning !== undefined || req.reasoning_effort !== undefined || req.include_reasoning) {
    names.push("reasoning");
  }
  return names;
}
