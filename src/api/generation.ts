/** `GET /api/v1/generation?id=` — one request's record, in OpenRouter's shape (API.md b11). */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { type AuthedEnv, requireAnyKey } from "../auth/middleware";
import { dbTimeoutMs } from "../cache/routing-data";
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
    model: z.string().nullable(),
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
    provider_responses: z.array(
      z.object({
        provider: z.string(),
        model: z.string(),
        status: z.number().int().nullable(),
        error_type: z.string().optional(),
        message: z.string().optional(),
        latency: z.number(),
      }),
    ),
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
    http_referer: z.string().nullable(),
    app_title: z.string().nullable(),
    user_agent: z.string().nullable(),
    external_user: z.string().nullable(),
    session_id: z.string().nullable(),
    error: z.object({ code: z.number(), message: z.string(), type: z.string() }).nullable(),
  })
  .openapi("Generation");

function present(g: GenerationRecord): z.infer<typeof generationSchema> {
  const cost = Number(g.totalCost);
  return {
    id: g.id,
    model: g.model,
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
    is_byok: false,
    upstream_inference_cost: null,
    latency: g.latencyMs,
    generation_time: g.generationTimeMs,
    time_to_first_token: g.timeToFirstTokenMs,
    provider_responses: g.attempts.map((a) => ({
      provider: a.provider,
      model: a.model,
      status: a.status,
      ...(a.errorType ? { error_type: a.errorType } : {}),
      ...(a.message ? { message: a.message } : {}),
      latency: a.latencyMs,
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
    http_referer: g.httpReferer,
    app_title: g.appTitle,
    user_agent: g.userAgent,
    external_user: g.externalUser,
    session_id: g.sessionId,
    error: g.error ?? null,
  };
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
  return c.json({ data: present(row) }, 200);
});
