/**
 * The only place that turns failures into HTTP responses. Every route's errors — ours,
 * validation, malformed JSON, unknown routes, bugs — leave as OpenRouter's envelope.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { userIdOf } from "../auth/pkce";
import { describeDbError, isConnectionFailure, isDataException } from "../db/errors";
import {
  errorBody,
  errorTypeForStatus,
  GATEWAY_RETRY_AFTER_SECONDS,
  GatewayError,
  rateLimitHeaders,
} from "../errors";
import { CORS_HEADERS } from "./cors";

/** `extra` adds headers of the caller's, e.g. the `X-Generation-Id` a failure was recorded under. */
export function errorResponse(c: Context, err: GatewayError, extra: Record<string, string> = {}): Response {
  // CORS here too: the chat route's errors skip the router's middleware (./cors.ts).
  const headers: Record<string, string> = { ...CORS_HEADERS, ...extra };
  const retryAfter = retryAfterOf(err);
  if (retryAfter !== undefined) headers["Retry-After"] = String(Math.ceil(retryAfter));
  // Only on 429s of our own limiters: an upstream's limits are not ours to report (API.md b1).
  if (err.status === 429 && err.meta.rateLimit) Object.assign(headers, rateLimitHeaders(err.meta.rateLimit));
  // Whose request it was, once the key is known (API.md b9), as OAuth's exchange names the user.
  const key = (c.var as { key?: { accountId: string } }).key;
  const body = key ? { ...errorBody(err), user_id: userIdOf(key.accountId) } : errorBody(err);
  return c.json(body, err.status as 400, headers);
}

/**
 * Retry-After (seconds) goes on every 429 and 503 (API.md b1). A 429/503 of ours without a hint
 * gets the gateway's default; a provider's keeps its own hint or none — we would only be guessing.
 */
function retryAfterOf(err: GatewayError): number | undefined {
  if (err.status !== 429 && err.status !== 503) return undefined;
  if (err.meta.retryAfter !== undefined) return err.meta.retryAfter;
  return err.fromUpstream ? undefined : GATEWAY_RETRY_AFTER_SECONDS;
}

/** The 503 for a database that cannot be reached or did not answer in time. */
export function databaseUnavailable(): GatewayError {
  return new GatewayError(503, "server", "The database is unavailable, try again shortly");
}

/** Any thrown value as the error the client is shown; a bug is logged and shown without detail. */
export function gatewayErrorOf(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof HTTPException) {
    // Hono's own refusals (malformed JSON, body limit) come through here.
    const status = err.status;
    const message =
      status === 413
        ? "Request body is too large"
        : /json/i.test(err.message)
          ? "Malformed JSON in request body"
          : err.message || "Bad request";
    return new GatewayError(status, errorTypeForStatus(status), message);
  }
  // A value of the request the database would not take (a NUL in a key's name or id): the
  // client's input, which validation let through — a 400, not a 500. Nothing was written.
  if (isDataException(err)) {
    return new GatewayError(
      400,
      "invalid_request",
      "The request carries a value that cannot be stored (for example a NUL character)",
    );
  }
  if (isConnectionFailure(err)) {
    console.error(`database unavailable: ${describeDbError(err)}`);
    return databaseUnavailable();
  }
  // A bug. Log the type and message (never a stack with request data in it, nor a failed
  // statement's parameters), answer without detail.
  console.error(`unhandled error: ${describeDbError(err)}`);
  return new GatewayError(500, "server", "Internal server error");
}

export const onError: ErrorHandler = (err, c) => errorResponse(c, gatewayErrorOf(err));

export const notFound: NotFoundHandler = (c) =>
  errorResponse(c, new GatewayError(404, "not_found", `No route for ${c.req.method} ${c.req.path}`));

/** Names the first offending field, e.g. `messages.0.role: Invalid input`. */
export function describeZodError(error: ZodError): string {
  const issues = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return issues.join("; ");
}

/** A failed validation as a 400 in our envelope (instead of zod's body), naming the fields. */
export function invalidRequest(error: ZodError, target: string): GatewayError {
  return new GatewayError(400, "invalid_request", `Invalid request ${target}: ${describeZodError(error)}`, {
    extra: {
      issues: error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String), message: i.message })),
    },
  });
}

/** zod-openapi's hook: a failed validation becomes `invalidRequest`. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target: string },
): void {
  if (!result.success) throw invalidRequest(result.error, result.target);
}
