/**
 * A key's views of itself: `GET /key` (and OpenRouter's legacy `/auth/key`) and `GET /credits`.
 * Both answer from the KeyRecord the auth middleware already loaded through the in-isolate
 * cache, so they cost no query of their own.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { type AuthedEnv, requireAnyKey } from "../auth/middleware";
import type { KeyRecord } from "../db/queries/keys";
import { type CurrentKeyResponse, creditsResponseSchema, currentKeyResponseSchema } from "../schema/keys";
import { toNumber } from "../usage/decimal";
import { limitRemaining } from "./keys";
import { bearerAuth, errorResponses } from "./openapi";

/** OpenRouter's legacy rate-limit object: -1 means "not limited per key". */
const RATE_LIMIT = { requests: -1, interval: "10s" };

export function currentKeyView(key: KeyRecord): CurrentKeyResponse["data"] {
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
    byok_usage: 0,
    byok_usage_daily: 0,
    byok_usage_weekly: 0,
    byok_usage_monthly: 0,
    // Credits only ever grow, so "never had credits" is "has none now".
    is_free_tier: key.money.accountCredits === 0n,
    is_management_key: key.isManagement,
    is_provisioning_key: false,
    expires_at: key.expiresAt?.toISOString() ?? null,
    creator_user_id: null,
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
          total_credits: toNumber(c.var.key.money.accountCredits),
          total_usage: toNumber(c.var.key.money.accountUsage),
        },
      },
      200,
    ),
  );
