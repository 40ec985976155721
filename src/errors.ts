/**
 * One error class for everything the gateway refuses or fails at, and one envelope
 * (OpenRouter's `{ error: { code, message, metadata, availability? } }`) built from it in one place.
 */
import type { GenerationAttempt } from "./db/schema";
import type { Availability } from "./schema/availability";

/** OpenRouter's `error.metadata.error_type` values (API.md b9). */
export const ERROR_TYPES = [
  "context_length_exceeded",
  "max_tokens_exceeded",
  "token_limit_exceeded",
  "string_too_long",
  "authentication",
  "permission_denied",
  "payment_required",
  "rate_limit_exceeded",
  "provider_overloaded",
  "provider_unavailable",
  "invalid_request",
  "invalid_prompt",
  "not_found",
  "precondition_failed",
  "payload_too_large",
  "unprocessable",
  "content_policy_violation",
  "refusal",
  "invalid_image",
  "server",
  "timeout",
  "unmapped",
] as const;
export type GatewayErrorType = (typeof ERROR_TYPES)[number];

/** A limit of the gateway's own that a 429 reports, as `X-RateLimit-*` (API.md b1). */
export interface RateLimit {
  limit: number;
  remaining: number;
  /** Unix time in milliseconds when the window next has room (OpenRouter's `X-RateLimit-Reset`). */
  resetAt: number;
}

/**
 * `X-RateLimit-*` as OpenRouter sends them on the 429s it makes itself; its error bodies repeat
 * them in `metadata.headers`, which clients read for the reset time.
 */
export function rateLimitHeaders(rateLimit: RateLimit): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(rateLimit.limit),
    "X-RateLimit-Remaining": String(rateLimit.remaining),
    "X-RateLimit-Reset": String(rateLimit.resetAt),
  };
}

export interface GatewayErrorMeta {
  /** Display name of the provider whose answer this error reports. */
  provider?: string | undefined;
  /** The upstream's body, secrets redacted (OpenRouter's `metadata.raw`); set on every upstream error. */
  raw?: string | undefined;
  /** Overrides the status-based default (e.g. a 400 that is really a context-length error). */
  retryable?: boolean | undefined;
  /** Seconds to wait before retrying (Retry-After): the upstream's hint, or the gateway's own. */
  retryAfter?: number | undefined;
  /** Set on a 429 of the gateway's own limiter: sent as `X-RateLimit-*` and `metadata.headers`. */
  rateLimit?: RateLimit | undefined;
  /** The provider's own error code (`overloaded_error`, `RESOURCE_EXHAUSTED`, …). */
  providerCode?: string | undefined;
  /** Why a model could not be served: `error.availability`, beside `metadata` (API.md b9). */
  availability?: Availability | undefined;
  /**
   * Every attempt made before giving up, the failing one last: what the generation record lists
   * as `provider_responses` (routing/execute.ts). Never sent to the client.
   */
  attempts?: GenerationAttempt[] | undefined;
  /**
   * A provider refused the user's own (BYOK) key: retryable for routing, but no sign that the
   * endpoint is failing, so execution does not mark its health.
   */
  userKeyRefused?: boolean | undefined;
  /** Anything else to put under `error.metadata` (previous_errors, model, …). */
  extra?: Record<string, unknown> | undefined;
  cause?: unknown;
}

/** The error_type an HTTP status stands for, when nothing more specific is known. */
const TYPE_BY_STATUS: Record<number, GatewayErrorType> = {
  400: "invalid_request",
  401: "authentication",
  402: "payment_required",
  403: "permission_denied",
  404: "not_found",
  408: "timeout",
  413: "payload_too_large",
  422: "unprocessable",
  429: "rate_limit_exceeded",
  502: "provider_unavailable",
  503: "provider_overloaded",
  504: "timeout",
  529: "provider_overloaded",
};

export function errorTypeForStatus(status: number): GatewayErrorType {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? "provider_unavailable" : "invalid_request");
}

/**
 * The Retry-After of the gateway's own 429s and 503s when they name none (a store or catalog read
 * that failed, no provider left to try): a read is retried after its timeout (DB_TIMEOUT_MS, 3 s)
 * and failure backoff (2 s), so a client coming back after this finds the outcome of a fresh one.
 */
export const GATEWAY_RETRY_AFTER_SECONDS = 5;

/** Statuses worth trying again elsewhere, as openai-node and the AI SDK retry. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly type: GatewayErrorType,
    message: string,
    readonly meta: GatewayErrorMeta = {},
  ) {
    super(message, { cause: meta.cause });
    this.name = "GatewayError";
  }

  get retryable(): boolean {
    return this.meta.retryable ?? isRetryableStatus(this.status);
  }

  /** A provider's own answer (it carries the upstream body), as opposed to a refusal of ours. */
  get fromUpstream(): boolean {
    return this.meta.raw !== undefined;
  }

  /** The `error` object of the envelope; also used in-band in streams. */
  toErrorObject(): {
    code: number;
    message: string;
    metadata: Record<string, unknown>;
    availability?: Availability;
  } {
    const metadata: Record<string, unknown> = { error_type: this.type, ...this.meta.extra };
    if (this.meta.provider !== undefined) metadata.provider_name = this.meta.provider;
    if (this.meta.raw !== undefined) metadata.raw = this.meta.raw;
    if (this.meta.providerCode !== undefined) metadata.provider_code = this.meta.providerCode;
    if (this.meta.rateLimit !== undefined) metadata.headers = rateLimitHeaders(this.meta.rateLimit);
    const { availability } = this.meta;
    return availability
      ? { code: this.status, message: this.message, metadata, availability }
      : { code: this.status, message: this.message, metadata };
  }
}

/** The single error body: `{ "error": { code, message, metadata, availability? } }`. */
export function errorBody(err: GatewayError): { error: ReturnType<GatewayError["toErrorObject"]> } {
  return { error: err.toErrorObject() };
}

const SECRET_PATTERNS: RegExp[] = [
  /\b(sk|rk|pk)-[A-Za-z0-9_-]{8,}/g, // OpenAI/Anthropic/our own style keys
  /\bAIza[0-9A-Za-z_-]{20,}/g, // Google API keys
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bgsk_[A-Za-z0-9]{20,}/g, // Groq
  /\bxai-[A-Za-z0-9]{20,}/g, // xAI
  /(bearer\s+)[A-Za-z0-9._~+/=-]{12,}/gi,
  /((?:api[_-]?key|key|token|secret|password)["'=:\s]+)[A-Za-z0-9._~+/=-]{12,}/gi,
];

/** Characters a key may continue with after a fragment of it (base64, URL and JSON escapes). */
const KEY_TAIL = "[A-Za-z0-9._~+/=%\\\\-]*";

/**
 * Where a known secret may stand in a provider's text: as itself, JSON-escaped (`/` as `\/`),
 * URL-encoded, or cut after its first 12 characters (providers quote "sk-abc…xyz" prefixes).
 */
function secretPattern(secret: string): RegExp {
  const forms = new Set([
    secret,
    JSON.stringify(secret).slice(1, -1),
    secret.replaceAll("/", "\\/"),
    encodeURIComponent(secret),
  ]);
  const alternatives = [...forms].map(escapeRegExp);
  if (secret.length >= 16) alternatives.push(`${escapeRegExp(secret.slice(0, 12))}${KEY_TAIL}`);
  return new RegExp(alternatives.join("|"), "g");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Removes anything that looks like a credential from text we are about to show a client or log:
 * the secrets we hold (`known`), in whatever form a provider echoes them, and key-like strings.
 */
export function redactSecrets(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const secret of known) if (secret.length >= 8) out = out.replace(secretPattern(secret), "[REDACTED]");
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (_match, prefix: unknown) =>
      typeof prefix === "string" && /[\s=:"']$/.test(prefix) ? `${prefix}[REDACTED]` : "[REDACTED]",
    );
  }
  return out;
}

/**
 * A JSON text as the value it encodes, with `redactSecrets` applied to every key and to every
 * string and number in it. Each value is redacted as it stands in the text, after its key
 * (`"api_key":"…"`), so the patterns that need a key see one; and the result is still a value
 * (a redaction that would leave invalid JSON, such as a long number after `"token":`, gives
 * `"[REDACTED]"`). A text that is not JSON comes back redacted, as a string.
 */
export function redactJsonSecrets(text: string, known: readonly string[] = []): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return redactSecrets(text, known);
  }
  return redactJsonValue(value, "", known);
}

function redactJsonValue(value: unknown, key: string, known: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => redactJsonValue(item, "", known));
  if (value !== null && typeof value === "object") {
    // fromEntries defines the properties: a `__proto__` key stays a key, as JSON.parse made it.
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [redactSecrets(k, known), redactJsonValue(v, k, known)]),
    );
  }
  if (typeof value !== "string" && typeof value !== "number") return value;
  const text = `${JSON.stringify(key)}:${JSON.stringify(value)}`;
  const redacted = redactSecrets(text, known);
  if (redacted === text) return value;
  try {
    return Object.values(JSON.parse(`{${redacted}}`) as Record<string, unknown>)[0];
  } catch {
    return "[REDACTED]";
  }
}
