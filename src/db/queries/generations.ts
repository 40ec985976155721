import { and, eq, gte, lt } from "drizzle-orm";
import type { Db } from "../client";
import { generations } from "../schema";

export type GenerationRecord = typeof generations.$inferSelect;

/** One generation of one account; `second` (from the id) prunes the lookup to one partition. */
export async function findGeneration(
  db: Db,
  id: string,
  second: number,
  accountId: string,
): Promise<GenerationRecord | null> {
  const [row] = await db
    .select()
    .from(generations)
    .where(
      and(
        eq(generations.id, id),
        gte(generations.createdAt, new Date(second * 1000)),
        lt(generations.createdAt, new Date((second + 1) * 1000)),
        eq(generations.accountId, accountId),
      ),
    )
    .limit(1);
  return row ?? null;
}
