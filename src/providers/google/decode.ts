/**
 * Gemini's SSE, with one repair: a stream whose only event is a blocked prompt ends after
 * `data: {…}\r\n` without the blank line that dispatches an event (fixture
 * stream-prompt-blocked-safety.sse), and an SSE parser rightly drops such an unfinished event at
 * end of input. We add the missing blank line at end of input; on a well-terminated stream it is
 * an empty line and does nothing.
 */
import { decodeSse } from "../../sse/decode";
import type { RawEvent } from "../types";

const TERMINATOR = new TextEncoder().encode("\n\n");

export function decodeStream(body: ReadableStream<Uint8Array>): ReadableStream<RawEvent> {
  const terminated = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      flush(controller) {
        controller.enqueue(TERMINATOR);
      },
    }),
  );
  return decodeSse(terminated);
}
