/**
 * A batch of usage records the database refused for their data (src/db/errors.ts
 * `isDataRefusal`), written again one at a time so that a bad record costs only itself. Shared
 * by the self-hosted outbox (which drops what is refused) and the queue consumer (which retries
 * it). Stops at the first failure that is not a refusal: the database stopped answering, and the
 * rest would each wait out their own timeout.
 */
import { isDataRefusal } from "../db/errors";

export interface EachWritten<T> {
  written: T[];
  refused: { item: T; error: unknown }[];
  /** What was not tried because the database stopped answering, and why. */
  unwritten: { items: T[]; error: unknown } | undefined;
}

export async function writeEach<T>(
  items: readonly T[],
  write: (items: readonly T[]) => Promise<unknown>,
): Promise<EachWritten<T>> {
  const result: EachWritten<T> = { written: [], refused: [], unwritten: undefined };
  for (const [i, item] of items.entries()) {
    try {
      await write([item]);
      result.written.push(item);
    } catch (error) {
      if (!isDataRefusal(error)) {
        result.unwritten = { items: items.slice(i), error };
        break;
      }
      result.refused.push({ item, error });
    }
  }
  return result;
}
