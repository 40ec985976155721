/**
 * `GET /api/v1/activity` (management key, API.md b11): requests, spend and tokens per UTC day,
 * model and endpoint over the last 30 completed UTC days, as OpenRouter's SDK parses them
 * (`analytics.getUserActivity`). The admin token is the operator's, so it sees every account's
 * activity, as `GET /keys` lists every account's keys; `workspace_id` narrows it to one account
 * (each account is its own workspace) and `group_by=workspace` splits the rows per account.
 * Days are those requests started on (OpenRouter's "request start time"), today excluded.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { type AuthedEnv, requestScope, requireManagementKey } from "../auth/middleware";
import { dbTimeoutMs, getCatalog } from "../cache/routing-data";
import { withTimeout } from "../cache/swr";
import type { CatalogSnapshot } from "../catalog/snapshot";
import { createDb } from "../db/client";
import { type ActivityRow, activityByDay } from "../db/queries/activity";
import { accountExists, keyExists } from "../db/queries/keys";
import { GatewayError } from "../errors";
import { parseModelId } from "../routing/plan";
import { type ActivityItem, activityQuerySchema, activityResponseSchema } from "../schema/activity";
import { validationHook } from "./error-response";
import { bearerAuth, errorResponses } from "./openapi";

export const ACTIVITY_DAYS = 30;
const DAY_MS = 86_400_000;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The instants the answer covers: the last 30 completed UTC days before `now` (today is not
 * over, so it is left out), or the one of them `date` names; any other date is a 400.
 */
export function activityRange(now: number, date?: string): { from: Date; to: Date } {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const first = today - ACTIVITY_DAYS * DAY_MS;
  if (date === undefined) return { from: new Date(first), to: new Date(today) };
  const at = Date.parse(`${date}T00:00:00Z`);
  if (!(at >= first && at < today)) {
    throw new GatewayError(
      400,
      "invalid_request",
      `date ${date} is not one of the last ${ACTIVITY_DAYS} completed UTC days (${isoDay(first)} to ${isoDay(today - DAY_MS)})`,
    );
  }
  return { from: new Date(at), to: new Date(at + DAY_MS) };
}

/**
 * A row on the wire. The endpoint is named as routing names it (`model@provider`, as in
 * `availability.excluded_by`): the catalog's endpoints have no public id, and this one outlives
 * a catalog reload. The provider's and model's current catalog names win over the recorded ones.
 */
export function activityItem(row: ActivityRow, catalog: CatalogSnapshot | null): ActivityItem {
  const { base } = parseModelId(row.model);
  const item: ActivityItem = {
    date: row.day,
    model: row.model,
    model_permaslug: catalog?.models.get(base)?.canonicalSlug ?? base,
    endpoint_id: `${base}@${row.providerSlug}`,
    provider_name: catalog?.providers.get(row.providerSlug)?.name ?? row.providerName ?? row.providerSlug,
    usage: Number(row.usage),
    byok_usage_inference: Number(row.byokUsage),
    requests: row.requests,
    prompt_tokens: row.promptTokens,
    completion_tokens: row.completionTokens,
    reasoning_tokens: row.reasoningTokens,
  };
  if (row.accountId !== null) item.workspace_id = row.accountId;
  return item;
}

const route = createRoute({
  method: "get",
  path: "/activity",
  tags: ["Keys"],
  summary: "Requests, spend and tokens per UTC day, model and endpoint, over the last 30 completed days",
  description:
    "Every account's activity (the admin token is the operator's), newest day first. " +
    "Requests that no endpoint served are not counted (they cost nothing).",
  security: bearerAuth,
  middleware: requireManagementKey,
  request: { query: activityQuerySchema },
  responses: {
    200: {
      description: "One row per day, model and endpoint (and workspace, with group_by)",
      content: { "application/json": { schema: activityResponseSchema } },
    },
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

export const activityApi = new OpenAPIHono<AuthedEnv>({ defaultHook: validationHook }).openapi(
  route,
  async (c) => {
    const q = c.req.valid("query");
    // A user is an account here (userIdOf): user_id and workspace_id name the same thing.
    const accountId = q.user_id?.slice("user_".length) ?? q.workspace_id;
    if (q.user_id !== undefined && q.workspace_id !== undefined && accountId !== q.workspace_id) {
      throw new GatewayError(400, "invalid_request", "user_id and workspace_id name different accounts");
    }
    const { from, to } = activityRange(Date.now(), q.date);
    const db = createDb(c.env.HYPERDRIVE.connectionString);
    const [rows, keyFound, accountFound] = await withTimeout(
      Promise.all([
        activityByDay(db, {
          from,
          to,
          keyHash: q.api_key_hash,
          accountId,
          byAccount: q.group_by === "workspace",
        }),
        q.api_key_hash === undefined ? true : keyExists(db, q.api_key_hash),
        accountId === undefined ? true : accountExists(db, accountId),
      ]),
      dbTimeoutMs(c.env),
      "activity read",
    ).catch((cause: unknown) => {
      throw new GatewayError(503, "server", "Usage store unavailable, try again shortly", { cause });
    });
    // A filter naming nothing is more likely a typo than a quiet key: say so rather than answer [].
    if (!keyFound) throw new GatewayError(404, "not_found", `No key with hash ${q.api_key_hash}`);
    if (!accountFound) {
      throw new GatewayError(
        404,
        "not_found",
        `No ${q.user_id ? `user ${q.user_id}` : `workspace with id ${accountId}`}`,
      );
    }
    const catalog = await getCatalog(requestScope(c)).catch(() => null);
    return c.json({ data: rows.map((row) => activityItem(row, catalog)) }, 200);
  },
);
