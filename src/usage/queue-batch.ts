/**
 * Usage rows to a Cloudflare Queue, coalesced per isolate: the first row of a window starts a
 * flush that waits COALESCE_MS, then sends everything gathered as few `sendBatch` calls as the
 * Queues limits allow (at most 100 messages and 256 KB per batch, 128 KB per message, each
 * message counting ~100 bytes of metadata; 1 KB = 1000 bytes: developers.cloudflare.com/queues/
 * platform/limits). Rows of later requests in the window only join the batch: one send per
 * window instead of one per request, which was CPU on every request.
 *
 * Rows the queue cannot take — a failed or timed-out send, a message over the size limit — are
 * handed back to the caller's fallback. A timed-out send may still arrive later: the consumer and
 * the fallback both write idempotently by generation id, so a row is never charged twice.
 */
import { withTimeout } from "../cache/swr";
import type { GenerationRow } from "./record";

export const QUEUE_LIMITS = {
  messagesPerBatch: 100,
  bytesPerBatch: 256_000,
  bytesPerMessage: 128_000,
  /** Internal metadata the queue counts against both limits, per message. */
  metadataBytes: 100,
};

export interface QueueBatchOptions {
  /** How long the first row of a window waits for others. */
  coalesceMs: number;
  /** A send that takes longer counts as failed (its rows go to the fallback). */
  sendTimeoutMs: number;
  /** A flush hands over to the next request after this long, so no waitUntil runs unbounded. */
  maxFlushMs: number;
  /** A flush older than this is assumed cut off with its request's context; another may start. */
  staleFlushMs: number;
}

const DEFAULTS: QueueBatchOptions = {
  coalesceMs: 100,
  sendTimeoutMs: 5_000,
  maxFlushMs: 10_000,
  staleFlushMs: 15_000,
};

/** The one method of the `Queue` binding this module uses. */
export type UsageQueue = Pick<Queue<GenerationRow>, "sendBatch">;

/** One `sendBatch` call's worth: the messages and the rows they came from (for the fallback). */
export interface Batch {
  rows: GenerationRow[];
  messages: MessageSendRequest<GenerationRow>[];
}

export class QueueBatcher {
  private pending: GenerationRow[] = [];
  private flushingSince: number | undefined;
  private readonly options: QueueBatchOptions;

  constructor(options: Partial<QueueBatchOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Rows waiting for the next send. */
  get size(): number {
    return this.pending.length;
  }

  /**
   * Adds a row. When no flush is running this starts one and returns it: the caller keeps its
   * request alive for it (`waitUntil`). Otherwise the running flush carries the row: undefined.
   */
  add(
    row: GenerationRow,
    queue: UsageQueue,
    fallback: (rows: GenerationRow[]) => Promise<void>,
  ): Promise<void> | undefined {
    this.pending.push(row);
    const since = this.flushingSince;
    if (since !== undefined && Date.now() - since < this.options.staleFlushMs) return undefined;
    return this.flush(queue, fallback);
  }

  /**
   * Sends what is pending, window after window until nothing is left (or maxFlushMs passed).
   * Once a send fails, the rest of this flush goes straight to the fallback rather than waiting
   * out one timeout per batch; the next flush tries the queue again. A send that timed out is
   * still awaited before the flush resolves: plain workerd (1.20260426) crashes with a
   * segmentation fault when a request context ends while a queue send of it is pending.
   */
  private async flush(queue: UsageQueue, fallback: (rows: GenerationRow[]) => Promise<void>): Promise<void> {
    const started = Date.now();
    this.flushingSince = started;
    const handedBack: Promise<unknown>[] = [];
    let queueFailing = false;
    try {
      do {
        await new Promise((r) => setTimeout(r, this.options.coalesceMs));
        const { batches, oversized } = packBatches(this.pending.splice(0));
        if (oversized.length > 0) {
          console.error(
            `usage queue: ${oversized.length} records over the message size limit, to the outbox`,
          );
          handedBack.push(fallback(oversized));
        }
        for (const batch of batches) {
          if (queueFailing) {
            handedBack.push(fallback(batch.rows));
            continue;
          }
          let sending: Promise<unknown> | undefined;
          try {
            sending = queue.sendBatch(batch.messages);
            await withTimeout(sending, this.options.sendTimeoutMs, "usage sendBatch");
          } catch (error) {
            if (sending) handedBack.push(sending.catch(() => {}));
            queueFailing = true;
            // Never the rows themselves: they may carry user data.
            console.error(
              `usage sendBatch failed (${batch.rows.length} records to the outbox): ${error instanceof Error ? error.message : "error"}`,
            );
            handedBack.push(fallback(batch.rows));
          }
        }
      } while (this.pending.length > 0 && Date.now() - started < this.options.maxFlushMs);
    } finally {
      // Unless a later flush took over from this one (see staleFlushMs).
      if (this.flushingSince === started) this.flushingSince = undefined;
    }
    await Promise.all(handedBack);
  }
}

/**
 * Splits rows into batches within the Queues limits, in order. Messages are sent as JSON, so
 * their size is the UTF-8 length of the JSON text: exactly what the queue counts.
 */
export function packBatches(rows: readonly GenerationRow[]): {
  batches: Batch[];
  oversized: GenerationRow[];
} {
  const limits = QUEUE_LIMITS;
  const batches: Batch[] = [];
  const oversized: GenerationRow[] = [];
  let current: Batch | undefined;
  let currentBytes = 0;
  for (const row of rows) {
    const bytes = utf8Length(JSON.stringify(row)) + limits.metadataBytes;
    if (bytes > limits.bytesPerMessage) {
      oversized.push(row);
      continue;
    }
    if (
      !current ||
      current.messages.length === limits.messagesPerBatch ||
      currentBytes + bytes > limits.bytesPerBatch
    ) {
      current = { rows: [], messages: [] };
      currentBytes = 0;
      batches.push(current);
    }
    current.rows.push(row);
    current.messages.push({ body: row, contentType: "json" });
    currentBytes += bytes;
  }
  return { batches, oversized };
}

const encoder = new TextEncoder();
/** Rows are ~1 KB: most are measured by encoding into this buffer, without allocating. */
const scratch = new Uint8Array(16_384);

/** UTF-8 byte length of a string. */
export function utf8Length(text: string): number {
  const { read, written } = encoder.encodeInto(text, scratch);
  return read === text.length ? written : encoder.encode(text).byteLength;
}
