import { EventSourceParserStream } from "eventsource-parser/stream";
import type { RawEvent } from "../providers/types";

/**
 * Bytes → SSE events, with a real parser (chunk boundaries are not event boundaries;
 * comments such as `: OPENROUTER PROCESSING` and keep-alives are dropped). `[DONE]` is passed
 * on as an event; transformers decide what it means.
 */
export function decodeSse(body: ReadableStream<Uint8Array>): ReadableStream<RawEvent> {
  return body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .pipeThrough(
      new TransformStream({
        transform(message, controller) {
          controller.enqueue({ event: message.event, data: message.data });
        },
      }),
    );
}
