/**
 * Google's error body (`google.rpc.Status`: `{error:{code, message, status, details[]}}`, or an
 * array of those from streaming endpoints) → GatewayError. The HTTP status stays the upstream's;
 * the canonical `status` string and the `details[]` refine the type and the wait.
 *
 * @see https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes
 * @see https://cloud.google.com/apis/design/errors#handling_errors
 */
import { GatewayError, type GatewayErrorType } from "../../errors";
import { looksLikeContextLengthError, providerError } from "../http-errors";
import type { Target } from "../types";
import { errorBodySchema, type WireError } from "./wire";

/** Canonical codes whose meaning is sharper than their HTTP status (all 400s look alike otherwise). */
const BY_STATUS: Record<string, GatewayErrorType> = {
  UNAUTHENTICATED: "authentication",
  PERMISSION_DENIED: "permission_denied",
  NOT_FOUND: "not_found",
  RESOURCE_EXHAUSTED: "rate_limit_exceeded",
  FAILED_PRECONDITION: "precondition_failed",
  UNAVAILABLE: "provider_overloaded",
  DEADLINE_EXCEEDED: "timeout",
  INTERNAL: "server",
};

/** The `error` object of a Google error body, or undefined when the body is something else. */
export function parseGoogleError(body: unknown): WireError | undefined {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return undefined;
  return Array.isArray(parsed.data) ? parsed.data[0]?.error : parsed.data.error;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** google.rpc.RetryInfo's `retryDelay` is a protobuf Duration in JSON: `"34.4s"`. */
function retryDelaySeconds(error: WireError): number | undefined {
  for (const detail of error.details ?? []) {
    const match = /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay ?? "");
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}

function typeOf(status: number, error: WireError | undefined): GatewayErrorType | undefined {
  if (!error) return undefined;
  const message = error.message ?? "";
  // A bad key is a 400 INVALID_ARGUMENT with ErrorInfo reason API_KEY_INVALID, not a 401
  // (fixture error-400-invalid-argument-api-key.json).
  if (error.details?.some((d) => d.reason === "API_KEY_INVALID")) return "authentication";
  // "The input token count (N) exceeds the maximum number of tokens allowed (M)."
  if (status === 400 && looksLikeContextLengthError(message)) return "context_length_exceeded";
  return error.status ? BY_STATUS[error.status] : undefined;
}

/** Maps a non-2xx Gemini answer (or an in-band stream error's body) to the gateway's error. */
export function toGatewayError(
  status: number,
  bodyText: string,
  headers: Headers,
  target: Target,
): GatewayError {
  const error = parseGoogleError(parseJson(bodyText));
  const err = providerError({
    status,
    target,
    message: error?.message ?? undefined,
    bodyText,
    headers,
    type: typeOf(status, error),
    providerCode: error?.status ?? undefined,
  });
  const delay = error ? retryDelaySeconds(error) : undefined;
  if (delay === undefined || err.meta.retryAfter !== undefined) return err;
  return new GatewayError(err.status, err.type, err.message, { ...err.meta, retryAfter: delay });
}
