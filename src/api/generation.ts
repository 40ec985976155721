/** `GET /api/v1/generation?id=` — one request's record, in OpenRouter's shape (API.md b11). */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { type AuthedEnv, requestScope, requireAnyKey } from "../auth/middleware";
import { dbTimeoutMs, getCatalog } from "../cache/routing-data";
import { withTimeout } from "../cache/swr";
import { createDb } from "../db/client";
import { findGeneration, type GenerationRecord } from "../db/queries/generations";
import { GatewayError } from "../errors";
import { generationSecond } from "../usage/generation-id";
import { validationHook } from "./error-response";
import { bearerAuth, errorResponses } from "./openapi";

const generationSchema = z
  .object({
    id: z.string(),
    model: z.string().openapi({ description: "The model that served it; the requested one when none did" }),
    requested_model: z.string(),
    provider_name: z.string().nullable(),
    upstream_id: z.string().nullable(),
    created_at: z.string(),
    streamed: z.boolean(),
    cancelled: z.boolean(),
    status: z.number().int(),
    finish_reason: z.string().nullable(),
    native_finish_reason: z.string().nullable(),
    tokens_prompt: z.number().int(),
    tokens_completion: z.number().int(),
    native_tokens_prompt: z.number().int(),
    native_tokens_completion: z.number().int(),
    native_tokens_reasoning: z.number().int(),
    native_tokens_cached: z.number().int(),
    native_tokens_cache_write: z.number().int(),
    usage_estimated: z.boolean(),
    total_cost: z.number(),
    total_cost_usd: z.string().openapi({ description: "The exact cost as a decimal string" }),
    usage: z.number(),
    is_byok: z.boolean(),
    upstream_inference_cost: z.number().nullable(),
    latency: z.number().int().nullable(),
    generation_time: z.number().int().nullable(),
    time_to_first_token: z.number().int().nullable(),
    provider_responses: z
      .array(
        z.object({
          provider_name: z.string().openapi({ description: "The provider's display name" }),
          model_permaslug: z.string(),
          status: z.number().int().nullable(),
          error_type: z.string().optional(),
          message: z.string().optional(),
          latency: z.number(),
          is_byok: z.boolean(),
        }),
      )
      .openapi({ description: "Every attempt, in order: failed ones, then the one that served (if any)" }),
    compression: z
      .object({
        engine: z.literal("middle-out"),
        messages_in: z.number().int(),
        messages_out: z.number().int(),
        tokens_in: z.number().int(),
        tokens_out: z.number().int(),
        truncated_messages: z.number().int(),
      })
      .nullable(),
    api_type: z.literal("completions"),
    origin: z.string().openapi({ description: "The HTTP-Referer's origin; empty without one" }),
    http_referer: z.string().nullable(),
    app_title: z.string().nullable(),
    user_agent: z.string().nullable(),
    external_user: z.string().nullable(),
    session_id: z.string().nullable(),
    error: z.object({ code: z.number(), message: z.string(), type: z.string() }).nullable(),
    workspace_id: z
      .string()
      .openapi({ description: "The key's account (each account is its own workspace)" }),
    data_region: z.literal("global"),
    // OpenRouter features this gateway does not have (apps, presets, routers, web search,
    // moderation, media): null, as OpenRouter sends for a request that used none of them.
    app_id: z.null(),
    preset_id: z.null(),
    router: z.null(),
    service_tier: z.null(),
    web_search_engine: z.null(),
    cache_discount: z.null(),
    moderation_latency: z.null(),
    num_search_results: z.null(),
    num_fetches: z.null(),
    num_media_prompt: z.null(),
    num_media_completion: z.null(),
    num_input_audio_prompt: z.null(),
    native_tokens_completion_images: z.null(),
  })
  .openapi("Generation");

/** Provider slug → display name, for `provider_responses` (the attempt log keeps slugs). */
type ProviderNames = (slug: string) => string;

function originOf(referer: string | null): string {
  if (!referer) return "";
  try {
    return new URL(referer).origin;
  } catch {
    return "";
  }
}

const NOT_HERE = {
  app_id: null,
  preset_id: null,
  router: null,
  service_tier: null,
  web_search_engine: null,
  cache_discount: null,
  moderation_latency: null,
  num_search_results: null,
  num_fetches: null,
  num_media_prompt: null,
  num_media_completion: null,
  num_input_audio_prompt: null,
  native_tokens_completion_images: null,
} as const;

function present(g: GenerationRecord, providerName: ProviderNames): z.infer<typeof generationSchema> {
  const cost = Number(g.totalCost);
  return {
    id: g.id,
    model: g.model ?? g.requestedModel,
    requested_model: g.requestedModel,
    provider_name: g.providerName,
    upstream_id: g.upstreamId,
    created_at: g.createdAt.toISOString(),
    streamed: g.streamed,
    cancelled: g.cancelled,
    status: g.status,
    finish_reason: g.finishReason,
    native_finish_reason: g.nativeFinishReason,
    tokens_prompt: g.tokensPrompt,
    tokens_completion: g.tokensCompletion,
    native_tokens_prompt: g.tokensPrompt,
    native_tokens_completion: g.tokensCompletion,
    native_tokens_reasoning: g.tokensReasoning,
    native_tokens_cached: g.tokensCached,
    native_tokens_cache_write: g.tokensCacheWrite,
    usage_estimated: g.usageEstimated,
    total_cost: cost,
    total_cost_usd: g.totalCost.replace(/\.?0+$/, "") || "0",
    usage: cost,
    is_byok: g.isByok,
    upstream_inference_cost: g.upstreamInferenceCost === null ? null : Number(g.upstreamInferenceCost),
    latency: g.latencyMs,
    generation_time: g.generationTimeMs,
    time_to_first_token: g.timeToFirstTokenMs,
    provider_responses: g.attempts.map((a) => ({
      provider_name: providerName(a.provider),
      model_permaslug: a.model,
      status: a.status,
      ...(a.errorType ? { error_type: a.errorType } : {}),
      ...(a.message ? { message: a.message } : {}),
      latency: a.latencyMs,
      is_byok: a.byok === true,
    })),
    compression: g.compression
      ? {
          engine: "middle-out",
          messages_in: g.compression.messagesIn,
          messages_out: g.compression.messagesOut,
          tokens_in: g.compression.tokensIn,
          tokens_out: g.compression.tokensOut,
          truncated_messages: g.compression.truncatedMessages,
        }
      : null,
    api_type: "completions",
    origin: originOf(g.httpReferer),
    http_referer: g.httpReferer,
    app_title: g.appTitle,
    user_agent: g.userAgent,
    external_user: g.externalUser,
    session_id: g.sessionId,
    error: g.error ?? null,
    workspace_id: g.accountId,
    data_region: "global",
    ...NOT_HERE,
  };
}

/** Display names from the catalog snapshot; the slug itself when the catalog cannot be read. */
async function providerNames(c: Parameters<typeof requestScope>[0]): Promise<ProviderNames> {
  const catalog = await getCatalog(requestScope(c)).catch(() => null);
  return (slug) => catalog?.providers.get(slug)?.name ?? slug;
}

const route = createRoute({
  method: "get",
  path: "/generation",
  summary: "Look up one generation (tokens, cost, attempts) by id",
  security: bearerAuth,
  request: { query: z.object({ id: z.string().min(1).max(100) }) },
  responses: {
    200: {
      description: "The generation",
      content: { "application/json": { schema: z.object({ data: generationSchema }) } },
    },
    ...errorResponses(400, 401, 404),
  },
});

export const generationApi = new OpenAPIHono<AuthedEnv>({ defaultHook: validationHook });
generationApi.use("/generation", requireAnyKey);
generationApi.openapi(route, async (c) => {
  const { id } = c.req.valid("query");
  const second = generationSecond(id);
  if (second === undefined) throw new GatewayError(400, "invalid_request", `${id} is not a generation id`);
  const row = await withTimeout(
    findGeneration(createDb(c.env.HYPERDRIVE.connectionString), id, second, c.var.key.accountId),
    dbTimeoutMs(c.env),
    "generation read",
  ).catch((cause: unknown) => {
    throw new GatewayError(503, "server", "Generation store unavailable, try again shortly", { cause });
  });
  // Records are written just after the response; a lookup right away may race it (as on OpenRouter).
  if (!row)
    throw new GatewayError(
      404,
      "not_found",
      `Generation ${id} not found (records appear a moment after the response)`,
    );
  return c.json({ data: present(row, await providerNames(c)) }, 200);
});
