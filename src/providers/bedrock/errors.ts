/**
 * Bedrock errors → GatewayError. Bedrock names the error in the `x-amzn-errortype` header
 * (`ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/`) and sends only
 * `{message}` as the body (fixture error-400-invalid-model.http.json, whose recorder dropped the
 * header). In ConverseStream the same errors arrive as exception frames named in lowerCamelCase
 * (`throttlingException`), so both paths share one table keyed by the lower-cased name.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html
 */
import type { GatewayError, GatewayErrorType } from "../../errors";
import { providerError } from "../http-errors";
import type { Target } from "../types";
import { errorWire } from "./wire";

interface ExceptionInfo {
  status: number;
  type: GatewayErrorType;
  retryable: boolean;
}

const EXCEPTIONS: Record<string, ExceptionInfo> = {
  throttlingexception: { status: 429, type: "rate_limit_exceeded", retryable: true },
  servicequotaexceededexception: { status: 429, type: "rate_limit_exceeded", retryable: true },
  modelnotreadyexception: { status: 429, type: "provider_overloaded", retryable: true },
  serviceunavailableexception: { status: 503, type: "provider_overloaded", retryable: true },
  internalserverexception: { status: 500, type: "server", retryable: true },
  // 424 upstream; AWS says "Retry your request", so it is retryable although 424 is not a retry status.
  modelstreamerrorexception: { status: 502, type: "provider_unavailable", retryable: true },
  modelerrorexception: { status: 502, type: "provider_unavailable", retryable: true },
  modeltimeoutexception: { status: 408, type: "timeout", retryable: true },
  validationexception: { status: 400, type: "invalid_request", retryable: false },
  accessdeniedexception: { status: 403, type: "permission_denied", retryable: false },
  unrecognizedclientexception: { status: 401, type: "authentication", retryable: false },
  invalidsignatureexception: { status: 403, type: "authentication", retryable: false },
  expiredtokenexception: { status: 403, type: "authentication", retryable: false },
  resourcenotfoundexception: { status: 404, type: "not_found", retryable: false },
};

/**
 * Bedrock's context-overflow wording varies by model family: "Input is too long for requested
 * model" (Titan/Nova), "prompt is too long: N tokens > M maximum" (Claude), "too many input tokens".
 */
const CONTEXT_LENGTH = /input is too long|prompt is too long|too many (input )?tokens|context window/i;

function messageOf(bodyText: string): string | undefined {
  try {
    const parsed = errorWire.safeParse(JSON.parse(bodyText));
    if (parsed.success) return parsed.data.message ?? parsed.data.Message ?? undefined;
  } catch {
    // Not JSON (a proxy's HTML page, say): the raw text is still kept in metadata.raw.
  }
  return bodyText.trim() ? bodyText.trim().slice(0, 500) : undefined;
}

/** `ValidationException:http://internal.amazon.com/…` → `ValidationException`. */
function errorTypeHeader(headers: Headers): string | undefined {
  const value = headers.get("x-amzn-errortype");
  return value ? (value.split(":")[0]?.trim() ?? undefined) : undefined;
}

function build(
  name: string | undefined,
  status: number | undefined,
  bodyText: string,
  headers: Headers,
  target: Target,
): GatewayError {
  const message = messageOf(bodyText);
  const info = name ? EXCEPTIONS[name.toLowerCase()] : undefined;
  const isContext = message !== undefined && CONTEXT_LENGTH.test(message);
  const finalStatus = status ?? info?.status ?? 502;
  return providerError({
    status: finalStatus,
    target,
    message,
    bodyText,
    headers,
    type: isContext && finalStatus === 400 ? "context_length_exceeded" : info?.type,
    providerCode: name,
    // A context overflow keeps the status default, so routing treats it like every adapter's.
    retryable: isContext ? undefined : info?.retryable,
  });
}

/** For a non-2xx Converse / ConverseStream answer. */
export function toGatewayError(
  status: number,
  bodyText: string,
  headers: Headers,
  target: Target,
): GatewayError {
  return build(errorTypeHeader(headers), status, bodyText, headers, target);
}

/** For an exception frame inside a 200 ConverseStream body; the status comes from the exception's name. */
export function streamExceptionError(name: string, payload: string, target: Target): GatewayError {
  return build(name, undefined, payload, new Headers(), target);
}
