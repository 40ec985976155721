/**
 * Outage-aware load balancing (API.md b10: "prefer providers with no significant outage in the
 * last 30 s … providers with recent outages go last"). An endpoint whose latest attempt in this
 * isolate failed for availability — a 5xx, a rate limit, a first-byte timeout, a connection that
 * could not be made, a stream cut before its first content — goes behind the healthy ones for
 * 30 s: still a fallback, no longer the first try. One success restores it.
 *
 * Without it, a provider that is down costs every request that draws it first a failed round
 * trip, and one that hangs costs the whole first-byte timeout. While it is demoted it gets
 * traffic only as a fallback, so the first request after the 30 s is the probe that finds out
 * whether it is back.
 *
 * Held in the isolate, like sticky routes: each isolate learns from its own attempts (one failed
 * request per endpoint and isolate finds an outage), with no database round trip on the hot
 * path. Only failing endpoints are kept, so a healthy gateway pays a size check per request.
 */

/** How long a failure keeps an endpoint behind the healthy ones (b10: the last 30 s). */
export const OUTAGE_WINDOW_MS = 30_000;
/** Failing endpoints remembered at most; the catalog has a few hundred endpoints. */
const MAX_ENTRIES = 4_096;

export class EndpointHealth {
  /** Endpoint id → when its latest attempt failed; only endpoints whose latest attempt failed. */
  private readonly failedAt = new Map<number, number>();

  constructor(private readonly windowMs = OUTAGE_WINDOW_MS) {}

  /** Whether the endpoint's latest attempt failed for availability within the window. */
  failing(endpointId: number, now: number): boolean {
    if (this.failedAt.size === 0) return false;
    const at = this.failedAt.get(endpointId);
    if (at === undefined) return false;
    if (now - at < this.windowMs) return true;
    this.failedAt.delete(endpointId);
    return false;
  }

  /** The endpoint served an attempt. */
  succeeded(endpointId: number): void {
    if (this.failedAt.size !== 0) this.failedAt.delete(endpointId);
  }

  /** The endpoint failed an attempt for availability (not a refusal of the request itself). */
  failed(endpointId: number, now: number): void {
    // Re-inserted, so the map stays in order of failure and the oldest goes first when full.
    this.failedAt.delete(endpointId);
    this.failedAt.set(endpointId, now);
    if (this.failedAt.size > MAX_ENTRIES) this.failedAt.delete(this.failedAt.keys().next().value ?? -1);
  }

  /** Endpoints currently remembered as failing (expired ones until they are next looked up). */
  get size(): number {
    return this.failedAt.size;
  }
}

/** The isolate's endpoint health. */
export const endpointHealth = new EndpointHealth();
