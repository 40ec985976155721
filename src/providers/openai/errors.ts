/**
 * Upstream refusals → GatewayError. Reads every error body the OpenAI dialect produces:
 * OpenAI's `{error:{message,type,code,param}}`, OpenRouter's `{error:{code:429,message,metadata:{raw}}}`,
 * Mistral/vLLM's top-level `{object:"error",message,type,code}`, FastAPI's `{detail}`, a bare
 * `{error:"…"}`, and plain-text or HTML bodies from proxies in front of them.
 */
import { ERROR_TYPES, type GatewayError, type GatewayErrorType } from "../../errors";
import { looksLikeContextLengthError, providerError } from "../http-errors";
import type { Target } from "../types";
import { type WireError, wireErrorSchema } from "./wire";

interface ErrorDetail {
  message: string | undefined;
  code: string | undefined;
  type: string | undefined;
  errorType: string | undefined;
  status: number | undefined;
}

const asText = (value: unknown): string | undefined =>
  typeof value === "string"
    ? value
    : value === undefined || value === null
      ? undefined
      : JSON.stringify(value);

function fromWireError(err: WireError): ErrorDetail {
  let message = asText(err.message);
  // OpenRouter hides the upstream's words in metadata.raw behind "Provider returned error"
  // (fixture openrouter/error-429-upstream-rate-limited.http.json).
  const raw = asText(err.metadata?.raw);
  if (raw) message = message ? `${message}: ${raw}` : raw;
  const numeric = typeof err.code === "number" ? err.code : undefined;
  return {
    message,
    code: asText(err.metadata?.provider_code) ?? (typeof err.code === "string" ? err.code : undefined),
    type: err.type ?? undefined,
    errorType: err.metadata?.error_type ?? undefined,
    status:
      err.status_code ?? (numeric !== undefined && numeric >= 400 && numeric < 600 ? numeric : undefined),
  };
}

function readBody(bodyText: string): ErrorDetail {
  const none: ErrorDetail = {
    message: undefined,
    code: undefined,
    type: undefined,
    errorType: undefined,
    status: undefined,
  };
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return { ...none, message: plainMessage(bodyText) };
  }
  if (typeof json !== "object" || json === null) return { ...none, message: asText(json) };
  const obj = json as Record<string, unknown>;
  if (typeof obj.error === "string") return { ...none, message: obj.error };
  const nested = wireErrorSchema.safeParse(obj.error);
  if (nested.success) return fromWireError(nested.data);
  const top = wireErrorSchema.safeParse(obj);
  if (top.success && top.data.message !== undefined) return fromWireError(top.data);
  if (obj.detail !== undefined) return { ...none, message: asText(obj.detail) };
  return none;
}

/** Text bodies as they are; HTML error pages (gateways, load balancers) by their <title>. */
function plainMessage(bodyText: string): string | undefined {
  const text = bodyText.trim();
  if (text === "") return undefined;
  if (text.startsWith("<")) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    return title || undefined;
  }
  return text.slice(0, 500);
}

/** The error type the body's code or wording implies, when the status alone would say less. */
function typeFrom(detail: ErrorDetail, status: number): GatewayErrorType | undefined {
  const known = ERROR_TYPES as readonly string[];
  if (detail.errorType && known.includes(detail.errorType)) return detail.errorType as GatewayErrorType;
  const code = detail.code ?? "";
  if (code === "context_length_exceeded" || code === "string_above_max_length")
    return "context_length_exceeded";
  if (code === "insufficient_quota") return "payment_required";
  if (code === "content_filter" || code === "content_policy_violation") return "content_policy_violation";
  if (code === "model_not_found" || code === "DeploymentNotFound") return "not_found";
  if (status >= 400 && status < 500 && detail.message && looksLikeContextLengthError(detail.message)) {
    return "context_length_exceeded";
  }
  return undefined;
}

/** `6m0s`, `1.5s`, `12ms` (OpenAI's x-ratelimit-reset-* durations) → seconds. */
function durationSeconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  let matched = false;
  for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(n) * (units[unit ?? "s"] ?? 1);
    matched = true;
  }
  return matched ? total : undefined;
}

/**
 * When no Retry-After header came, OpenAI's wait hint is in other places: the message ("Please try
 * again in 6ms", fixture openai/error-429-rate-limit-tokens.json; Azure: "retry after 8 seconds"),
 * or the x-ratelimit-reset-{requests,tokens} durations (fixture openai/success-ratelimit.headers.json),
 * of which the exhausted budget's counts.
 */
function withRetryHint(status: number, headers: Headers, message: string | undefined): Headers {
  if (status !== 429 || headers.has("retry-after") || headers.has("retry-after-ms")) return headers;
  let seconds: number | undefined;
  const m =
    message && /(?:try again in|retry after)\s+(\d+(?:\.\d+)?)\s*(ms|s\b|sec|seconds?)/i.exec(message);
  if (m?.[1]) seconds = Number(m[1]) / (m[2] === "ms" ? 1000 : 1);
  if (seconds === undefined) {
    const budgets = ["requests", "tokens"].map((b) => ({
      exhausted: headers.get(`x-ratelimit-remaining-${b}`) === "0",
      reset: durationSeconds(headers.get(`x-ratelimit-reset-${b}`)),
    }));
    const relevant = budgets.some((b) => b.exhausted) ? budgets.filter((b) => b.exhausted) : budgets;
    const resets = relevant.flatMap((b) => (b.reset === undefined ? [] : [b.reset]));
    if (resets.length > 0) seconds = Math.max(...resets);
  }
  if (seconds === undefined) return headers;
  const out = new Headers(headers);
  out.set("retry-after-ms", String(Math.round(seconds * 1000)));
  return out;
}

/** A non-2xx answer. */
export function toGatewayError(
  status: number,
  bodyText: string,
  headers: Headers,
  target: Target,
): GatewayError {
  const detail = readBody(bodyText);
  return providerError({
    status,
    target,
    message: detail.message,
    bodyText,
    headers: withRetryHint(status, headers, detail.message),
    type: typeFrom(detail, status),
    providerCode: detail.code ?? detail.type,
  });
}

/** The HTTP status an in-band error stands for when it carries none. */
function statusOf(detail: ErrorDetail): number {
  if (detail.status !== undefined) return detail.status;
  const hint = `${detail.code ?? ""} ${detail.type ?? ""}`;
  if (/rate_limit|tokens|requests/i.test(hint)) return 429;
  if (/overloaded/i.test(hint)) return 503;
  if (/context_length|invalid_request/i.test(hint)) return 400;
  return 502;
}

/**
 * An error inside a 200 stream: OpenRouter's top-level `error` chunk (fixture
 * openrouter/stream-mid-stream-error.sse) or Groq's `event: error` (fixture
 * groq/stream-error-tool-use-failed.sse). Retryable as its status would be.
 */
export function inBandError(error: WireError, data: string, target: Target): GatewayError {
  const detail = fromWireError(error);
  const status = statusOf(detail);
  return providerError({
    status,
    target,
    message: detail.message,
    bodyText: data,
    headers: new Headers(),
    type: typeFrom(detail, status),
    providerCode: detail.code ?? detail.type,
  });
}
