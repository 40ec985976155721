/**
 * `:free` endpoints are rate limited per key (20 requests per minute, API.md b4). Counted in
 * the isolate: exact per isolate, approximate across isolates — an atomic limiter belongs with
 * the reserve-then-settle work on the roadmap.
 */
import type { RateLimit } from "../errors";

const WINDOW_MS = 60_000;
export const FREE_REQUESTS_PER_MINUTE = 20;

/** One request's verdict, with the window's state after it: what `X-RateLimit-*` report. */
export interface RateLimitDecision extends RateLimit {
  allowed: boolean;
}

class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /**
   * Counts the request if the window has room. `resetAt` is when the oldest request in the
   * window ages out, i.e. when a refused client can next be served.
   */
  take(key: string, now: number): RateLimitDecision {
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    const allowed = recent.length < this.limit;
    if (allowed) recent.push(now);
    this.hits.set(key, recent);
    if (allowed && this.hits.size > 10_000) this.hits.delete(this.hits.keys().next().value ?? "");
    return {
      allowed,
      limit: this.limit,
      remaining: this.limit - recent.length,
      resetAt: (recent[0] ?? now) + this.windowMs,
    };
  }

  allow(key: string, now: number): boolean {
    return this.take(key, now).allowed;
  }
}

export const freeTierLimiter = new SlidingWindowLimiter(FREE_REQUESTS_PER_MINUTE, WINDOW_MS);
