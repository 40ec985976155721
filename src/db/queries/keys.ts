import { and, eq, gte, sql } from "drizzle-orm";
import type { Db } from "../client";
import { accounts, apiKeys, keyUsageDaily } from "../schema";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** A key with its account and its spend in the current UTC day, week (from Monday) and month. */
export interface KeyRecord extends ApiKeyRow {
  accountCredits: string;
  accountUsage: string;
  usageDaily: string;
  usageWeekly: string;
  usageMonthly: string;
}

const today = sql`(now() at time zone 'utc')::date`;
const weekStart = sql`date_trunc('week', now() at time zone 'utc')::date`;
const monthStart = sql`date_trunc('month', now() at time zone 'utc')::date`;

/** One round trip: the key, its account, and ≤ 31 daily spend rows summed per period. */
export async function findKeyRecord(db: Db, hash: string): Promise<KeyRecord | null> {
  const rows = await db
    .select({
      key: apiKeys,
      accountCredits: accounts.credits,
      accountUsage: accounts.usage,
      usageDaily: sql<string>`coalesce(sum(${keyUsageDaily.usage}) filter (where ${keyUsageDaily.day} >= ${today}), 0)::text`,
      usageWeekly: sql<string>`coalesce(sum(${keyUsageDaily.usage}) filter (where ${keyUsageDaily.day} >= ${weekStart}), 0)::text`,
      usageMonthly: sql<string>`coalesce(sum(${keyUsageDaily.usage}) filter (where ${keyUsageDaily.day} >= ${monthStart}), 0)::text`,
    })
    .from(apiKeys)
    .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
    .leftJoin(
      keyUsageDaily,
      and(
        eq(keyUsageDaily.keyHash, apiKeys.hash),
        gte(keyUsageDaily.day, sql`least(${weekStart}, ${monthStart})`),
      ),
    )
    .where(eq(apiKeys.hash, hash))
    .groupBy(apiKeys.hash, accounts.id);
  const row = rows[0];
  if (!row) return null;
  return {
    ...row.key,
    accountCredits: row.accountCredits,
    accountUsage: row.accountUsage,
    usageDaily: row.usageDaily,
    usageWeekly: row.usageWeekly,
    usageMonthly: row.usageMonthly,
  };
}

export interface NewKey {
  hash: string;
  label: string;
  name: string;
  isManagement?: boolean;
  limit?: string | null;
  limitReset?: "daily" | "weekly" | "monthly" | null;
  includeByokInLimit?: boolean;
  expiresAt?: Date | null;
  /** Attach to this account; otherwise a new account is created with `credits`. */
  accountId?: string;
  credits?: string;
}

/** Creates a key (and its account, unless `accountId` is given) in one transaction. */
export async function insertKey(db: Db, key: NewKey): Promise<ApiKeyRow> {
  return db.transaction(async (tx) => {
    let accountId = key.accountId;
    if (!accountId) {
      const [account] = await tx
        .insert(accounts)
        .values({ name: key.name, credits: key.credits ?? "0" })
        .returning({ id: accounts.id });
      accountId = account!.id;
    }
    const [row] = await tx
      .insert(apiKeys)
      .values({
        hash: key.hash,
        label: key.label,
        name: key.name,
        accountId,
        isManagement: key.isManagement ?? false,
        limit: key.limit ?? null,
        limitReset: key.limitReset ?? null,
        includeByokInLimit: key.includeByokInLimit ?? false,
        expiresAt: key.expiresAt ?? null,
      })
      .returning();
    return row!;
  });
}
