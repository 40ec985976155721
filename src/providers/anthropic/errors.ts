/**
 * Anthropic's errors → GatewayError, for HTTP answers and for `event: error` inside a 200 stream.
 * Body shape: `{type: "error", error: {type, message}, request_id}`.
 *
 * @see https://docs.anthropic.com/en/api/errors
 */
import type { GatewayError, GatewayErrorType } from "../../errors";
import { looksLikeContextLengthError, providerError } from "../http-errors";
import type { Target } from "../types";
import { errorBodySchema, type WireErrorBody } from "./wire";

/**
 * Anthropic error type → the status and error_type it stands for. In-stream errors carry no
 * HTTP status, so this table supplies one (overloaded → 503 as OpenRouter reports it).
 */
const ERROR_TYPES: Readonly<Record<string, { status: number; type: GatewayErrorType }>> = {
  invalid_request_error: { status: 400, type: "invalid_request" },
  authentication_error: { status: 401, type: "authentication" },
  billing_error: { status: 402, type: "payment_required" },
  permission_error: { status: 403, type: "permission_denied" },
  not_found_error: { status: 404, type: "not_found" },
  request_too_large: { status: 413, type: "payload_too_large" },
  rate_limit_error: { status: 429, type: "rate_limit_exceeded" },
  api_error: { status: 500, type: "server" },
  timeout_error: { status: 504, type: "timeout" },
  overloaded_error: { status: 503, type: "provider_overloaded" },
};

/** Anthropic's other "too long" wording, which the shared pattern does not cover. */
const CONTEXT_LIMIT = /exceed context limit|prompt is too long/i;
/** An exhausted provider account is our problem, not the client's: try another provider. */
const NO_CREDIT = /credit balance is too low/i;

function parseBody(text: string): WireErrorBody | undefined {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function classify(
  status: number,
  code: string | undefined,
  message: string,
): { type: GatewayErrorType | undefined; retryable: boolean | undefined } {
  if (status === 400 && (CONTEXT_LIMIT.test(message) || looksLikeContextLengthError(message))) {
    return { type: "context_length_exceeded", retryable: undefined };
  }
  if (NO_CREDIT.test(message)) return { type: "payment_required", retryable: true };
  return { type: code === undefined ? undefined : ERROR_TYPES[code]?.type, retryable: undefined };
}

/**
 * A non-2xx answer. 529 is Anthropic's "overloaded" and stays retryable; `x-should-retry`
 * (error-529-overloaded.http.json, error-429.headers.json), when present, is Anthropic's own
 * verdict and overrides the status; Retry-After comes from the shared parser.
 */
export function toAnthropicGatewayError(
  status: number,
  bodyText: string,
  headers: Headers,
  target: Target,
): GatewayError {
  const body = parseBody(bodyText);
  const code = body?.error.type ?? undefined;
  const message = body?.error.message ?? "";
  const { type, retryable } = classify(status, code, message);
  const shouldRetry = headers.get("x-should-retry");
  return providerError({
    status,
    target,
    message: message || undefined,
    bodyText,
    headers,
    type,
    providerCode: code,
    retryable: shouldRetry === "true" ? true : shouldRetry === "false" ? false : retryable,
  });
}

/**
 * An `event: error` inside a 200 stream (stream-error-overloaded.sse,
 * stream-error-event-with-request-id.json). Status and retryability follow the error type;
 * an unknown type is treated as the upstream failing (502, retryable).
 */
export function streamError(body: WireErrorBody, target: Target, raw: string): GatewayError {
  const code = body.error.type ?? "unknown";
  const known = ERROR_TYPES[code];
  const message = body.error.message || `Anthropic stream error (${code})`;
  const status = known?.status ?? 502;
  const classified = classify(status, code, message);
  return providerError({
    status,
    target,
    message,
    bodyText: raw,
    headers: new Headers(),
    type: classified.type ?? known?.type ?? "provider_unavailable",
    providerCode: code,
    retryable: classified.retryable,
  });
}
