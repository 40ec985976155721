/**
 * Where finished generations go, never on the client's time:
 * - with a USAGE_QUEUE binding (Cloudflare), to the queue, one `sendBatch` per short window for
 *   the whole isolate (./queue-batch.ts); its consumer (src/index.ts) settles each batch in one
 *   statement, so a burst of requests is not a burst of connections. What the queue does not
 *   take (a failed send, an oversized row) goes to the outbox instead;
 * - otherwise (self-hosted workerd, tests), to this isolate's outbox, written to Postgres in
 *   `waitUntil` (./outbox.ts).
 * Writes are idempotent by generation id, so a row that reaches both is charged once.
 */
import type { RequestScope } from "../cache/routing-data";
import { addToOutbox, flushOutbox, outboxSize } from "./outbox";
import { QueueBatcher } from "./queue-batch";
import type { GenerationRow } from "./record";

const toQueue = new QueueBatcher();

/** Rows waiting to be sent or written in this isolate (for health checks and tests). */
export function pendingRecords(): number {
  return outboxSize() + toQueue.size;
}

export function recordGeneration(scope: RequestScope, row: GenerationRow): void {
  const queue = scope.env.USAGE_QUEUE;
  // The binding, not its connection string: workerd builds that string on every read, and most
  // requests join a flush that is already running and never need it.
  const database = scope.env.HYPERDRIVE;
  // Only the request that starts a flush (or opens a queue window) has work to wait for: the
  // others' rows ride along, and registering a settled promise with waitUntil is not free.
  let work: Promise<void> | undefined;
  if (queue) {
    work = toQueue.add(row, queue, (rows) => {
      addToOutbox(rows);
      return flushOutbox(database) ?? Promise.resolve();
    });
  } else {
    addToOutbox([row]);
    work = flushOutbox(database);
  }
  if (!work) return;
  if (scope.waitUntil) scope.waitUntil(work);
  else work.catch(() => {});
}
