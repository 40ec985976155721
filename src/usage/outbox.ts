/**
 * The isolate's outbox: usage rows written straight to Postgres from `waitUntil`, as one
 * multi-row statement per batch over one connection. A flush waits COALESCE_MS for the rows of
 * concurrent requests, then drains the outbox until it is empty. A flush that fails (database
 * down) keeps the rows and is retried with backoff, and again on every later request, so an
 * outage loses no usage while the isolate lives; the outbox holds up to OUTBOX_LIMIT rows (oldest
 * dropped beyond that, with an error logged) so memory stays bounded in a long outage. A row the
 * database refuses for its data would be refused for ever: it alone is dropped, logged by id.
 */
import { withTimeout } from "../cache/swr";
import { createDb, type Db } from "../db/client";
import { describeDbError, isDataRefusal } from "../db/errors";
import { type GenerationRow, settleGenerations } from "./record";
import { writeEach } from "./write-each";

const OUTBOX_LIMIT = 50_000;
/** How long a flush waits for more rows before writing (records appear this much after the response). */
const COALESCE_MS = 100;
/**
 * Under sustained load a flush also waits until this long after the previous one started: every
 * flush opens a connection (workerd cannot share one between requests), and a connection costs a
 * login (SCRAM) on the gateway's CPU — one a second per isolate instead of ten.
 */
const MIN_FLUSH_INTERVAL_MS = 1_000;
const BATCH = 500;
const RETRIES = 3;
const WRITE_TIMEOUT_MS = 5_000;
/** A flush hands over to the next request after this long, so no waitUntil runs unbounded. */
const MAX_DRAIN_MS = 10_000;

const outbox: GenerationRow[] = [];
/**
 * When the running flush started. A flush drains the outbox until it is empty, so rows added
 * meanwhile ride along (one connection for a burst). A flush older than STALE_FLUSH_MS is assumed
 * cut off with its request's context, and another may start.
 */
let flushingSince: number | undefined;
const STALE_FLUSH_MS = 15_000;
let lastFlushAt = Number.NEGATIVE_INFINITY;

/** Rows waiting in the outbox. */
export function outboxSize(): number {
  return outbox.length;
}

/** Adds rows to be written by the next flush. */
export function addToOutbox(rows: readonly GenerationRow[]): void {
  outbox.push(...rows);
  trim();
}

/** Puts rows that failed back at the front (they are the oldest). */
function keep(rows: readonly GenerationRow[]): void {
  outbox.unshift(...rows);
  trim();
}

function trim(): void {
  if (outbox.length > OUTBOX_LIMIT) {
    const dropped = outbox.splice(0, outbox.length - OUTBOX_LIMIT);
    console.error(`usage outbox full: dropped ${dropped.length} records (first ${dropped[0]?.id})`);
  }
}

/** Where the outbox writes: the Hyperdrive binding (its connection string is read only to write). */
export interface OutboxDatabase {
  readonly connectionString: string;
}

/**
 * Starts writing the outbox, or returns undefined when a flush is already doing so (the rows
 * just added ride along with it): the caller hands the promise to `waitUntil`.
 */
export function flushOutbox(database: OutboxDatabase): Promise<void> | undefined {
  const now = Date.now();
  if (flushingSince !== undefined && now - flushingSince < STALE_FLUSH_MS) return undefined;
  flushingSince = now;
  return flush(database.connectionString, now);
}

function write(db: Db, rows: readonly GenerationRow[]): Promise<number> {
  return withTimeout(settleGenerations(db, rows), WRITE_TIMEOUT_MS, "usage write");
}

/** Never the rows themselves (user data): drizzle's own message would carry them all. */
function failed(error: unknown): void {
  console.error(`usage write failed (${outbox.length} pending): ${describeDbError(error)}`);
}

/** A row the database refuses for its data would be refused again, and block every row behind it. */
function dropped(row: GenerationRow, error: unknown): void {
  console.error(`usage record ${row.id} refused by the database and dropped: ${describeDbError(error)}`);
}

/**
 * Waits for the rows of concurrent requests to gather (one connection and one statement for
 * all), then writes the outbox in batches over ONE client until it is empty, so a sustained load
 * costs one connection per isolate, not one per request. Gives up after RETRIES failed rounds;
 * what is left waits for the next request's flush.
 */
async function flush(connectionString: string, startedAt: number): Promise<void> {
  // Gives the flush up; the same tick as the last look at the outbox, so a row added after that
  // look starts a flush of its own.
  const release = () => {
    if (flushingSince === startedAt) flushingSince = undefined;
  };
  try {
    const wait = Math.max(COALESCE_MS, lastFlushAt + MIN_FLUSH_INTERVAL_MS - startedAt);
    lastFlushAt = startedAt + wait;
    await new Promise((r) => setTimeout(r, wait));
    const db = createDb(connectionString);
    const drainStarted = Date.now();
    for (let attempt = 0; attempt < RETRIES && outbox.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
      while (outbox.length > 0 && Date.now() - drainStarted < MAX_DRAIN_MS) {
        const batch = outbox.splice(0, BATCH);
        try {
          await write(db, batch);
        } catch (error) {
          if (!isDataRefusal(error)) {
            keep(batch);
            failed(error);
            break;
          }
          const each = await writeEach(batch, (rows) => write(db, rows));
          for (const { item, error } of each.refused) dropped(item, error);
          if (each.unwritten) {
            keep(each.unwritten.items);
            failed(each.unwritten.error);
            break;
          }
        }
      }
      if (outbox.length === 0) release();
    }
  } finally {
    release();
  }
}
