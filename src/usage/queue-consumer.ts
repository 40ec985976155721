/**
 * The USAGE_QUEUE consumer (src/index.ts `queue`): a batch of generation rows settled in one
 * idempotent statement (./record.ts) and acknowledged once written. A redelivered row is
 * inserted and charged once.
 *
 * What cannot be written now is retried later each time. Cloudflare deletes a message after
 * `max_retries` failed deliveries unless a dead-letter queue takes it (wrangler.toml), so the
 * retries must outlast a database outage rather than spend themselves in its first seconds:
 * - the database cannot be reached, or the write times out: every message is retried, after
 *   10 s, then 20 s, 40 s… at most an hour (100 retries span ~3.8 days, the queue's default
 *   retention is 4);
 * - the database refuses the statement for its data (SQLSTATE class 22 or 23): the rows are
 *   written one by one, so one bad row holds back only itself.
 */
import { withTimeout } from "../cache/swr";
import { createDb } from "../db/client";
import { describeDbError, isDataRefusal } from "../db/errors";
import { type GenerationRow, settleGenerations } from "./record";
import { writeEach } from "./write-each";

const FIRST_RETRY_SECONDS = 10;
const LONGEST_RETRY_SECONDS = 3_600;
const WRITE_TIMEOUT_MS = 30_000;

/** Seconds before the next delivery of a message delivered `attempts` times (1 on the first). */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

export async function consumeUsageBatch(
  batch: MessageBatch<GenerationRow>,
  connectionString: string,
  writeTimeoutMs = WRITE_TIMEOUT_MS,
): Promise<void> {
  const db = createDb(connectionString);
  const write = (messages: readonly Message<GenerationRow>[]) =>
    withTimeout(
      settleGenerations(
        db,
        messages.map((m) => m.body),
      ),
      writeTimeoutMs,
      "usage batch write",
    );
  try {
    await write(batch.messages);
    batch.ackAll();
    return;
  } catch (error) {
    if (batch.messages.length === 1 || !isDataRefusal(error)) {
      retryLater(batch.messages, error);
      return;
    }
  }
  const each = await writeEach(batch.messages, write);
  for (const message of each.written) message.ack();
  for (const { item, error } of each.refused) retryLater([item], error);
  if (each.unwritten) retryLater(each.unwritten.items, each.unwritten.error);
}

function retryLater(messages: readonly Message<GenerationRow>[], error: unknown): void {
  for (const message of messages) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  const attempts = Math.max(...messages.map((m) => m.attempts));
  console.error(
    `usage records not written (${messages.length}, up to attempt ${attempts}, retried within ${retryDelaySeconds(attempts)} s): ${describeDbError(error)}`,
  );
}
