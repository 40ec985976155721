/**
 * An upstream stream as batches of translated chunks: each read of the body is decoded and
 * translated synchronously (SSE decoder → adapter translator), so a chunk costs a parse and a
 * small rewrite — no stream stage, promise or copy per chunk. Protocols with their own framing
 * (Bedrock's binary event stream) keep their `decodeStream`.
 */
import type { CallContext, ProviderAdapter, ProviderChunk } from "../providers/types";
import { createSseDecoder } from "../sse/decode";

export interface ChunkSource {
  /**
   * The next chunks (never an empty batch), or null once the stream has ended. Throws the
   * upstream's error — after first returning the chunks that preceded it in the same read.
   */
  next(): Promise<ProviderChunk[] | null>;
  /** Stops reading the upstream body. */
  cancel(): void;
}

/** One read's worth of translation: true when the body has ended. */
type Step = () => Promise<boolean>;

export function chunkSource(
  body: ReadableStream<Uint8Array>,
  adapter: ProviderAdapter,
  ctx: CallContext,
): ChunkSource {
  const translator = adapter.createStreamTransformer(ctx);
  const pending: ProviderChunk[] = [];
  const sink = { enqueue: (chunk: ProviderChunk) => void pending.push(chunk) };
  let ended = false;
  let failure: { error: unknown } | undefined;

  let step: Step;
  let cancel: () => void;
  if (adapter.decodeStream) {
    const events = adapter.decodeStream(body).getReader();
    step = async () => {
      const read = await events.read();
      if (read.done) translator.flush(sink);
      else translator.transform(read.value, sink);
      return read.done;
    };
    cancel = () => void events.cancel().catch(() => {});
  } else {
    const bytes = body.getReader();
    const decoder = createSseDecoder();
    step = async () => {
      const read = await bytes.read();
      const events = read.done ? decoder.end() : decoder.push(read.value);
      for (const event of events) translator.transform(event, sink);
      if (read.done) translator.flush(sink);
      return read.done;
    };
    cancel = () => void bytes.cancel().catch(() => {});
  }

  return {
    async next() {
      if (failure) {
        const { error } = failure;
        failure = undefined;
        throw error;
      }
      while (!ended) {
        try {
          ended = await step();
        } catch (error) {
          ended = true;
          if (pending.length === 0) throw error;
          failure = { error };
        }
        if (pending.length > 0) return pending.splice(0, pending.length);
      }
      return null;
    },
    cancel,
  };
}
