/**
 * A key's views of itself: `GET /key` (and OpenRouter's legacy `/auth/key`) and `GET /credits`.
 * Both answer from the KeyRecord the auth middleware already loaded through the in-isolate
 * cache, so they cost no query of their own.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { type AuthedEnv, requireAnyKey } from "../auth/middleware";
import type { KeyRecord } from "../db/queries/keys";
import { type CurrentKeyResponse, creditsResponseSchema, currentKeyResponseSchema } from "../schema/keys";
import { fromNumber, toNumber } from "../usage/decimal";
import { limitRemaining } from "./keys";
import { bearerAuth, errorResponses } from "./openapi";

/** OpenRouter's legacy rate-limit object: -1 means "not limited per key". */
const RATE_LIMIT = { requests: -1, interval: "10s", note: "This field is deprecated and safe to ignore." };

/** OpenRouter's daily `:free` allowance: 50 requests, 1000 once the account has bought $10 of credits. */
const FREE_DAILY_REQUESTS = { below: 50, from: 1000, threshold: fromNumber(10) };

export function currentKeyView(key: KeyRecord): CurrentKeyResponse["data"] {
  const { below, from, threshold } = FREE_DAILY_REQUESTS;
  // Credits only ever grow, so the account's credits are what it has bought.
  const freeDaily = key.money.account.credits >= threshold ? from : below;
  return {
    label: key.label,
    limit: key.money.limit === null ? null : toNumber(key.money.limit),
    limit_remaining: limitRemaining(key),
    limit_reset: key.limitReset,
    include_byok_in_limit: key.includeByokInLimit,
    usage: toNumber(key.money.usage),
    usage_daily: toNumber(key.money.usageDaily),
    usage_weekly: toNumber(key.money.usageWeekly),
    usage_monthly: toNumber(key.money.usageMonthly),
    byok_usage: toNumber(key.money.byokUsage),
    byok_usage_daily: toNumber(key.money.byokUsageDaily),
    byok_usage_weekly: toNumber(key.money.byokUsageWeekly),
    byok_usage_monthly: toNumber(key.money.byokUsageMonthly),
    // Credits only ever grow, so "never had credits" is "has none now".
    is_free_tier: key.money.account.credits === 0n,
    is_management_key: key.isManagement,
    is_provisioning_key: false,
    expires_at: key.expiresAt?.toISOString() ?? null,
    creator_user_id: null,
    organization_id: null,
    // Each account is its own workspace (as in the /keys views).
    workspace_id: key.accountId,
    // No regional routing: every request may go anywhere.
    allowed_data_regions: ["global"],
    // The tier's allowance; the gateway enforces only the per-minute free limit, so nothing is used up.
    free_model_daily_requests: { limit: freeDaily, remaining: freeDaily, used: 0 },
    rate_limit: RATE_LIMIT,
  };
}

const currentKeyRoute = (path: string, summary: string, deprecated = false) =>
  createRoute({
    method: "get",
    path,
    tags: ["Keys"],
    summary,
    deprecated,
    security: bearerAuth,
    middleware: requireAnyKey,
    responses: {
      200: {
        description: "The key's view",
        content: { "application/json": { schema: currentKeyResponseSchema } },
      },
      ...errorResponses(401),
    },
  });

const creditsRoute = createRoute({
  method: "get",
  path: "/credits",
  tags: ["Keys"],
  summary: "Credits bought and spent by the key's account (USD)",
  security: bearerAuth,
  middleware: requireAnyKey,
  responses: {
    200: {
      description: "The account's totals",
      content: { "application/json": { schema: creditsResponseSchema } },
    },
    ...errorResponses(401),
  },
});

export const keyApi = new OpenAPIHono<AuthedEnv>()
  .openapi(currentKeyRoute("/key", "The calling key: usage, limit and what is left of it"), (c) =>
    c.json({ data: currentKeyView(c.var.key) }, 200),
  )
  .openapi(currentKeyRoute("/auth/key", "Legacy alias of GET /key", true), (c) =>
    c.json({ data: currentKeyView(c.var.key) }, 200),
  )
  .openapi(creditsRoute, (c) =>
    c.json(
      {
        data: {
          total_credits: toNumber(c.var.key.money.account.credits),
          total_usage: toNumber(c.var.key.money.account.usage),
        },
      },
      200,
    ),
  );
