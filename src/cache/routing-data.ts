/**
 * The data a request needs before it calls a provider — the catalog and the caller's key —
 * cached in the isolate (see swr.ts). Bounds: a catalog change is seen within 2 × CACHE_TTL_SECONDS
 * (default 15 s → 30 s); a revoked or disabled key stops working within 2 × KEY_TTL (5 s → 10 s),
 * and at once in the isolate that revoked it. When Postgres is unreachable, the last data read is
 * served for up to a day (stale-while-error), behind a DB_TIMEOUT_MS (default 3 s) app-level timeout.
 * The bounds assume Hyperdrive's own query cache is off (README, "Deploying to Cloudflare"): it
 * would add up to its max_age + stale_while_revalidate (60 + 15 s by default) to each.
 */

import { BYOK_SECRET_NAME } from "../byok/crypto";
import { unsealCredentials } from "../byok/unseal";
import { buildSnapshot, type CatalogSnapshot } from "../catalog/snapshot";
import { createDb, type Db } from "../db/client";
import { describeDbError } from "../db/errors";
import { readCatalog } from "../db/queries/catalog";
import { type RecentEndpointStats, readRecentEndpointStats } from "../db/queries/endpoint-stats";
import { type AccountMoney, findKeyRecordWithByok, type KeyRecord } from "../db/queries/keys";
import type { Bindings } from "../env";
import { SwrCache, type SwrPolicy, withTimeout } from "./swr";

const catalogCache = new SwrCache<"catalog", CatalogSnapshot>(1);
const keyCache = new SwrCache<string, KeyRecord | null>(10_000);
const MAX_STALE_MS = 24 * 60 * 60 * 1000;
const KEY_TTL_MS = 5_000;
/** Accounts whose balance object the cached keys share (as many as the key cache holds keys). */
const MAX_ACCOUNTS = 10_000;
const accountMoney = new Map<string, AccountMoney>();

/** Database round trips made by the loaders in this isolate (the benchmark and tests read it). */
export const dbStats = { queries: 0 };

export interface RequestScope {
  env: Bindings;
  waitUntil?: ((p: Promise<unknown>) => void) | undefined;
}

export function ttlMs(env: Bindings): number {
  const seconds = Number(env.CACHE_TTL_SECONDS ?? "15");
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 15_000;
}

export function dbTimeoutMs(env: Bindings): number {
  const ms = Number(env.DB_TIMEOUT_MS ?? "3000");
  return Number.isFinite(ms) && ms > 0 ? ms : 3000;
}

export function policy(scope: RequestScope, ttl: number): SwrPolicy {
  return {
    ttlMs: ttl,
    maxStaleMs: MAX_STALE_MS,
    waitUntil: scope.waitUntil,
    joinTimeoutMs: dbTimeoutMs(scope.env),
  };
}

/**
 * The catalog and the endpoints' measured health, read together on one connection (four
 * pipelined queries), so routing never reads the database on a request of its own.
 */
export function getCatalog(scope: RequestScope): Promise<CatalogSnapshot> {
  return catalogCache.get(
    "catalog",
    async () => {
      dbStats.queries += 4;
      const db = createDb(scope.env.HYPERDRIVE.connectionString, { maxConnections: 1 });
      const timeout = dbTimeoutMs(scope.env);
      const [rows, stats] = await withTimeout(
        Promise.all([readCatalog(db), recentStatsOrNone(db, timeout)]),
        timeout,
        "catalog read",
      );
      return buildSnapshot(rows, stats);
    },
    policy(scope, ttlMs(scope.env)),
  );
}

/**
 * Measured health only refines the order; without it routing is what it was before any was
 * measured (price order). So a stats read that fails or is slow — a database hiccup, a Worker
 * deployed before its migration — costs the measurements until the next refresh, never the catalog.
 */
function recentStatsOrNone(db: Db, timeout: number): Promise<RecentEndpointStats[]> {
  return withTimeout(readRecentEndpointStats(db), timeout / 2, "endpoint stats read").catch(
    (error: unknown) => {
      console.error(`endpoint stats not read, routing without them: ${describeDbError(error)}`);
      return [];
    },
  );
}

export function getKeyRecord(scope: RequestScope, hash: string): Promise<KeyRecord | null> {
  return keyCache.get(
    hash,
    async () => {
      dbStats.queries += 1;
      const found = await withTimeout(
        findKeyRecordWithByok(createDb(scope.env.HYPERDRIVE.connectionString), hash),
        dbTimeoutMs(scope.env),
        "key read",
      );
      if (!found) return null;
      // The account's BYOK credentials come in the same row, decrypted once per load.
      const byok = await unsealCredentials(found.sealed, scope.env[BYOK_SECRET_NAME]);
      if (byok) found.record.byok = byok;
      return shareAccountMoney(found.record);
    },
    policy(scope, Math.min(KEY_TTL_MS, ttlMs(scope.env))),
  );
}

/**
 * One balance per account in the isolate: the record's account money becomes the object its
 * account's other cached keys hold, updated to this (newest) read. So a spend through one key
 * (applySpend) is seen by the account's other keys at once, not after their own refreshes —
 * without it, two keys of one account could each spend the balance for up to 2 × KEY_TTL.
 */
export function shareAccountMoney(record: KeyRecord): KeyRecord {
  const shared = accountMoney.get(record.accountId);
  if (shared) {
    shared.credits = record.money.account.credits;
    shared.usage = record.money.account.usage;
    record.money.account = shared;
    return record;
  }
  if (accountMoney.size >= MAX_ACCOUNTS) accountMoney.delete(accountMoney.keys().next().value ?? "");
  accountMoney.set(record.accountId, record.money.account);
  return record;
}

/** Called after this isolate changes a key, so its own next request sees the change at once. */
export function forgetKey(hash: string): void {
  keyCache.delete(hash);
}

/**
 * Called after this isolate changes an account's BYOK credentials: every cached key of the
 * account carries them, so each is read again on its next request.
 */
export function forgetAccountKeys(accountId: string): void {
  keyCache.deleteWhere((record) => record?.accountId === accountId);
}

/** Called after this isolate loads a catalog. */
export function forgetCatalog(): void {
  catalogCache.clear();
}
