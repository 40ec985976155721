import { createParser } from "eventsource-parser";
import type { RawEvent } from "../providers/types";

export interface SseDecoder {
  /** Events completed by these bytes (chunk boundaries are not event boundaries). */
  push(bytes: Uint8Array): RawEvent[];
  /** Events left at the end of the body, including a last event missing its blank line. */
  end(): RawEvent[];
}

/**
 * Bytes → SSE events with a real parser (eventsource-parser: chunk boundaries are not event
 * boundaries; `: comments` and keep-alives are dropped; `[DONE]` is passed on as an event).
 * Synchronous — bytes in, events out, no stream stages — as the hot path needs (see
 * routing/chunk-source.ts). A final event without its terminating blank line is still delivered
 * (Gemini sends one: fixture google/stream-prompt-blocked-safety.sse).
 */
export function createSseDecoder(): SseDecoder {
  const text = new TextDecoder();
  let out: RawEvent[] = [];
  const parser = createParser({ onEvent: (e) => out.push({ event: e.event, data: e.data }) });
  const take = () => {
    const events = out;
    out = [];
    return events;
  };
  return {
    push(bytes) {
      parser.feed(text.decode(bytes, { stream: true }));
      return take();
    },
    end() {
      parser.feed(text.decode());
      parser.feed("\n\n");
      return take();
    },
  };
}
