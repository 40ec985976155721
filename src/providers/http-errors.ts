/**
 * What every adapter's `toGatewayError` shares: the status → error_type table, Retry-After
 * parsing, and building the error with the upstream's detail redacted. The provider-specific
 * part (reading its error body, its codes) stays in each adapter.
 */
import { errorTypeForStatus, GatewayError, type GatewayErrorType, redactSecrets } from "../errors";

import type { Target } from "./types";

/** Phrases providers use for "prompt too long"; such a 400 moves routing on to the next model. */
const CONTEXT_LENGTH =
  /context[ _-]?(length|window)|maximum context|too many tokens|prompt is too long|input is too long|reduce the length|exceeds? the (maximum|max) (number of )?tokens/i;

export function looksLikeContextLengthError(message: string): boolean {
  return CONTEXT_LENGTH.test(message);
}

/**
 * Seconds to wait, from `retry-after-ms`, `retry-after` (seconds or HTTP date), or
 * `x-ratelimit-reset-requests` style durations (`12ms`, `6m0s`). Undefined when absent.
 */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && Number.isFinite(Number(ms))) return Number(ms) / 1000;
  const ra = headers.get("retry-after");
  if (ra !== null) {
    if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Number(ra);
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, (at - now) / 1000);
  }
  return undefined;
}

const CONTENT_REFUSALS = new Set<string>(["content_policy_violation", "refusal"]);

export interface ProviderErrorInit {
  status: number;
  target: Target;
  /** The provider's human message; shown to the client (redacted). */
  message: string | undefined;
  /** The whole upstream body, kept as `metadata.raw` (redacted). */
  bodyText: string;
  headers: Headers;
  type?: GatewayErrorType | undefined;
  providerCode?: string | undefined;
  retryable?: boolean | undefined;
}

/**
 * A provider's refusal in OpenRouter's shape: the status is the upstream's (but for refused
 * credentials, below), the message is the provider's own (so `curl` users can read it) and the
 * raw body sits in `metadata.raw`.
 */
export function providerError(init: ProviderErrorInit): GatewayError {
  const known = [init.target.apiKey ?? ""];
  const message = init.message
    ? redactSecrets(init.message, known)
    : `Provider returned error (${init.status})`;
  // A 403 the provider gives for the content (a moderation flag from a gateway upstream) is the
  // request's, and stays a 403; any other 401/403 refuses this gateway's credentials.
  const raw = redactSecrets(init.bodyText, known).slice(0, 4000);
  if ((init.status === 401 || init.status === 403) && !CONTENT_REFUSALS.has(init.type ?? ""))
    return init.target.byok ? userKeyRefused(init, message, raw) : credentialsRefused(init, message, raw);
  const type =
    init.type ??
    (init.status === 400 && init.message && looksLikeContextLengthError(init.message)
      ? "context_length_exceeded"
      : errorTypeForStatus(init.status));
  return new GatewayError(init.status, type, message, {
    provider: init.target.provider.name,
    raw,
    retryAfter: parseRetryAfter(init.headers),
    providerCode: init.providerCode,
    retryable: init.retryable,
    ...(init.target.byok ? { extra: { is_byok: true } } : {}),
  });
}

/**
 * The provider refused this gateway's credentials (401) or what they allow (403: a model not
 * enabled, a region): the gateway's configuration is at fault, never the client's key. Another
 * provider may serve the request; if none does, the client gets a 502 — not a 401 or 403 that its
 * SDK would report as a bad or under-privileged API key. The provider's code and body stay in
 * the metadata for the operator. With BYOK the key is the user's: see `userKeyRefused`.
 */
function credentialsRefused(init: ProviderErrorInit, message: string, raw: string): GatewayError {
  const name = init.target.provider.name;
  return new GatewayError(
    502,
    "provider_unavailable",
    `${name} refused this gateway's credentials (${init.status}): ${message}`,
    {
      provider: name,
      raw,
      providerCode: init.providerCode,
      retryable: true,
    },
  );
}

/**
 * The provider refused the user's own key (BYOK): the user can fix this, so the status stays the
 * provider's 401/403 and the message says whose key it was. Retryable, so routing still falls
 * through to the next attempt (the shared endpoint, another credential); it reaches the client
 * only when no later attempt did better. `userKeyRefused` keeps the endpoint's health untouched:
 * one user's bad key says nothing about the provider (routing/execute.ts).
 */
function userKeyRefused(init: ProviderErrorInit, message: string, raw: string): GatewayError {
  const name = init.target.provider.name;
  return new GatewayError(
    init.status,
    init.status === 401 ? "authentication" : "permission_denied",
    `${name} refused your own provider key (BYOK, ${init.status}): ${message}`,
    {
      provider: name,
      raw,
      providerCode: init.providerCode,
      retryable: true,
      userKeyRefused: true,
      extra: { is_byok: true },
    },
  );
}
