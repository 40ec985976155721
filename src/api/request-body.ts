/**
 * The chat request's body, read once and without middleware. It keeps the rules of the chain it
 * replaces (our 413 guard, hono's `bodyLimit`, zod-openapi's media-type gate and `zValidator`):
 * the same statuses, in the same order, with the same messages.
 */
import { errorTypeForStatus, GatewayError } from "../errors";

/** Request bodies above this are refused with 413 (base64 images make large bodies legitimate). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * zod-openapi's test for a body declared as `application/json`: a JSON media type, optionally
 * with parameters (`; charset=utf-8`). Anything else is a 415.
 */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

const utf8 = new TextDecoder();

function tooLarge(): GatewayError {
  return new GatewayError(
    413,
    "payload_too_large",
    `Request body exceeds ${MAX_BODY_BYTES / 1024 / 1024} MiB`,
  );
}

function unsupportedMediaType(): GatewayError {
  return new GatewayError(415, errorTypeForStatus(415), "Unsupported Media Type");
}

/**
 * Applies the size limit before anything else is done with the request.
 *
 * - A declared length over the limit (or one that is not a number) is refused with 413 after the
 *   body has been read to its end and discarded: answering while a client is still sending
 *   makes most clients report a connection reset instead of the status.
 * - A declared length within the limit is trusted: the runtime enforces `content-length`, so the
 *   body is left to be parsed later, in one go.
 * - A body without a declared length (chunked) is read here, up to the limit, and cut off with
 *   413 as soon as it passes it. Its bytes are returned for `readJsonBody`.
 */
export async function limitBody(request: Request): Promise<Uint8Array | undefined> {
  const length = request.headers.get("content-length");
  if (!(Number(length ?? "0") <= MAX_BODY_BYTES)) {
    const reader = request.body?.getReader();
    if (reader) for (let r = await reader.read(); !r.done; r = await reader.read());
    throw tooLarge();
  }
  if (request.body === null) return undefined;
  if (length !== null && !request.headers.has("transfer-encoding")) return undefined;
  return readCapped(request.body);
}

async function readCapped(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = body.getReader();
  let buffer = new Uint8Array(0);
  let size = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    const chunk = r.value;
    if (size + chunk.byteLength > MAX_BODY_BYTES) throw tooLarge();
    if (size + chunk.byteLength > buffer.byteLength) {
      const grown = new Uint8Array(
        Math.min(MAX_BODY_BYTES, Math.max(size + chunk.byteLength, buffer.byteLength * 2)),
      );
      grown.set(buffer.subarray(0, size));
      buffer = grown;
    }
    buffer.set(chunk, size);
    size += chunk.byteLength;
  }
  return buffer.subarray(0, size);
}

/**
 * The body as JSON, for a request that passed `limitBody` (whose result is `buffered`).
 * - `content-type` present and not JSON → 415; unparseable JSON → 400.
 * - No `content-type`: 415 if there are body bytes, else `{}`, which the schema then refuses
 *   by naming the missing fields (what `zValidator` did with such a request).
 */
export async function readJsonBody(request: Request, buffered: Uint8Array | undefined): Promise<unknown> {
  const contentType = request.headers.get("content-type");
  if (contentType === null) {
    if (await hasBytes(request, buffered)) throw unsupportedMediaType();
    return {};
  }
  if (!JSON_CONTENT_TYPE.test(contentType)) throw unsupportedMediaType();
  try {
    return buffered ? JSON.parse(utf8.decode(buffered)) : await request.json();
  } catch {
    throw new GatewayError(400, errorTypeForStatus(400), "Malformed JSON in request body");
  }
}

async function hasBytes(request: Request, buffered: Uint8Array | undefined): Promise<boolean> {
  if (buffered) return buffered.byteLength > 0;
  const reader = request.body?.getReader();
  if (!reader) return false;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    if (r.value.byteLength > 0) {
      reader.cancel().catch(() => {});
      return true;
    }
  }
  return false;
}
