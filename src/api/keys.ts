/**
 * The key-management API (`/api/v1/keys`, management key only; CONTRACT.md §3, API.md b11). It
 * manages API keys: management keys are neither listed nor changed here (see `findApiKey`).
 * The secret is generated here, shown once in the 201 and stored only as its hash. After a
 * change this isolate forgets its cached copy of the key, so its next request sees the change.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { generateApiKey, hashApiKey, keyLabel } from "../auth/api-key";
import { requireManagementKey } from "../auth/middleware";
import { forgetKey } from "../cache/routing-data";
import { createDb, type Db } from "../db/client";
import {
  type ApiKeyRow,
  accountExists,
  deleteKey,
  findKeyRecord,
  insertKey,
  type KeyPatch,
  type KeyRecord,
  listKeyRecords,
  updateKey,
} from "../db/queries/keys";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import {
  createKeyBodySchema,
  createKeyResponseSchema,
  deleteKeyResponseSchema,
  type KeyData,
  keyHashParamSchema,
  keyListResponseSchema,
  keyResponseSchema,
  listKeysQuerySchema,
  type UpdateKeyBody,
  updateKeyBodySchema,
} from "../schema/keys";
import { formatDecimal, fromNumber, parseDecimal, toNumber, ZERO } from "../usage/decimal";
import { balance, limitLeft } from "../usage/spend";
import { bearerAuth, errorResponses } from "./openapi";

// --- money: decimal strings in the database, JSON numbers on the wire (exact: usage/decimal.ts) ---

/** A JSON number as the decimal string a numeric(38,12) column takes ("10", "0.1", never "1e-7"). */
export function toDecimalString(usd: number): string {
  return formatDecimal(fromNumber(usd));
}

/** The key's account balance (credits − usage, exact until this one rounding) as a wire number. */
export function balanceUsd(key: KeyRecord): number {
  return toNumber(balance(key));
}

/** What is left of the key's limit in the current period (never below 0); null without a limit. */
export function limitRemaining(key: KeyRecord): number | null {
  const left = limitLeft(key);
  return left === null ? null : Math.max(0, toNumber(left));
}

/** A key row as the management API shows it. */
export function toKeyData(key: KeyRecord): KeyData {
  return {
    hash: key.hash,
    name: key.name,
    label: key.label,
    disabled: key.disabled,
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
    created_at: key.createdAt.toISOString(),
    updated_at: key.updatedAt.toISOString(),
    expires_at: key.expiresAt?.toISOString() ?? null,
    account_id: key.accountId,
    workspace_id: key.accountId,
    creator_user_id: null,
    external_user: null,
    is_management_key: key.isManagement,
  };
}

/** A freshly inserted key: no spend yet, so no need to read the daily rows back. */
function newKeyRecord(row: ApiKeyRow): KeyRecord {
  const { limit, usage, byokUsage, ...key } = row;
  return {
    ...key,
    money: {
      limit: limit === null ? null : parseDecimal(limit),
      account: { credits: ZERO, usage: ZERO },
      usage: parseDecimal(usage),
      usageDaily: ZERO,
      usageWeekly: ZERO,
      usageMonthly: ZERO,
      byokUsage: parseDecimal(byokUsage),
      byokUsageDaily: ZERO,
      byokUsageWeekly: ZERO,
      byokUsageMonthly: ZERO,
    },
  };
}

function toPatch(body: UpdateKeyBody): KeyPatch {
  const patch: KeyPatch = {};
  if (body.name !== undefined) patch.name = body.name;
  if (body.disabled !== undefined) patch.disabled = body.disabled;
  if (body.limit !== undefined) patch.limit = body.limit === null ? null : toDecimalString(body.limit);
  if (body.limit_reset !== undefined) patch.limitReset = body.limit_reset;
  if (body.include_byok_in_limit !== undefined) patch.includeByokInLimit = body.include_byok_in_limit;
  if (body.expires_at !== undefined)
    patch.expiresAt = body.expires_at === null ? null : new Date(body.expires_at);
  return patch;
}

function keyNotFound(hash: string): GatewayError {
  return new GatewayError(404, "not_found", `No key with hash ${hash}`);
}

/**
 * The API key `hash` names. /keys manages API keys, as OpenRouter's does; management keys (admin
 * tokens) are refused: one could otherwise disable or delete itself and lock the operator out
 * (scripts/lib/bootstrap.ts would keep printing the dead token). They are managed with `npm run keys`.
 */
async function findApiKey(db: Db, hash: string): Promise<KeyRecord> {
  const key = await findKeyRecord(db, hash);
  if (!key) throw keyNotFound(hash);
  if (key.isManagement) {
    throw new GatewayError(
      403,
      "permission_denied",
      `Key ${hash} is a management key: /keys manages API keys only (use \`npm run keys\` for management keys)`,
    );
  }
  return key;
}

// --- routes -------------------------------------------------------------------------------------

const tags = ["Keys"];
const middleware = requireManagementKey;

const createKeyRoute = createRoute({
  method: "post",
  path: "/keys",
  tags,
  summary: "Create an API key",
  description:
    "`credits` creates the key's own account with that balance; `accountId` attaches it to an existing account. " +
    "The secret is in `key`, shown only in this response.",
  security: bearerAuth,
  middleware,
  request: { body: { required: true, content: { "application/json": { schema: createKeyBodySchema } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: createKeyResponseSchema } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

const listKeysRoute = createRoute({
  method: "get",
  path: "/keys",
  tags,
  summary: "List API keys (all accounts: the admin token is the operator's); management keys are not listed",
  security: bearerAuth,
  middleware,
  request: { query: listKeysQuerySchema },
  responses: {
    200: {
      description: "A page of keys, newest first",
      content: { "application/json": { schema: keyListResponseSchema } },
    },
    ...errorResponses(400, 401, 403),
  },
});

const getKeyRoute = createRoute({
  method: "get",
  path: "/keys/{hash}",
  tags,
  summary: "Get one API key",
  security: bearerAuth,
  middleware,
  request: { params: keyHashParamSchema },
  responses: {
    200: { description: "The key", content: { "application/json": { schema: keyResponseSchema } } },
    ...errorResponses(401, 403, 404),
  },
});

const updateKeyRoute = createRoute({
  method: "patch",
  path: "/keys/{hash}",
  tags,
  summary: "Change an API key (name, disabled, limit, limit_reset, include_byok_in_limit, expires_at)",
  security: bearerAuth,
  middleware,
  request: {
    params: keyHashParamSchema,
    body: { required: true, content: { "application/json": { schema: updateKeyBodySchema } } },
  },
  responses: {
    200: { description: "The changed key", content: { "application/json": { schema: keyResponseSchema } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

const deleteKeyRoute = createRoute({
  method: "delete",
  path: "/keys/{hash}",
  tags,
  summary: "Delete an API key",
  security: bearerAuth,
  middleware,
  request: { params: keyHashParamSchema },
  responses: {
    200: { description: "Deleted", content: { "application/json": { schema: deleteKeyResponseSchema } } },
    ...errorResponses(401, 403, 404),
  },
});

export const keysApi = new OpenAPIHono<AppEnv>()
  .openapi(createKeyRoute, async (c) => {
    const body = c.req.valid("json");
    const db = createDb(c.env.HYPERDRIVE.connectionString);
    if (body.accountId !== undefined && !(await accountExists(db, body.accountId))) {
      throw new GatewayError(404, "not_found", `No account with id ${body.accountId}`);
    }
    const secret = generateApiKey(false);
    const row = await insertKey(db, {
      hash: await hashApiKey(secret),
      label: keyLabel(secret),
      name: body.name,
      limit: body.limit == null ? null : toDecimalString(body.limit),
      limitReset: body.limit_reset ?? null,
      includeByokInLimit: body.include_byok_in_limit ?? false,
      expiresAt: body.expires_at ? new Date(body.expires_at) : null,
      ...(body.accountId !== undefined
        ? { accountId: body.accountId }
        : { credits: toDecimalString(body.credits ?? 0) }),
    });
    return c.json({ key: secret, data: toKeyData(newKeyRecord(row)) }, 201);
  })
  .openapi(listKeysRoute, async (c) => {
    const q = c.req.valid("query");
    const rows = await listKeyRecords(createDb(c.env.HYPERDRIVE.connectionString), {
      offset: q.offset,
      limit: q.limit,
      includeDisabled: q.include_disabled === "true",
      includeManagement: false,
    });
    return c.json({ data: rows.map(toKeyData) }, 200);
  })
  .openapi(getKeyRoute, async (c) => {
    const { hash } = c.req.valid("param");
    const key = await findApiKey(createDb(c.env.HYPERDRIVE.connectionString), hash);
    return c.json({ data: toKeyData(key) }, 200);
  })
  .openapi(updateKeyRoute, async (c) => {
    const { hash } = c.req.valid("param");
    const db = createDb(c.env.HYPERDRIVE.connectionString);
    // Checked first: no API sets is_management, so the key cannot become one in between.
    await findApiKey(db, hash);
    const updated = await updateKey(db, hash, toPatch(c.req.valid("json")));
    if (!updated) throw keyNotFound(hash);
    forgetKey(hash);
    const key = await findKeyRecord(db, hash);
    if (!key) throw keyNotFound(hash); // deleted between the two statements
    return c.json({ data: toKeyData(key) }, 200);
  })
  .openapi(deleteKeyRoute, async (c) => {
    const { hash } = c.req.valid("param");
    const db = createDb(c.env.HYPERDRIVE.connectionString);
    await findApiKey(db, hash);
    const deleted = await deleteKey(db, hash);
    forgetKey(hash);
    if (!deleted) throw keyNotFound(hash);
    return c.json({ deleted: true as const }, 200);
  });
