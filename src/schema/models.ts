/**
 * Wire shapes of the catalog API (`/models`, `/model/{author}/{slug}`,
 * `/models/{author}/{slug}/endpoints`, `/models/count`, `/providers`) in OpenRouter's exact field
 * names (API.md b11). Prices are strings in USD per token, as OpenRouter sends them.
 */
import { z } from "@hono/zod-openapi";

export const MODEL_SORTS = [
  "pricing-low-to-high",
  "pricing-high-to-low",
  "context-high-to-low",
  "context-low-to-high",
  "newest",
  "throughput-high-to-low",
  "latency-low-to-high",
  "most-popular",
] as const;
export type ModelSort = (typeof MODEL_SORTS)[number];

export const OUTPUT_MODALITIES = ["text", "image", "audio", "video", "file", "embeddings", "all"] as const;

const commaList = (allowed?: readonly string[]) =>
  z
    .string()
    .refine(
      (v) => !allowed || v.split(",").every((item) => allowed.includes(item.trim())),
      allowed ? `a comma-separated list of: ${allowed.join(", ")}` : "a comma-separated list",
    );

export const listModelsQuerySchema = z.object({
  output_modalities: commaList(OUTPUT_MODALITIES).optional().openapi({
    description:
      'Comma list; a model matches when it outputs any of them. Default "text"; "all" for every model',
  }),
  supported_parameters: commaList()
    .optional()
    .openapi({ description: "Comma list; a model matches when it supports all of them (on some endpoint)" }),
  sort: z.enum(MODEL_SORTS).optional().openapi({
    description:
      "Order of the list. Throughput and latency: by the best p50 any endpoint of the model measured over the last 30 minutes, unmeasured models after; popularity is not measured yet and keeps the default order (newest first)",
  }),
  // The explicit type: zod-to-openapi would add "null" (a coerced null is 0, which passes min(0)).
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .openapi({ type: "integer", minimum: 0, default: 0, description: "Models to skip" }),
  limit: z.coerce.number().int().min(1).max(1000).default(500).openapi({ description: "Page size (≤ 1000)" }),
});
export type ListModelsQuery = z.infer<typeof listModelsQuerySchema>;

export const countModelsQuerySchema = listModelsQuerySchema.pick({
  output_modalities: true,
  supported_parameters: true,
});

const priceString = z.string().openapi({ description: "USD, as a decimal string", example: "0.00000015" });

export const pricingSchema = z
  .object({
    prompt: priceString,
    completion: priceString,
    request: priceString,
    image: priceString,
    web_search: priceString,
    internal_reasoning: priceString,
    input_cache_read: priceString.optional(),
    input_cache_write: priceString.optional(),
  })
  .openapi("ModelPricing");
export type Pricing = z.infer<typeof pricingSchema>;

export const architectureSchema = z
  .object({
    modality: z.string().openapi({ example: "text+image->text" }),
    input_modalities: z.array(z.string()),
    output_modalities: z.array(z.string()),
    tokenizer: z.string(),
    instruct_type: z.string().nullable(),
  })
  .openapi("ModelArchitecture");

/** How a reasoning model reasons, as OpenRouter shows it (`mandatory` always present). */
export const modelReasoningSchema = z
  .object({
    mandatory: z.boolean().openapi({ description: "Reasoning cannot be turned off" }),
    supported_efforts: z.array(z.string()).optional(),
    default_effort: z.string().optional(),
    default_enabled: z.boolean().optional(),
    supports_max_tokens: z.boolean().optional(),
  })
  .openapi("ModelReasoning");
export type ModelReasoning = z.infer<typeof modelReasoningSchema>;

export const modelSchema = z
  .object({
    id: z.string().openapi({ example: "openai/gpt-4o-mini" }),
    canonical_slug: z.string(),
    name: z.string(),
    created: z.number().int().openapi({ description: "Release date, unix seconds" }),
    description: z.string(),
    context_length: z.number().int(),
    architecture: architectureSchema,
    pricing: pricingSchema,
    top_provider: z.object({
      context_length: z.number().int(),
      max_completion_tokens: z.number().int().nullable(),
      is_moderated: z.boolean(),
    }),
    per_request_limits: z.null(),
    supported_parameters: z.array(z.string()),
    default_parameters: z.record(z.string(), z.unknown()).nullable(),
    expiration_date: z.string().nullable(),
    reasoning: modelReasoningSchema.optional(),
    supported_voices: z
      .array(z.string())
      .nullable()
      .openapi({ description: "Voices of a text-to-speech model; null for every other model" }),
    links: z.object({
      details: z.string().openapi({
        description: "Path of this model's endpoints list",
        example: "/api/v1/models/openai/gpt-4o-mini/endpoints",
      }),
    }),
  })
  .openapi("Model");
export type Model = z.infer<typeof modelSchema>;

export const modelListResponseSchema = z
  .object({
    data: z.array(modelSchema),
    total_count: z.number().int(),
    links: z.object({ next: z.string().nullable() }),
  })
  .openapi("ModelListResponse");

export const modelResponseSchema = z.object({ data: modelSchema }).openapi("ModelResponse");

export const modelCountResponseSchema = z
  .object({ data: z.object({ count: z.number().int() }) })
  .openapi("ModelCountResponse");

export const modelEndpointsParamsSchema = z.object({
  author: z
    .string()
    .min(1)
    .openapi({ param: { name: "author", in: "path" }, example: "openai" }),
  slug: z
    .string()
    .min(1)
    .openapi({ param: { name: "slug", in: "path" }, example: "gpt-4o-mini" }),
});

const UPTIME =
  "Percent of its attempts the endpoint served, of those it served or failed for availability (5xx, 408, 429); null without attempts.";
const uptime = z.number().min(0).max(100).nullable();

/**
 * Percentiles read back from log-spaced histograms (migrations/0004_*): each within 9.05 % of the
 * exact value. Windows are 5-minute buckets, so "the last 30 minutes" covers 30 to 35.
 */
const percentiles = z
  .object({ p50: z.number(), p75: z.number(), p90: z.number(), p99: z.number() })
  .openapi("PercentileStats", {
    description: "Approximate percentiles, each within 9.05 % of the exact value",
  });

export const endpointSchema = z
  .object({
    name: z.string().openapi({ example: "OpenAI | openai/gpt-4o-mini" }),
    model_id: z.string(),
    model_name: z.string(),
    provider_name: z.string(),
    tag: z.string().openapi({ description: "The provider's slug" }),
    context_length: z.number().int(),
    max_completion_tokens: z.number().int().nullable(),
    max_prompt_tokens: z.number().int().nullable(),
    pricing: pricingSchema,
    quantization: z.string(),
    status: z.number().int().openapi({ description: "0 ok; negative values are degraded or down" }),
    supported_parameters: z.array(z.string()),
    supports_implicit_caching: z.boolean(),
    supports_tool_choice: z
      .object({ auto: z.boolean(), function: z.boolean(), none: z.boolean(), required: z.boolean() })
      .openapi({ description: "Which `tool_choice` values the endpoint takes" }),
    uptime_last_5m: uptime.openapi({ description: `${UPTIME} Over the last 5 minutes.`, example: 100 }),
    uptime_last_30m: uptime.openapi({ description: `${UPTIME} Over the last 30 minutes.`, example: 99.5 }),
    uptime_last_1d: uptime.openapi({ description: `${UPTIME} Over the last day.`, example: 99.8 }),
    latency_last_30m: percentiles.nullable().openapi({
      description:
        "Time to first token in ms, from the gateway's request to the provider, over the streamed requests it served in the last 30 minutes; null without any.",
    }),
    throughput_last_30m: percentiles.nullable().openapi({
      description:
        "Completion tokens per second of generation time, over the complete answers it served in the last 30 minutes; null without any.",
    }),
  })
  .openapi("ModelEndpoint");
export type Endpoint = z.infer<typeof endpointSchema>;

export const modelEndpointsResponseSchema = z
  .object({
    data: z.object({
      id: z.string(),
      name: z.string(),
      created: z.number().int(),
      description: z.string(),
      architecture: architectureSchema,
      endpoints: z.array(endpointSchema),
    }),
  })
  .openapi("ModelEndpointsResponse");

export const providerSchema = z
  .object({
    name: z.string(),
    slug: z.string(),
    privacy_policy_url: z.string().nullable(),
    terms_of_service_url: z.string().nullable(),
    status_page_url: z.string().nullable(),
    headquarters: z.string().nullable(),
    datacenters: z.array(z.string()),
  })
  .openapi("Provider");

export const providerListResponseSchema = z
  .object({ data: z.array(providerSchema) })
  .openapi("ProviderListResponse");
