/**
 * Cross-origin access to the API, so that browser apps whose users bring their own key (the
 * OAuth PKCE flow) can call it directly, as they call OpenRouter. Keys travel in
 * `Authorization`, never in cookies, so any origin may call: `*`, without credentials.
 */
import { cors } from "hono/cors";

/** What a browser app may read of our answers beyond the CORS-safelisted headers. */
const EXPOSED_HEADERS = [
  "X-Generation-Id",
  "Server-Timing",
  "X-Switchyard-Model",
  "X-Switchyard-Provider",
  "X-Switchyard-Compression",
  "Retry-After",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
].join(", ");

/**
 * The two headers every actual (non-preflight) answer carries. The chat route, which skips the
 * router's middleware on the hot path, adds them to its own header records.
 */
export const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": EXPOSED_HEADERS,
} as const;

/** For the general router: answers preflights (any requested header, a day's cache) and stamps answers. */
export const apiCors = cors({
  origin: "*",
  allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
  exposeHeaders: EXPOSED_HEADERS.split(", "),
  maxAge: 86_400,
});
