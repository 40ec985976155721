/**
 * What routing knows of each endpoint's recent health, measured across every isolate (the
 * `endpoint_stats` rollup, read with the catalog on its refresh): p50 latency and throughput over
 * the last 30 minutes for `sort`, which endpoints are in an outage by their recent uptime, and
 * each endpoint's tool-call error rate over the last day (`sort: "exacto"`, Auto Exacto).
 * Built once per snapshot, so a request pays a Map lookup per candidate, and only when it sorts
 * by a measurement; the in-isolate `EndpointHealth` (30 s, this isolate's own attempts) is
 * separate and still applies.
 */
import type { EndpointRow } from "../db/queries/catalog";
import type { RecentEndpointStats } from "../db/queries/endpoint-stats";

/** Percentiles of one measure; a key is absent where there was no sample. */
export interface Quantiles {
  p50?: number;
  p75?: number;
  p90?: number;
  p99?: number;
}

/** An endpoint's p50s over the last 30 minutes; undefined where it has no such sample. */
export interface EndpointMeasure {
  /** Time to first token, ms. */
  latency: number | undefined;
  /** Completion tokens per second. */
  throughput: number | undefined;
  /**
   * The last 5 minutes (API.md b3: the window of `preferred_max_latency` and
   * `preferred_min_throughput`): time to first token in ms, and tokens per second.
   */
  recentLatency: Quantiles;
  recentThroughput: Quantiles;
  /**
   * Broken tool calls per checked call over the last day (Auto Exacto, API.md b4), from 0 to 1;
   * undefined below TOOL_CALL_MIN_SAMPLES calls.
   */
  toolCallErrorRate: number | undefined;
}

export interface MeasuredStats {
  /** By endpoint id; only endpoints with attempts in the last 30 minutes, or tool calls in the last day. */
  byEndpoint: ReadonlyMap<number, EndpointMeasure>;
  /**
   * Endpoints whose uptime over the last 5 minutes is below UNRELIABLE_UPTIME on at least
   * UNRELIABLE_MIN_ATTEMPTS attempts: routing treats them as down (API.md b10: prefer providers
   * with no significant outage; those with recent outages go last).
   */
  unreliable: ReadonlySet<number>;
}

/**
 * Below this uptime an endpoint is in a significant outage: one attempt in five failing costs
 * every request that draws it first a failed round trip that often.
 */
export const UNRELIABLE_UPTIME = 0.8;
/**
 * Fewer attempts say too little: two failures of three are noise, not an outage. A demoted
 * endpoint gets fallback traffic only, so its window thins out and it is tried first again
 * within the window's 5–10 minutes of its outage ending.
 */
export const UNRELIABLE_MIN_ATTEMPTS = 10;

/**
 * Fewer tool calls than this say nothing about an endpoint: at 20, one broken call moves the rate
 * by 5 points, the margin Auto Exacto demotes by (routing/plan.ts), so a single unlucky call
 * cannot demote a provider on its own.
 */
export const TOOL_CALL_MIN_SAMPLES = 20;

export const NO_MEASUREMENTS: MeasuredStats = { byEndpoint: new Map(), unreliable: new Set() };

/** Joins the stats rows (keyed by model id and provider slug) to the catalog's endpoints. */
export function measureEndpoints(
  endpoints: readonly EndpointRow[],
  rows: readonly RecentEndpointStats[],
): MeasuredStats {
  if (rows.length === 0) return NO_MEASUREMENTS;
  const idOf = new Map(endpoints.map((e) => [`${e.modelId}\n${e.providerSlug}`, e.id]));
  const byEndpoint = new Map<number, EndpointMeasure>();
  const unreliable = new Set<number>();
  for (const row of rows) {
    const id = idOf.get(`${row.model_id}\n${row.provider_slug}`);
    if (id === undefined) continue;
    byEndpoint.set(id, {
      latency: row.latency_p50 ?? undefined,
      throughput: row.throughput_p50 ?? undefined,
      recentLatency: quantiles(
        row.latency_5m_p50,
        row.latency_5m_p75,
        row.latency_5m_p90,
        row.latency_5m_p99,
      ),
      recentThroughput: quantiles(
        row.throughput_5m_p50,
        row.throughput_5m_p75,
        row.throughput_5m_p90,
        row.throughput_5m_p99,
      ),
      toolCallErrorRate:
        row.tool_calls_1d >= TOOL_CALL_MIN_SAMPLES ? row.tool_call_errors_1d / row.tool_calls_1d : undefined,
    });
    const attempts = row.successes_5m + row.failures_5m;
    if (attempts >= UNRELIABLE_MIN_ATTEMPTS && row.successes_5m < UNRELIABLE_UPTIME * attempts)
      unreliable.add(id);
  }
  return { byEndpoint, unreliable };
}

function quantiles(
  p50: number | null,
  p75: number | null,
  p90: number | null,
  p99: number | null,
): Quantiles {
  const q: Quantiles = {};
  if (p50 !== null) q.p50 = p50;
  if (p75 !== null) q.p75 = p75;
  if (p90 !== null) q.p90 = p90;
  if (p99 !== null) q.p99 = p99;
  return q;
}
