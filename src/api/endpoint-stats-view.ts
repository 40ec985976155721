/**
 * An endpoint's measured health in OpenRouter's fields (API.md b10, b11). Uptime is a percentage,
 * as OpenRouter sends it (`@openrouter/sdk`'s PublicEndpoint: "successful / (successful + error)
 * * 100"); latency is time to first token in ms, throughput completion tokens per second.
 */
import type { ModelEndpointStats } from "../db/queries/endpoint-stats";
import type { Endpoint } from "../schema/models";

type StatsFields = Pick<
  Endpoint,
  "uptime_last_5m" | "uptime_last_30m" | "uptime_last_1d" | "latency_last_30m" | "throughput_last_30m"
>;

const UNMEASURED: StatsFields = {
  uptime_last_5m: null,
  uptime_last_30m: null,
  uptime_last_1d: null,
  latency_last_30m: null,
  throughput_last_30m: null,
};

/** Null without attempts: no traffic is not an outage. */
function uptime(successes: number, failures: number): number | null {
  const attempts = successes + failures;
  return attempts === 0 ? null : (100 * successes) / attempts;
}

/** The histogram's bins are ~9 % wide: more digits than these would be noise. */
const wholeMs = (v: number) => Math.round(v);
const tenths = (v: number) => Math.round(v * 10) / 10;

function percentiles(
  p: readonly [number | null, number | null, number | null, number | null],
  round: (v: number) => number,
): Endpoint["latency_last_30m"] {
  const [p50, p75, p90, p99] = p;
  if (p50 === null || p75 === null || p90 === null || p99 === null) return null;
  return { p50: round(p50), p75: round(p75), p90: round(p90), p99: round(p99) };
}

export function endpointStatsView(s: ModelEndpointStats | undefined): StatsFields {
  if (!s) return UNMEASURED;
  return {
    uptime_last_5m: uptime(s.successes_5m, s.failures_5m),
    uptime_last_30m: uptime(s.successes_30m, s.failures_30m),
    uptime_last_1d: uptime(s.successes_1d, s.failures_1d),
    latency_last_30m: percentiles([s.latency_p50, s.latency_p75, s.latency_p90, s.latency_p99], wholeMs),
    throughput_last_30m: percentiles(
      [s.throughput_p50, s.throughput_p75, s.throughput_p90, s.throughput_p99],
      tenths,
    ),
  };
}
