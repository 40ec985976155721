/**
 * Reads of the per-endpoint health rollup (`endpoint_stats`, kept by a trigger on `generations`:
 * migrations/0004_*). Percentiles are computed in Postgres from the summed histograms, by the
 * same migration's functions that bin them, so only a few numbers per endpoint cross the wire.
 *
 * A window "last N minutes" is every 5-minute bucket that overlaps it: it spans N to N + 5
 * minutes of attempts, never an empty current bucket just after it turned over.
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../client";

const count = z.number().int().nonnegative();
const quantile = z.number().nonnegative().nullable();

/**
 * What routing reads for every endpoint with attempts in the last 30 minutes, or with tool calls
 * in the last day.
 */
export const recentEndpointStatsSchema = z.object({
  model_id: z.string(),
  provider_slug: z.string(),
  successes_5m: count,
  failures_5m: count,
  /**
   * Tool calls checked over the last day, and the broken ones (Auto Exacto, API.md b4). A
   * longer window than health's: a provider's tool-call error rate comes from its chat template
   * and parser, which change with its deployments, not from minute to minute; and calls are rarer
   * than requests, so half an hour would leave most endpoints unmeasured.
   */
  tool_calls_1d: count,
  tool_call_errors_1d: count,
  /** Time to first token, ms. */
  latency_p50: quantile,
  /** Completion tokens per second. */
  throughput_p50: quantile,
  /** The last 5 minutes' percentiles, for `preferred_max_latency` / `preferred_min_throughput` (b3). */
  latency_5m_p50: quantile,
  latency_5m_p75: quantile,
  latency_5m_p90: quantile,
  latency_5m_p99: quantile,
  throughput_5m_p50: quantile,
  throughput_5m_p75: quantile,
  throughput_5m_p90: quantile,
  throughput_5m_p99: quantile,
});
export type RecentEndpointStats = z.infer<typeof recentEndpointStatsSchema>;

/** What the endpoints listing shows for each endpoint of one model (API.md b10, b11). */
export const modelEndpointStatsSchema = z.object({
  provider_slug: z.string(),
  successes_5m: count,
  failures_5m: count,
  successes_30m: count,
  failures_30m: count,
  successes_1d: count,
  failures_1d: count,
  latency_p50: quantile,
  latency_p75: quantile,
  latency_p90: quantile,
  latency_p99: quantile,
  throughput_p50: quantile,
  throughput_p75: quantile,
  throughput_p90: quantile,
  throughput_p99: quantile,
});
export type ModelEndpointStats = z.infer<typeof modelEndpointStatsSchema>;

/**
 * Every endpoint's last 30 minutes, and its tool calls over the last day, one row each: read with
 * the catalog on its refresh (a few hundred rows at most). The 30 minutes come over the bucket
 * index; the day only from buckets with tool calls, over its partial index.
 */
export async function readRecentEndpointStats(db: Db): Promise<RecentEndpointStats[]> {
  const rows = await db.execute(sql`
    select model_id, provider_slug, successes_5m, failures_5m, tool_calls_1d, tool_call_errors_1d,
      endpoint_stats_quantile(latency, 0.5) as latency_p50,
      endpoint_stats_quantile(throughput, 0.5) as throughput_p50,
      endpoint_stats_quantile(latency_5m, 0.5) as latency_5m_p50,
      endpoint_stats_quantile(latency_5m, 0.75) as latency_5m_p75,
      endpoint_stats_quantile(latency_5m, 0.9) as latency_5m_p90,
      endpoint_stats_quantile(latency_5m, 0.99) as latency_5m_p99,
      endpoint_stats_quantile(throughput_5m, 0.5) as throughput_5m_p50,
      endpoint_stats_quantile(throughput_5m, 0.75) as throughput_5m_p75,
      endpoint_stats_quantile(throughput_5m, 0.9) as throughput_5m_p90,
      endpoint_stats_quantile(throughput_5m, 0.99) as throughput_5m_p99
    from (
      select model_id, provider_slug,
        coalesce(sum(successes) filter (where bucket > now() - interval '10 minutes'), 0)::int as successes_5m,
        coalesce(sum(failures) filter (where bucket > now() - interval '10 minutes'), 0)::int as failures_5m,
        sum(tool_calls)::int as tool_calls_1d,
        sum(tool_call_errors)::int as tool_call_errors_1d,
        endpoint_stats_sum(latency_ms) filter (where bucket > now() - interval '35 minutes') as latency,
        endpoint_stats_sum(throughput) filter (where bucket > now() - interval '35 minutes') as throughput,
        endpoint_stats_sum(latency_ms) filter (where bucket > now() - interval '10 minutes') as latency_5m,
        endpoint_stats_sum(throughput) filter (where bucket > now() - interval '10 minutes') as throughput_5m
      from endpoint_stats
      where bucket > now() - interval '35 minutes'
         or (tool_calls > 0 and bucket > now() - interval '1 day 5 minutes')
      group by model_id, provider_slug
    ) recent`);
  return z.array(recentEndpointStatsSchema).parse(rows);
}

/** One model's endpoints over the last 5 minutes, 30 minutes and day, by the primary key's prefix. */
export async function readModelEndpointStats(db: Db, modelId: string): Promise<ModelEndpointStats[]> {
  const rows = await db.execute(sql`
    select provider_slug,
      successes_5m, failures_5m, successes_30m, failures_30m, successes_1d, failures_1d,
      endpoint_stats_quantile(latency, 0.5) as latency_p50,
      endpoint_stats_quantile(latency, 0.75) as latency_p75,
      endpoint_stats_quantile(latency, 0.9) as latency_p90,
      endpoint_stats_quantile(latency, 0.99) as latency_p99,
      endpoint_stats_quantile(throughput, 0.5) as throughput_p50,
      endpoint_stats_quantile(throughput, 0.75) as throughput_p75,
      endpoint_stats_quantile(throughput, 0.9) as throughput_p90,
      endpoint_stats_quantile(throughput, 0.99) as throughput_p99
    from (
      select provider_slug,
        coalesce(sum(successes) filter (where bucket > now() - interval '10 minutes'), 0)::int as successes_5m,
        coalesce(sum(failures) filter (where bucket > now() - interval '10 minutes'), 0)::int as failures_5m,
        coalesce(sum(successes) filter (where bucket > now() - interval '35 minutes'), 0)::int as successes_30m,
        coalesce(sum(failures) filter (where bucket > now() - interval '35 minutes'), 0)::int as failures_30m,
        sum(successes)::int as successes_1d,
        sum(failures)::int as failures_1d,
        endpoint_stats_sum(latency_ms) filter (where bucket > now() - interval '35 minutes') as latency,
        endpoint_stats_sum(throughput) filter (where bucket > now() - interval '35 minutes') as throughput
      from endpoint_stats
      where model_id = ${modelId} and bucket > now() - interval '1 day 5 minutes'
      group by provider_slug
    ) windows`);
  return z.array(modelEndpointStatsSchema).parse(rows);
}
