/**
 * An upstream stream as batches of translated chunks: each read of the body is decoded and
 * translated synchronously (SSE decoder → adapter translator), so a chunk costs a parse and a
 * small rewrite — no stream stage, promise or copy per chunk. Protocols with their own framing
 * (Bedrock's binary event stream) keep their `decodeStream`.
 */
import type { CallContext, ChunkSink, ProviderAdapter, ProviderChunk } from "../providers/types";
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

export function chunkSource(
  body: ReadableStream<Uint8Array>,
  adapter: ProviderAdapter,
  ctx: CallContext,
): ChunkSource {
  const translator = adapter.createStreamTransformer(ctx);
  if (adapter.decodeStream) {
    return readChunks(adapter.decodeStream(body).getReader(), (read, sink) => {
      if (read.done) translator.flush(sink);
      else translator.transform(read.value, sink);
    });
  }
  const decoder = createSseDecoder();
  return readChunks(body.getReader(), (read, sink) => {
    const events = read.done ? decoder.end() : decoder.push(read.value);
    for (const event of events) translator.transform(event, sink);
    if (read.done) translator.flush(sink);
  });
}

/**
 * The read loop over any reader, with `translate` turning each read into chunks. One promise per
 * upstream read (a `then` on the runtime's read, no async function layers): this runs for every
 * chunk of every stream.
 */
function readChunks<T>(
  reader: ReadableStreamDefaultReader<T>,
  translate: (read: ReadableStreamReadResult<T>, sink: ChunkSink) => void,
): ChunkSource {
  let pending: ProviderChunk[] = [];
  const sink: ChunkSink = { enqueue: (chunk) => void pending.push(chunk) };
  let ended = false;
  let failure: { error: unknown } | undefined;

  const take = (): ProviderChunk[] => {
    const batch = pending;
    pending = [];
    return batch;
  };

  /** An error is thrown after the chunks that preceded it in the same read were returned. */
  const failed = (error: unknown): ProviderChunk[] => {
    ended = true;
    if (pending.length === 0) throw error;
    failure = { error };
    return take();
  };

  const onRead = (
    read: ReadableStreamReadResult<T>,
  ): ProviderChunk[] | null | Promise<ProviderChunk[] | null> => {
    ended = read.done;
    try {
      translate(read, sink);
    } catch (error) {
      return failed(error);
    }
    if (pending.length > 0) return take();
    return ended ? null : reader.read().then(onRead, failed);
  };

  return {
    next() {
      if (failure) {
        const { error } = failure;
        failure = undefined;
        return Promise.reject(error);
      }
      if (ended) return Promise.resolve(null);
      return reader.read().then(onRead, failed);
    },
    cancel: () => void reader.cancel().catch(() => {}),
  };
}
