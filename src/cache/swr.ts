/**
 * An in-isolate cache with a TTL, stale-while-revalidate and stale-while-error, so that a warm
 * request does no database round trip and a database outage does not stop routing.
 *
 * - age < ttl: served as is.
 * - ttl ≤ age < 2·ttl: served, and refreshed in the background (`waitUntil`).
 * - age ≥ 2·ttl, or missing: loaded before answering — so no value is ever served more than
 *   2·ttl after it was read, unless the load fails, in which case a value up to `maxStaleMs`
 *   old is served instead (stale-while-error) and the failure is counted.
 */
export interface SwrPolicy {
  ttlMs: number;
  /** How old a value may be when served because a refresh failed. */
  maxStaleMs: number;
  /** Where a background refresh runs (the request's `ctx.waitUntil`). */
  waitUntil?: ((p: Promise<unknown>) => void) | undefined;
}

interface Entry<V> {
  value: V;
  loadedAt: number;
}

export class SwrCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  /** Loads that failed and were answered from a stale value (for health reporting). */
  staleServes = 0;
  /** Bumped by delete/clear: a load that started before must not store what it read. */
  private epoch = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Loads are not shared between concurrent requests on purpose: a promise tied to another
   * request's I/O may never settle if that request is cancelled.
   */
  async get(key: K, load: () => Promise<V>, policy: SwrPolicy): Promise<V> {
    const entry = this.entries.get(key);
    const age = entry ? this.now() - entry.loadedAt : Number.POSITIVE_INFINITY;
    if (entry && age < policy.ttlMs) return entry.value;
    if (entry && age < 2 * policy.ttlMs && policy.waitUntil) {
      policy.waitUntil(this.refresh(key, load).catch(() => {}));
      return entry.value;
    }
    try {
      return await this.refresh(key, load);
    } catch (error) {
      if (entry && age < policy.maxStaleMs) {
        this.staleServes++;
        return entry.value;
      }
      throw error;
    }
  }

  /** Drops a key now (e.g. this isolate just revoked it). */
  delete(key: K): void {
    this.epoch++;
    this.entries.delete(key);
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
