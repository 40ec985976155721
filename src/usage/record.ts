/**
 * Writing what a request used, off the hot path: a generation row per request, and the
 * key's and account's spend moved by exactly its cost — all in one transaction per batch,
 * idempotent by generation id (a redelivered batch changes nothing).
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { accounts, apiKeys, generations, keyUsageDaily } from "../db/schema";
import { formatDecimal, parseDecimal } from "./decimal";

export type GenerationRow = typeof generations.$inferInsert;

/** A generation as it travels through a queue: JSON-safe (dates as ISO strings). */
export type GenerationMessage = Omit<GenerationRow, "createdAt"> & { createdAt: string };

export function toMessage(row: GenerationRow): GenerationMessage {
  return { ...row, createdAt: row.createdAt.toISOString() };
}

export function fromMessage(message: GenerationMessage): GenerationRow {
  return { ...message, createdAt: new Date(message.createdAt) };
}

/** Inserts the generations and settles their cost; returns how many were new. */
export async function settleGenerations(db: Db, rows: readonly GenerationRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(generations)
      .values([...rows])
      .onConflictDoNothing()
      .returning({
        keyHash: generations.keyHash,
        accountId: generations.accountId,
        totalCost: generations.totalCost,
        createdAt: generations.createdAt,
      });

    const byKeyDay = new Map<string, { keyHash: string; day: string; cost: bigint; requests: number }>();
    const byKey = new Map<string, bigint>();
    const byAccount = new Map<string, bigint>();
    for (const row of inserted) {
      const cost = parseDecimal(row.totalCost);
      const day = row.createdAt.toISOString().slice(0, 10);
      const k = `${row.keyHash}|${day}`;
      const agg = byKeyDay.get(k) ?? { keyHash: row.keyHash, day, cost: 0n, requests: 0 };
      agg.cost += cost;
      agg.requests += 1;
      byKeyDay.set(k, agg);
      if (cost !== 0n) {
        byKey.set(row.keyHash, (byKey.get(row.keyHash) ?? 0n) + cost);
        byAccount.set(row.accountId, (byAccount.get(row.accountId) ?? 0n) + cost);
      }
    }
    if (byKeyDay.size > 0) {
      await tx
        .insert(keyUsageDaily)
        .values(
          [...byKeyDay.values()].map((a) => ({
            keyHash: a.keyHash,
            day: a.day,
            usage: formatDecimal(a.cost),
            requests: a.requests,
          })),
        )
        .onConflictDoUpdate({
          target: [keyUsageDaily.keyHash, keyUsageDaily.day],
          set: {
            usage: sql`${keyUsageDaily.usage} + excluded.usage`,
            requests: sql`${keyUsageDaily.requests} + excluded.requests`,
          },
        });
    }
    for (const [hash, cost] of byKey) {
      await tx
        .update(apiKeys)
        .set({ usage: sql`${apiKeys.usage} + ${formatDecimal(cost)}::numeric`, updatedAt: sql`now()` })
        .where(sql`${apiKeys.hash} = ${hash}`);
    }
    for (const [id, cost] of byAccount) {
      await tx
        .update(accounts)
        .set({ usage: sql`${accounts.usage} + ${formatDecimal(cost)}::numeric`, updatedAt: sql`now()` })
        .where(sql`${accounts.id} = ${id}`);
    }
    return inserted.length;
  });
}
