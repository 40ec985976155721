/**
 * Authentication for the API: the caller's bearer key, looked up by hash through the
 * in-isolate cache. Disabled, expired and unknown keys all get 401; management keys manage
 * keys and cannot call models (as OpenRouter's).
 */
import { createMiddleware } from "hono/factory";
import { getKeyRecord, type RequestScope } from "../cache/routing-data";
import type { KeyRecord } from "../db/queries/keys";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { bearerToken, hashBearerKey } from "./api-key";

export type AuthedEnv = AppEnv & { Variables: { key: KeyRecord } };

/** The request's `waitUntil`, when there is an execution context (there is none in `app.request` tests). */
export function requestScope(c: {
  env: AppEnv["Bindings"];
  executionCtx: { waitUntil(p: Promise<unknown>): void };
}): RequestScope {
  let waitUntil: RequestScope["waitUntil"];
  try {
    const ctx = c.executionCtx;
    waitUntil = (p) => ctx.waitUntil(p);
  } catch {
    waitUntil = undefined;
  }
  return { env: c.env, waitUntil };
}

async function authenticate(header: string | undefined, scope: RequestScope): Promise<KeyRecord> {
  const token = bearerToken(header);
  if (!token) throw new GatewayError(401, "authentication", "No auth credentials found");
  const key = await getKeyRecord(scope, await hashBearerKey(token)).catch((cause: unknown) => {
    throw new GatewayError(503, "server", "Key store unavailable, try again shortly", { cause });
  });
  if (!key) throw new GatewayError(401, "authentication", "Invalid API key");
  if (key.disabled) throw new GatewayError(401, "authentication", "API key is disabled");
  if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) {
    throw new GatewayError(401, "authentication", "API key has expired");
  }
  return key;
}

/** An inference key: may call models and read its own `/key` and `/credits`. */
export const requireApiKey = createMiddleware<AuthedEnv>(async (c, next) => {
  const key = await authenticate(c.req.header("authorization"), requestScope(c));
  if (key.isManagement) {
    throw new GatewayError(
      403,
      "permission_denied",
      "Management keys cannot be used for inference; use an API key",
    );
  }
  c.set("key", key);
  await next();
});

/** Any valid key (inference or management), for read-only self views such as `/key`. */
export const requireAnyKey = createMiddleware<AuthedEnv>(async (c, next) => {
  c.set("key", await authenticate(c.req.header("authorization"), requestScope(c)));
  await next();
});

/** A management key (the admin token): may create, list, change and delete keys. */
export const requireManagementKey = createMiddleware<AuthedEnv>(async (c, next) => {
  const key = await authenticate(c.req.header("authorization"), requestScope(c));
  if (!key.isManagement) {
    throw new GatewayError(
      403,
      "permission_denied",
      "This endpoint requires a management key (the admin token)",
    );
  }
  c.set("key", key);
  await next();
});
