/**
 * No API request waits long on the database (issue 6: "an app-level timeout so no request hangs
 * on the database"). The routing caches bound their own reads; the routes that query Postgres
 * directly — keys, generations, activity, OAuth codes — are bounded here: past the deadline the
 * client gets a 503 with Retry-After, in the API's error shape, and the request's work is left to
 * the runtime to end with it. Without this an unreachable database held a request open for as
 * long as the client would wait: postgres.js re-opens a connection that closes while it is being
 * opened, without end, so a refused connection never fails the query.
 *
 * The deadline is four times `DB_TIMEOUT_MS` (12 s by default): a management query over a month
 * of generations may take longer than a cache read is allowed to, but not that long.
 */
import type { MiddlewareHandler } from "hono";
import { dbTimeoutMs } from "../cache/routing-data";
import type { AppEnv } from "../env";
import { CHAT_COMPLETIONS_PATH } from "./chat-completions";
import { databaseUnavailable, errorResponse } from "./error-response";

export const databaseDeadline: MiddlewareHandler<AppEnv> = async (c, next) => {
  // A completion takes as long as the model does; its own timeouts are the provider's.
  if (c.req.path === CHAT_COMPLETIONS_PATH) return next();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<true>((resolve) => {
    // `env` is absent when the app is called without bindings (`app.request` in tests).
    timer = setTimeout(() => resolve(true), 4 * dbTimeoutMs(c.env ?? {}));
  });
  const timedOut = await Promise.race([next().then(() => false), late]);
  clearTimeout(timer);
  if (timedOut) c.res = errorResponse(c, databaseUnavailable());
};
