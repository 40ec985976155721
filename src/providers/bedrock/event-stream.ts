/**
 * Bytes → frames for `application/vnd.amazon.eventstream`, the binary framing ConverseStream
 * answers with (it is not SSE). Each frame:
 *
 *   total length u32 | headers length u32 | prelude CRC32 u32 | headers | payload | message CRC32 u32
 *
 * Frames arrive split across network chunks arbitrarily, several may share one chunk, and both
 * CRCs are checked: a corrupted frame is a retryable upstream error, never garbage or a hang (a
 * flipped length byte is caught by the prelude CRC before we wait for that many bytes).
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/RESTSelectObjectAppendix.html (prelude, header value types)
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
 */
import { GatewayError } from "../../errors";
import type { RawEvent } from "../types";
import { crc32 } from "./crc32";

const PRELUDE_BYTES = 12;
const CRC_BYTES = 4;
/** AWS caps a message at 16 MiB of payload plus 128 KiB of headers; anything larger is corruption. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024 + 128 * 1024 + PRELUDE_BYTES + CRC_BYTES;

/** A header value as decoded; only strings matter to us, the other types are skipped correctly. */
export type HeaderValue = string | number | boolean | bigint | Uint8Array | Date;

export interface EventStreamFrame {
  headers: Record<string, HeaderValue>;
  payload: Uint8Array;
}

function corrupt(detail: string): GatewayError {
  return new GatewayError(502, "provider_unavailable", `Bedrock event stream is corrupt: ${detail}`, {
    retryable: true,
  });
}

/** Header value type tags of the event-stream encoding, mapped to their fixed widths (-1: u16-prefixed). */
const VALUE_WIDTH: Record<number, number> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 6: -1, 7: -1, 8: 8, 9: 16 };

function decodeHeaders(view: DataView, bytes: Uint8Array, start: number, end: number) {
  const headers: Record<string, HeaderValue> = {};
  const text = new TextDecoder();
  let at = start;
  while (at < end) {
    const nameLength = view.getUint8(at);
    at += 1;
    const name = text.decode(bytes.subarray(at, at + nameLength));
    at += nameLength;
    if (at >= end) throw corrupt("header ends before its value type");
    const type = view.getUint8(at);
    at += 1;
    const width = VALUE_WIDTH[type];
    if (width === undefined) throw corrupt(`unknown header value type ${type}`);
    const length = width >= 0 ? width : view.getUint16(at);
    if (width < 0) at += 2;
    if (at + length > end) throw corrupt(`header ${name} overruns the header block`);
    headers[name] = headerValue(type, view, bytes, at, length, text);
    at += length;
  }
  return headers;
}

function headerValue(
  type: number,
  view: DataView,
  bytes: Uint8Array,
  at: number,
  length: number,
  text: TextDecoder,
): HeaderValue {
  switch (type) {
    case 0:
      return true;
    case 1:
      return false;
    case 2:
      return view.getInt8(at);
    case 3:
      return view.getInt16(at);
    case 4:
      return view.getInt32(at);
    case 5:
      return view.getBigInt64(at);
    case 7:
      return text.decode(bytes.subarray(at, at + length));
    case 8:
      return new Date(Number(view.getBigInt64(at)));
    default: // 6 bytes, 9 uuid
      return bytes.slice(at, at + length);
  }
}

/**
 * Parses one complete frame from the front of `bytes` (which holds at least `total` bytes),
 * verifying the message CRC. The prelude CRC was checked by the caller.
 */
function decodeFrame(bytes: Uint8Array, total: number): EventStreamFrame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, total);
  const headersLength = view.getUint32(4);
  const payloadEnd = total - CRC_BYTES;
  if (crc32(bytes, 0, payloadEnd) !== view.getUint32(payloadEnd)) throw corrupt("message CRC mismatch");
  const headersEnd = PRELUDE_BYTES + headersLength;
  return {
    headers: decodeHeaders(view, bytes, PRELUDE_BYTES, headersEnd),
    payload: bytes.slice(headersEnd, payloadEnd),
  };
}

/**
 * Splits a byte stream into event-stream frames. Exported separately from `decodeEventStream`
 * so the mock and tests can compare whole frames (headers included).
 */
export function eventStreamFrames(body: ReadableStream<Uint8Array>): ReadableStream<EventStreamFrame> {
  let buffer = new Uint8Array(1024);
  let length = 0;
  /** Total length of the frame at the front of the buffer, once its prelude checked out. */
  let frameTotal: number | undefined;

  const append = (chunk: Uint8Array) => {
    if (length + chunk.length > buffer.length) {
      const grown = new Uint8Array(Math.max(buffer.length * 2, length + chunk.length));
      grown.set(buffer.subarray(0, length));
      buffer = grown;
    }
    buffer.set(chunk, length);
    length += chunk.length;
  };

  return body.pipeThrough(
    new TransformStream<Uint8Array, EventStreamFrame>({
      transform(chunk, controller) {
        append(chunk);
        let offset = 0;
        for (;;) {
          const available = length - offset;
          if (frameTotal === undefined) {
            if (available < PRELUDE_BYTES) break;
            const view = new DataView(buffer.buffer, offset, PRELUDE_BYTES);
            if (crc32(buffer, offset, offset + 8) !== view.getUint32(8))
              throw corrupt("prelude CRC mismatch");
            const total = view.getUint32(0);
            const headersLength = view.getUint32(4);
            if (total > MAX_FRAME_BYTES || headersLength > total - PRELUDE_BYTES - CRC_BYTES) {
              throw corrupt(`impossible frame lengths (${total}, ${headersLength})`);
            }
            frameTotal = total;
          }
          if (available < frameTotal) break;
          controller.enqueue(decodeFrame(buffer.subarray(offset, offset + frameTotal), frameTotal));
          offset += frameTotal;
          frameTotal = undefined;
        }
        if (offset > 0) {
          buffer.copyWithin(0, offset, length);
          length -= offset;
        }
      },
      flush() {
        if (length > 0) throw corrupt(`stream ended inside a frame (${length} bytes left over)`);
      },
    }),
  );
}

/**
 * The adapter's `decodeStream`: frames → RawEvents. Events keep their `:event-type`;
 * `:message-type: exception` frames are emitted under their `:exception-type` (e.g.
 * `throttlingException`) so the transformer throws; protocol-level `:message-type: error` frames
 * (headers only: `:error-code`, `:error-message`) become event `error` with a JSON body.
 */
export function decodeEventStream(body: ReadableStream<Uint8Array>): ReadableStream<RawEvent> {
  const text = new TextDecoder();
  return eventStreamFrames(body).pipeThrough(
    new TransformStream<EventStreamFrame, RawEvent>({
      transform(frame, controller) {
        const { headers } = frame;
        const str = (name: string) => (typeof headers[name] === "string" ? headers[name] : undefined);
        const messageType = str(":message-type") ?? "event";
        if (messageType === "error") {
          const data = JSON.stringify({ code: str(":error-code"), message: str(":error-message") });
          controller.enqueue({ event: "error", data });
          return;
        }
        const event = messageType === "exception" ? str(":exception-type") : str(":event-type");
        controller.enqueue({ event: event ?? str(":exception-type"), data: text.decode(frame.payload) });
      },
    }),
  );
}
