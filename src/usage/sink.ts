/**
 * Where finished generations go: a Cloudflare Queue when one is bound (a batched consumer
 * writes them, so a burst of requests is not a burst of connections), else a write in
 * `waitUntil` after the response. Either way the client never waits for the database.
 */
import type { RequestScope } from "../cache/routing-data";
import { createDb } from "../db/client";
import { type GenerationRow, settleGenerations, toMessage } from "./record";

const WRITE_ATTEMPTS = 3;

async function writeWithRetry(connectionString: string, row: GenerationRow): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await settleGenerations(createDb(connectionString), [row]);
      return;
    } catch (error) {
      if (attempt >= WRITE_ATTEMPTS) {
        // Never the row itself: it may carry user data. The id lets an operator find the request.
        console.error(
          `usage record ${row.id} not written: ${error instanceof Error ? error.message : "error"}`,
        );
        return;
      }
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

export function recordGeneration(scope: RequestScope, row: GenerationRow): void {
  const queue = scope.env.USAGE_QUEUE;
  const work = queue
    ? queue.send(toMessage(row)).catch(() => writeWithRetry(scope.env.HYPERDRIVE.connectionString, row))
    : writeWithRetry(scope.env.HYPERDRIVE.connectionString, row);
  if (scope.waitUntil) scope.waitUntil(work);
  else work.catch(() => {});
}
