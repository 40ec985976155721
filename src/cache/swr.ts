/**
 * An in-isolate cache with a TTL, stale-while-revalidate and stale-while-error, so that a warm
 * request does no database round trip and a database outage does not stop routing.
 *
 * - age < ttl: served as is.
 * - ttl ≤ age < 2·ttl: served, and refreshed in the background (`waitUntil`).
 * - age ≥ 2·ttl, or missing: loaded before answering — so no value is ever served more than
 *   2·ttl after it was read, unless the load fails, in which case a value up to `maxStaleMs`
 *   old is served instead (stale-while-error) and the failure is counted.
 * At most one background refresh per key is in flight, and after a failed load the key backs off
 * for FAILURE_BACKOFF_MS — serving its stale value at once instead of making every request wait
 * on (and pile connections onto) a database that is down or saturated.
 */

/** After a failed load, requests serve the stale value without touching the database for this long. */
export const FAILURE_BACKOFF_MS = 2_000;
/** A background refresh older than this is presumed dead (its request context ended). */
const REFRESH_LEASE_MS = 10_000;

export interface SwrPolicy {
  ttlMs: number;
  /** How old a value may be when served because a refresh failed. */
  maxStaleMs: number;
  /** Where a background refresh runs (the request's `ctx.waitUntil`). */
  waitUntil?: ((p: Promise<unknown>) => void) | undefined;
  /** How long a request waits for another request's load of the same key before loading itself. */
  joinTimeoutMs?: number | undefined;
}

interface Entry<V> {
  value: V;
  loadedAt: number;
  /** When the in-flight background refresh started, if one is running. */
  refreshingSince?: number | undefined;
  /** When the last load of this key failed. */
  failedAt?: number | undefined;
}

export class SwrCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly inflight = new Map<K, { promise: Promise<V>; startedAt: number }>();
  /** Loads that failed and were answered from a stale value (for health reporting). */
  staleServes = 0;
  /** Bumped by delete/clear: a load that started before must not store what it read. */
  private epoch = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: K, load: () => Promise<V>, policy: SwrPolicy): Promise<V> {
    const entry = this.entries.get(key);
    const now = this.now();
    const age = entry ? now - entry.loadedAt : Number.POSITIVE_INFINITY;
    if (entry && age < policy.ttlMs) return entry.value;
    const backingOff = entry?.failedAt !== undefined && now - entry.failedAt < FAILURE_BACKOFF_MS;
    if (entry && policy.waitUntil && (age < 2 * policy.ttlMs || (backingOff && age < policy.maxStaleMs))) {
      if (backingOff) this.staleServes++;
      else this.refreshInBackground(key, entry, load, policy.waitUntil);
      return entry.value;
    }
    try {
      return await this.loadOnce(key, load, policy);
    } catch (error) {
      if (entry) entry.failedAt = this.now();
      if (entry && age < policy.maxStaleMs) {
        this.staleServes++;
        return entry.value;
      }
      throw error;
    }
  }

  /**
   * A blocking load shared by the requests that need the same key at the same time (after an
   * idle gap, a thousand requests must not open a thousand connections). Each joiner waits at
   * most `joinTimeoutMs` for it — the load belongs to another request, whose cancellation could
   * leave it unsettled — and then loads for itself.
   */
  private async loadOnce(key: K, load: () => Promise<V>, policy: SwrPolicy): Promise<V> {
    const running = this.inflight.get(key);
    if (running && this.now() - running.startedAt < REFRESH_LEASE_MS) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), policy.joinTimeoutMs ?? 3_000);
      });
      const shared = await Promise.race([
        running.promise.then(
          (v) => ({ v }),
          () => undefined,
        ),
        timedOut,
      ]).finally(() => clearTimeout(timer));
      if (shared) return shared.v;
    }
    const promise = this.refresh(key, load);
    const mine = { promise, startedAt: this.now() };
    this.inflight.set(key, mine);
    try {
      return await promise;
    } finally {
      if (this.inflight.get(key) === mine) this.inflight.delete(key);
    }
  }

  private refreshInBackground(
    key: K,
    entry: Entry<V>,
    load: () => Promise<V>,
    waitUntil: (p: Promise<unknown>) => void,
  ): void {
    const now = this.now();
    if (entry.refreshingSince !== undefined && now - entry.refreshingSince < REFRESH_LEASE_MS) return;
    entry.refreshingSince = now;
    waitUntil(
      this.refresh(key, load).then(
        () => {
          entry.refreshingSince = undefined;
        },
        () => {
          entry.refreshingSince = undefined;
          entry.failedAt = this.now();
        },
      ),
    );
  }

  /** Drops a key now (e.g. this isolate just revoked it). */
  delete(key: K): void {
    this.epoch++;
    this.entries.delete(key);
  }

  /** Drops every cached value `stale` picks (a rare admin write; it walks all entries). */
  deleteWhere(stale: (value: V) => boolean): void {
    this.epoch++;
    for (const [key, entry] of this.entries) if (stale(entry.value)) this.entries.delete(key);
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  private async refresh(key: K, load: () => Promise<V>): Promise<V> {
    const epoch = this.epoch;
    const value = await load();
    if (epoch !== this.epoch) return value;
    this.entries.delete(key);
    this.entries.set(key, { value, loadedAt: this.now() });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return value;
  }
}

/** Rejects after `ms` so no request hangs on an unreachable database (postgres.js retries forever). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
