/**
 * `:free` endpoints are rate limited per key (20 requests per minute, API.md b4). Counted in
 * the isolate: exact per isolate, approximate across isolates — an atomic limiter belongs with
 * the reserve-then-settle work on the roadmap.
 */
const WINDOW_MS = 60_000;
export const FREE_REQUESTS_PER_MINUTE = 20;

class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  allow(key: string, now: number): boolean {
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(now);
    this.hits.set(key, recent);
    if (this.hits.size > 10_000) this.hits.delete(this.hits.keys().next().value ?? "");
    return true;
  }
}

export const freeTierLimiter = new SlidingWindowLimiter(FREE_REQUESTS_PER_MINUTE, WINDOW_MS);
