import { and, asc, count, desc, eq, gte, inArray, sql } from "drizzle-orm";
import type { ByokCredential } from "../../byok/credential";
import { type Fixed, parseDecimal } from "../../usage/decimal";
import type { Db } from "../client";
import { accounts, apiKeys, keyUsageDaily } from "../schema";
import { type SealedCredential, sealedCredentialsColumn, sealedCredentialsSchema } from "./byok";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/**
 * A key's money in USD as fixed-point bigints, parsed from the database's decimal strings once
 * per read: the cached record is checked (and moved by applySpend) on every request.
 */
export interface KeyMoney {
  /** Spending cap for the current `limitReset` period (or for ever); null = no cap. */
  limit: Fixed | null;
  /**
   * The account's credits bought and spent (its balance is the difference). One object per
   * account in the isolate's key cache, shared by its keys' records, so what one key spends the
   * others see at once (src/cache/routing-data.ts).
   */
  account: AccountMoney;
  /** Spend through this key: lifetime, and in the current UTC day, week (from Monday) and month. */
  usage: Fixed;
  usageDaily: Fixed;
  usageWeekly: Fixed;
  usageMonthly: Fixed;
  /**
   * BYOK spend through this key at list prices (what the user's own provider keys were billed),
   * in the same periods. Counted against `limit` only with `include_byok_in_limit`.
   */
  byokUsage: Fixed;
  byokUsageDaily: Fixed;
  byokUsageWeekly: Fixed;
  byokUsageMonthly: Fixed;
}

export interface AccountMoney {
  credits: Fixed;
  usage: Fixed;
}

/**
 * A key with its account and its spend per period. The row's decimal-string `limit` and `usage`
 * live on as bigints in `money`, so no request parses or formats them.
 */
export interface KeyRecord extends Omit<ApiKeyRow, "limit" | "usage" | "byokUsage"> {
  money: KeyMoney;
  /**
   * The account's usable BYOK credentials, decrypted (src/cache/routing-data.ts). Absent when it
   * has none or BYOK is off, so a request without BYOK pays one property check for it.
   */
  byok?: readonly ByokCredential[] | undefined;
}

const today = sql`(now() at time zone 'utc')::date`;
const weekStart = sql`date_trunc('week', now() at time zone 'utc')::date`;
const monthStart = sql`date_trunc('month', now() at time zone 'utc')::date`;

/** The columns of a KeyRecord: the key, its account's balance, and ≤ 31 daily spend rows summed per period. */
function selectedKeyColumns() {
  return {
    key: apiKeys,
    accountCredits: accounts.credits,
    accountUsage: accounts.usage,
    usageDaily: sql<string>`coalesce(sum(${keyUsageDaily.usage}) filter (where ${keyUsageDaily.day} >= ${today}), 0)::text`,
    usageWeekly: sql<string>`coalesce(sum(${keyUsageDaily.usage}) filter (where ${keyUsageDaily.day} >= ${weekStart}), 0)::text`,
    usageMonthly: sql<string>`coalesce(sum(${keyUsageDaily.usage}) filter (where ${keyUsageDaily.day} >= ${monthStart}), 0)::text`,
    byokUsageDaily: sql<string>`coalesce(sum(${keyUsageDaily.byokUsage}) filter (where ${keyUsageDaily.day} >= ${today}), 0)::text`,
    byokUsageWeekly: sql<string>`coalesce(sum(${keyUsageDaily.byokUsage}) filter (where ${keyUsageDaily.day} >= ${weekStart}), 0)::text`,
    byokUsageMonthly: sql<string>`coalesce(sum(${keyUsageDaily.byokUsage}) filter (where ${keyUsageDaily.day} >= ${monthStart}), 0)::text`,
  };
}

/** The daily spend rows a key record sums: those of this week and this month. */
function usageRowsOf() {
  return and(
    eq(keyUsageDaily.keyHash, apiKeys.hash),
    gte(keyUsageDaily.day, sql`least(${weekStart}, ${monthStart})`),
  );
}

function selectKeyRecords(db: Db) {
  return db
    .select(selectedKeyColumns())
    .from(apiKeys)
    .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
    .leftJoin(keyUsageDaily, usageRowsOf())
    .$dynamic();
}

type KeyRecordRow = Awaited<ReturnType<typeof selectKeyRecords>>[number];

function toKeyRecord(row: KeyRecordRow): KeyRecord {
  const { limit, usage, byokUsage, ...key } = row.key;
  return {
    ...key,
    money: {
      limit: limit === null ? null : parseDecimal(limit),
      account: { credits: parseDecimal(row.accountCredits), usage: parseDecimal(row.accountUsage) },
      usage: parseDecimal(usage),
      usageDaily: parseDecimal(row.usageDaily),
      usageWeekly: parseDecimal(row.usageWeekly),
      usageMonthly: parseDecimal(row.usageMonthly),
      byokUsage: parseDecimal(byokUsage),
      byokUsageDaily: parseDecimal(row.byokUsageDaily),
      byokUsageWeekly: parseDecimal(row.byokUsageWeekly),
      byokUsageMonthly: parseDecimal(row.byokUsageMonthly),
    },
  };
}

/** One round trip: the key, its account, and ≤ 31 daily spend rows summed per period. */
export async function findKeyRecord(db: Db, hash: string): Promise<KeyRecord | null> {
  const rows = await selectKeyRecords(db).where(eq(apiKeys.hash, hash)).groupBy(apiKeys.hash, accounts.id);
  const row = rows[0];
  return row ? toKeyRecord(row) : null;
}

/**
 * `findKeyRecord` for the key cache: the same one round trip, plus the account's enabled BYOK
 * credentials, still sealed (decrypting needs the Worker's secret, which the cache holds).
 */
export async function findKeyRecordWithByok(
  db: Db,
  hash: string,
): Promise<{ record: KeyRecord; sealed: SealedCredential[] } | null> {
  const rows = await db
    .select({ ...selectedKeyColumns(), byok: sealedCredentialsColumn(accounts.id) })
    .from(apiKeys)
    .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
    .leftJoin(keyUsageDaily, usageRowsOf())
    .where(eq(apiKeys.hash, hash))
    .groupBy(apiKeys.hash, accounts.id);
  const row = rows[0];
  if (!row) return null;
  return { record: toKeyRecord(row), sealed: sealedCredentialsSchema.parse(row.byok) ?? [] };
}

/**
 * A page of keys, newest first (ties by hash, so pages never overlap), with their period spend.
 * `includeManagement: false` lists API keys only, as the /keys API does.
 */
export async function listKeyRecords(
  db: Db,
  page: { offset: number; limit: number; includeDisabled: boolean; includeManagement: boolean },
): Promise<KeyRecord[]> {
  const rows = await selectKeyRecords(db)
    .where(
      and(
        page.includeDisabled ? undefined : eq(apiKeys.disabled, false),
        page.includeManagement ? undefined : eq(apiKeys.isManagement, false),
      ),
    )
    .groupBy(apiKeys.hash, accounts.id)
    .orderBy(desc(apiKeys.createdAt), asc(apiKeys.hash))
    .offset(page.offset)
    .limit(page.limit);
  return rows.map(toKeyRecord);
}

/** The fields of a key the management API may change. */
export type KeyPatch = Partial<
  Pick<ApiKeyRow, "name" | "disabled" | "limit" | "limitReset" | "includeByokInLimit" | "expiresAt">
>;

/** Changes a key in one statement; null when no key has this hash (nothing changed then). */
export async function updateKey(db: Db, hash: string, patch: KeyPatch): Promise<ApiKeyRow | null> {
  const [row] = await db
    .update(apiKeys)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(apiKeys.hash, hash))
    .returning();
  return row ?? null;
}

/** Deletes a key (its daily usage rows go with it); false when there was none. */
export async function deleteKey(db: Db, hash: string): Promise<boolean> {
  const rows = await db.delete(apiKeys).where(eq(apiKeys.hash, hash)).returning({ hash: apiKeys.hash });
  return rows.length > 0;
}

export async function keyExists(db: Db, hash: string): Promise<boolean> {
  const rows = await db.select({ hash: apiKeys.hash }).from(apiKeys).where(eq(apiKeys.hash, hash)).limit(1);
  return rows.length > 0;
}

/** How many of `hashes` are API keys of the account (each counted once). */
export async function countAccountKeys(
  db: Db,
  accountId: string,
  hashes: readonly string[],
): Promise<number> {
  if (hashes.length === 0) return 0;
  const rows = await db
    .select({ n: count() })
    .from(apiKeys)
    .where(and(eq(apiKeys.accountId, accountId), inArray(apiKeys.hash, [...hashes])));
  return rows[0]?.n ?? 0;
}

export async function accountExists(db: Db, id: string): Promise<boolean> {
  const rows = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, id)).limit(1);
  return rows.length > 0;
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
