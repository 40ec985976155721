/**
 * The endpoints listing's measured health (API.md b11: `uptime_last_5m/30m/1d`,
 * `latency_last_30m`, `throughput_last_30m`), one query per model, cached in the isolate like the
 * catalog the listing is built from: the same TTL, stale-while-revalidate. The route is public,
 * so its database reads stay bounded — one per model per TTL in each isolate — whatever the traffic.
 */
import { createDb } from "../db/client";
import { describeDbError } from "../db/errors";
import { type ModelEndpointStats, readModelEndpointStats } from "../db/queries/endpoint-stats";
import { dbStats, dbTimeoutMs, policy, type RequestScope, ttlMs } from "./routing-data";
import { SwrCache, withTimeout } from "./swr";

/** Per provider slug; endpoints without attempts in the last day are absent. */
export type ModelStats = ReadonlyMap<string, ModelEndpointStats>;

const NONE: ModelStats = new Map();
const statsCache = new SwrCache<string, ModelStats>(1_000);

/**
 * Stats of `modelId`'s endpoints. When they cannot be read, none: the listing then shows nulls,
 * as for endpoints with no traffic, rather than failing over a measurement.
 */
export async function getModelEndpointStats(scope: RequestScope, modelId: string): Promise<ModelStats> {
  try {
    return await statsCache.get(
      modelId,
      async () => {
        dbStats.queries += 1;
        const rows = await withTimeout(
          readModelEndpointStats(
            createDb(scope.env.HYPERDRIVE.connectionString, { maxConnections: 1 }),
            modelId,
          ),
          dbTimeoutMs(scope.env),
          "endpoint stats read",
        );
        return new Map(rows.map((r) => [r.provider_slug, r]));
      },
      policy(scope, ttlMs(scope.env)),
    );
  } catch (error) {
    console.error(`endpoint stats of ${modelId} not read: ${describeDbError(error)}`);
    return NONE;
  }
}
