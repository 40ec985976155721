/**
 * OpenRouter's OAuth PKCE endpoints (API.md b11, "OAuth PKCE"; CONTRACT.md §4):
 * - `POST /auth/keys` exchanges a code (from the `/auth` page or from the next route) and its
 *   PKCE verifier for a new API key on the account that approved the code. It needs no key: the
 *   code is the credential. Every refusal about the code itself is a 403; a wrong verifier counts
 *   against the code, which dies after MAX_FAILED_EXCHANGES of them (src/db/queries/auth-codes.ts).
 * - `POST /auth/keys/code` makes a code with an API key instead of the page, optionally with the
 *   new key's limit and expiry.
 * Both answer in the shapes `@openrouter/sdk` parses. Other methods on these paths get 405.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { generateApiKey, hashApiKey, keyLabel } from "../auth/api-key";
import { type AuthedEnv, requireApiKey } from "../auth/middleware";
import {
  AUTH_CODE_TTL_MINUTES,
  challengesFor,
  generateAuthCode,
  MAX_FAILED_EXCHANGES,
  userIdOf,
} from "../auth/pkce";
import { createDb, type Db } from "../db/client";
import { type ExchangeRefusal, exchangeAuthCode, insertAuthCode } from "../db/queries/auth-codes";
import type { KeyRecord } from "../db/queries/keys";
import { GatewayError } from "../errors";
import {
  type CodeRequest,
  createAuthCodeBodySchema,
  createAuthCodeResponseSchema,
  exchangeAuthCodeBodySchema,
  exchangeAuthCodeResponseSchema,
  toCodeRequest,
} from "../schema/auth";
import { errorResponse } from "./error-response";
import { toDecimalString } from "./keys";
import { bearerAuth, errorResponses, errorResponseWith } from "./openapi";

const tags = ["OAuth"];

const exchangeRoute = createRoute({
  method: "post",
  path: "/auth/keys",
  tags,
  summary: "Exchange an authorization code (and its PKCE verifier) for a new API key",
  description:
    "The code comes from the `/auth` page's redirect (`?code=…`) or from `POST /auth/keys/code`. " +
    `It works once, within ${AUTH_CODE_TTL_MINUTES} minutes, and not at all after ${MAX_FAILED_EXCHANGES} ` +
    "refused attempts (wrong or missing `code_verifier`, wrong `code_challenge_method`). " +
    "The key is created on the account that approved the code.",
  security: [],
  request: {
    body: { required: true, content: { "application/json": { schema: exchangeAuthCodeBodySchema } } },
  },
  responses: {
    200: {
      description: "The new key (shown only here) and its account's user id",
      content: { "application/json": { schema: exchangeAuthCodeResponseSchema } },
    },
    ...errorResponses(400),
    403: errorResponseWith(
      "The code is unknown, used, expired or dead, the proof is wrong (verifier, method), the key " +
        "that approved the code is disabled or expired, or the key it would make has expired. An " +
        "unknown code, a wrong proof and a dead code all answer `Invalid authorization code or code_verifier`.",
    ),
  },
});

const createCodeRoute = createRoute({
  method: "post",
  path: "/auth/keys/code",
  tags,
  summary: "Create an authorization code with an API key (the API form of the /auth page)",
  description:
    "The code (`data.id`) is exchanged at `POST /auth/keys` for a new key on the calling key's account, " +
    "with the given name, limit and expiry.",
  security: bearerAuth,
  middleware: requireApiKey,
  request: {
    body: { required: true, content: { "application/json": { schema: createAuthCodeBodySchema } } },
  },
  responses: {
    200: {
      description: "The code",
      content: { "application/json": { schema: createAuthCodeResponseSchema } },
    },
    ...errorResponses(400, 401),
    403: errorResponseWith("An admin token (it has no account), or a workspace_id other than the key's"),
    ...errorResponses(503),
  },
});

/**
 * What each refusal says. None repeats what the client sent, and `invalid` is the same for an
 * unknown code, a wrong proof and a code dead from too many wrong proofs (see ExchangeRefusal).
 */
const EXCHANGE_REFUSALS: Record<ExchangeRefusal, string> = {
  invalid: "Invalid authorization code or code_verifier",
  used: "This authorization code has already been used",
  expired: `This authorization code has expired (codes last ${AUTH_CODE_TTL_MINUTES} minutes)`,
  approver_inactive: "The API key that approved this code is disabled or expired",
  key_expired: "The key this code would create has already expired",
};

function refused(message: string): GatewayError {
  return new GatewayError(403, "permission_denied", message);
}

/** 405 with `Allow: POST`, in the error envelope. */
function methodNotAllowed(c: Context): Response {
  const error = new GatewayError(
    405,
    "invalid_request",
    `Method ${c.req.method} is not allowed here; use POST`,
  );
  return errorResponse(c, error, { Allow: "POST" });
}

export const authKeysApi = new OpenAPIHono<AuthedEnv>()
  .openapi(exchangeRoute, async (c) => {
    const body = c.req.valid("json");
    const secret = generateApiKey(false);
    const outcome = await exchangeAuthCode(
      createDb(c.env.HYPERDRIVE.connectionString),
      await hashApiKey(body.code),
      {
        challenges: body.code_verifier === undefined ? null : await challengesFor(body.code_verifier),
        method: body.code_challenge_method ?? null,
      },
      { hash: await hashApiKey(secret), label: keyLabel(secret) },
    );
    if (!outcome.ok) throw refused(EXCHANGE_REFUSALS[outcome.reason]);
    return c.json({ key: secret, user_id: userIdOf(outcome.key.accountId) }, 200);
  })
  .openapi(createCodeRoute, async (c) => {
    const body = c.req.valid("json");
    const key = c.var.key;
    if (body.workspace_id !== undefined && body.workspace_id !== key.accountId) {
      throw refused("workspace_id is not this key's workspace (its account id)");
    }
    const request = toCodeRequest(body);
    const code = generateAuthCode();
    const { createdAt } = await storeAuthCode(
      createDb(c.env.HYPERDRIVE.connectionString),
      code,
      key,
      request,
    );
    return c.json({ data: { id: code, app_id: 0, created_at: createdAt.toISOString() } }, 200);
  });

/** Stores `code` (its hash) for what `request` asks, approved by `approver`: for the API and the page. */
export async function storeAuthCode(
  db: Db,
  code: string,
  approver: Pick<KeyRecord, "accountId" | "hash">,
  request: CodeRequest,
): Promise<{ createdAt: Date }> {
  return insertAuthCode(db, {
    codeHash: await hashApiKey(code),
    accountId: approver.accountId,
    approvedByKeyHash: approver.hash,
    callbackUrl: request.callback?.toString() ?? null,
    codeChallenge: request.challenge?.value ?? null,
    codeChallengeMethod: request.challenge?.method ?? null,
    keyName: request.keyName,
    keyLimit: request.limit === null ? null : toDecimalString(request.limit),
    keyLimitReset: request.limitReset,
    keyExpiresAt: request.keyExpiresAt,
  });
}

// After the POST routes, so these see every other method.
authKeysApi.all("/auth/keys", methodNotAllowed);
authKeysApi.all("/auth/keys/code", methodNotAllowed);
