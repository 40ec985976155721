/**
 * Bring-your-own-key credentials (`/api/v1/byok`, management key only; API.md b11, b12), in the
 * shape of OpenRouter's SDK (`byok.list/create/get/update/delete`). Credentials belong to an
 * account — OpenRouter's workspace, as `/keys` reports `workspace_id` — the caller's own unless
 * `workspace_id` names another (the admin token is the operator's, as for `/keys`).
 *
 * The provider key is write-only: encrypted here with BYOK_ENCRYPTION_KEY, never returned or
 * logged. After a write this isolate forgets the account's cached keys, so its next request
 * routes with the change (other isolates within the key cache's 10 s bound).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { type AuthedEnv, requestScope, requireManagementKey } from "../auth/middleware";
import { BYOK_SECRET_NAME, byokCipherKey, encryptSecret, maskKey } from "../byok/crypto";
import { resolveByokProvider } from "../byok/providers";
import { forgetAccountKeys, getCatalog } from "../cache/routing-data";
import { createDb, type Db } from "../db/client";
import {
  type ByokPatch,
  type ByokRow,
  deleteByok,
  findByok,
  insertByok,
  listByok,
  nextSortOrder,
  updateByok,
} from "../db/queries/byok";
import { accountExists, countAccountKeys } from "../db/queries/keys";
import type { Bindings } from "../env";
import { GatewayError } from "../errors";
import {
  type ByokKeyData,
  byokIdParamSchema,
  byokListResponseSchema,
  byokResponseSchema,
  createByokBodySchema,
  deleteByokResponseSchema,
  listByokQuerySchema,
  type UpdateByokBody,
  updateByokBodySchema,
} from "../schema/byok";
import { bearerAuth, errorResponses } from "./openapi";

export function toByokData(row: ByokRow): ByokKeyData {
  return {
    id: row.id,
    provider: row.provider,
    label: row.label,
    name: row.name,
    is_fallback: row.isFallback,
    is_required: row.isRequired,
    is_byok_only: row.isByokOnly,
    sort_order: row.sortOrder,
    disabled: row.disabled,
    allowed_models: row.allowedModels,
    allowed_api_key_hashes: row.allowedApiKeyHashes,
    allowed_user_ids: row.allowedUserIds,
    declared_zdr: row.declaredZdr,
    workspace_id: row.accountId,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** The cipher key, or the 503 that says BYOK is off here (the secret itself is never named in full). */
async function cipherKeyOf(env: Bindings): Promise<CryptoKey> {
  const key = byokCipherKey(env[BYOK_SECRET_NAME]);
  if (!key) {
    throw new GatewayError(
      503,
      "server",
      `Bring-your-own-key is not configured on this gateway: the operator must set ${BYOK_SECRET_NAME} (base64 of 32 random bytes)`,
      { retryAfter: 60 },
    );
  }
  return key;
}

/** The account a request names (`workspace_id`), which must exist; else the caller's own. */
async function accountOf(db: Db, callerAccount: string, workspaceId: string | undefined): Promise<string> {
  if (workspaceId === undefined || workspaceId === callerAccount) return callerAccount;
  if (!(await accountExists(db, workspaceId))) {
    throw new GatewayError(404, "not_found", `No workspace (account) with id ${workspaceId}`);
  }
  return workspaceId;
}

/** `allowed_api_key_hashes` may name only the account's own keys (as OpenRouter: else a 400). */
async function checkKeyHashes(db: Db, accountId: string, hashes: readonly string[] | null | undefined) {
  if (!hashes) return;
  const unique = [...new Set(hashes)];
  if ((await countAccountKeys(db, accountId, unique)) !== unique.length) {
    throw new GatewayError(
      400,
      "invalid_request",
      "allowed_api_key_hashes: every hash must be an API key of the credential's account",
    );
  }
}

function notFound(id: string): GatewayError {
  return new GatewayError(404, "not_found", `No BYOK credential with id ${id}`);
}

async function existing(db: Db, id: string): Promise<ByokRow> {
  const row = await findByok(db, id);
  if (!row) throw notFound(id);
  return row;
}

function toPatch(body: UpdateByokBody): ByokPatch {
  const patch: ByokPatch = {};
  if (body.name !== undefined) patch.name = body.name;
  if (body.disabled !== undefined) patch.disabled = body.disabled;
  if (body.is_fallback !== undefined) patch.isFallback = body.is_fallback;
  if (body.is_required !== undefined) patch.isRequired = body.is_required;
  if (body.is_byok_only !== undefined) patch.isByokOnly = body.is_byok_only;
  if (body.allowed_models !== undefined) patch.allowedModels = body.allowed_models;
  if (body.allowed_api_key_hashes !== undefined) patch.allowedApiKeyHashes = body.allowed_api_key_hashes;
  if (body.allowed_user_ids !== undefined) patch.allowedUserIds = body.allowed_user_ids;
  if (body.declared_zdr !== undefined) patch.declaredZdr = body.declared_zdr;
  return patch;
}

// --- routes -------------------------------------------------------------------------------------

const tags = ["BYOK"];
const middleware = requireManagementKey;

const listRoute = createRoute({
  method: "get",
  path: "/byok",
  tags,
  summary: "List an account's bring-your-own-key provider credentials (never the keys themselves)",
  security: bearerAuth,
  middleware,
  request: { query: listByokQuerySchema },
  responses: {
    200: {
      description: "A page of credentials",
      content: { "application/json": { schema: byokListResponseSchema } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

const createRouteDef = createRoute({
  method: "post",
  path: "/byok",
  tags,
  summary: "Add a provider key (encrypted at rest, never returned)",
  security: bearerAuth,
  middleware,
  request: { body: { required: true, content: { "application/json": { schema: createByokBodySchema } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: byokResponseSchema } } },
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/byok/{id}",
  tags,
  summary: "Get one credential",
  security: bearerAuth,
  middleware,
  request: { params: byokIdParamSchema },
  responses: {
    200: { description: "The credential", content: { "application/json": { schema: byokResponseSchema } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

const updateRoute = createRoute({
  method: "patch",
  path: "/byok/{id}",
  tags,
  summary: "Change a credential (a new `key` rotates it in place)",
  security: bearerAuth,
  middleware,
  request: {
    params: byokIdParamSchema,
    body: { required: true, content: { "application/json": { schema: updateByokBodySchema } } },
  },
  responses: {
    200: {
      description: "The changed credential",
      content: { "application/json": { schema: byokResponseSchema } },
    },
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/byok/{id}",
  tags,
  summary: "Delete a credential",
  security: bearerAuth,
  middleware,
  request: { params: byokIdParamSchema },
  responses: {
    200: { description: "Deleted", content: { "application/json": { schema: deleteByokResponseSchema } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

export const byokApi = new OpenAPIHono<AuthedEnv>()
  .openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const db = createDb(c.env.HYPERDRIVE.connectionString);
    const accountId = await accountOf(db, c.var.key.accountId, q.workspace_id);
    const { rows, total } = await listByok(db, {
      accountId,
      provider: q.provider?.toLowerCase(),
      offset: q.offset,
      limit: q.limit,
    });
    return c.json({ data: rows.map(toByokData), total_count: total }, 200);
  })
  .openapi(createRouteDef, async (c) => {
    const body = c.req.valid("json");
    const cipherKey = await cipherKeyOf(c.env);
    const catalog = await getCatalog(requestScope(c)).catch((cause: unknown) => {
      throw new GatewayError(503, "server", "Routing data is unavailable, try again shortly", { cause });
    });
    const provider = resolveByokProvider(body.provider, catalog);
    if (!provider.ok) throw new GatewayError(400, "invalid_request", provider.message);
    const db = createDb(c.env.HYPERDRIVE.connectionString);
    const accountId = await accountOf(db, c.var.key.accountId, body.workspace_id);
    await checkKeyHashes(db, accountId, body.allowed_api_key_hashes);
    const row = await insertByok(db, {
      accountId,
      provider: provider.slug,
      keyCiphertext: await encryptSecret(cipherKey, body.key),
      label: maskKey(body.key),
      name: body.name ?? null,
      isFallback: body.is_fallback ?? false,
      isRequired: body.is_required ?? false,
      isByokOnly: body.is_byok_only ?? false,
      sortOrder: await nextSortOrder(db, accountId, provider.slug),
      disabled: body.disabled ?? false,
      allowedModels: body.allowed_models ?? null,
      allowedApiKeyHashes: body.allowed_api_key_hashes ?? null,
      allowedUserIds: body.allowed_user_ids ?? null,
      declaredZdr: body.declared_zdr ?? null,
    });
    forgetAccountKeys(accountId);
    return c.json({ data: toByokData(row) }, 201);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await existing(createDb(c.env.HYPERDRIVE.connectionString), id);
    return c.json({ data: toByokData(row) }, 200);
  })
  .openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const db = createDb(c.env.HYPERDRIVE.connectionString);
    const current = await existing(db, id);
    const patch = toPatch(body);
    // The flags' rule holds for the credential as it will be, not only for the fields sent.
    const fallback = patch.isFallback ?? current.isFallback;
    if (fallback && ((patch.isRequired ?? current.isRequired) || (patch.isByokOnly ?? current.isByokOnly))) {
      throw new GatewayError(
        400,
        "invalid_request",
        "is_required and is_byok_only are only valid on non-fallback credentials",
      );
    }
    await checkKeyHashes(db, current.accountId, body.allowed_api_key_hashes);
    if (body.key !== undefined) {
      patch.keyCiphertext = await encryptSecret(await cipherKeyOf(c.env), body.key);
      patch.label = maskKey(body.key);
    }
    const row = await updateByok(db, id, patch);
    if (!row) throw notFound(id);
    forgetAccountKeys(row.accountId);
    return c.json({ data: toByokData(row) }, 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = createDb(c.env.HYPERDRIVE.connectionString);
    const current = await existing(db, id);
    if (!(await deleteByok(db, id))) throw notFound(id);
    forgetAccountKeys(current.accountId);
    return c.json({ deleted: true as const }, 200);
  });
