/**
 * The routing catalog held in memory: providers, models and each model's endpoints, as read
 * from Postgres, with the endpoints' measured health. Routing and the catalog API read this,
 * never the database directly.
 */
import type { EndpointRow, ModelRow, ProviderRow } from "../db/queries/catalog";
import type { RecentEndpointStats } from "../db/queries/endpoint-stats";
import { type MeasuredStats, measureEndpoints } from "./measured";

export interface CatalogSnapshot {
  providers: ReadonlyMap<string, ProviderRow>;
  models: ReadonlyMap<string, ModelRow>;
  /** Endpoints per model id. */
  endpointsByModel: ReadonlyMap<string, readonly EndpointRow[]>;
  /** Recent latency, throughput and outages, per endpoint id (empty when nothing is measured). */
  measured: MeasuredStats;
}

export function buildSnapshot(
  rows: {
    providers: ProviderRow[];
    models: ModelRow[];
    endpoints: EndpointRow[];
  },
  stats: readonly RecentEndpointStats[] = [],
): CatalogSnapshot {
  const endpointsByModel = new Map<string, EndpointRow[]>();
  for (const endpoint of rows.endpoints) {
    const list = endpointsByModel.get(endpoint.modelId) ?? [];
    list.push(endpoint);
    endpointsByModel.set(endpoint.modelId, list);
  }
  return {
    providers: new Map(rows.providers.map((p) => [p.slug, p])),
    models: new Map(rows.models.map((m) => [m.id, m])),
    endpointsByModel,
    measured: measureEndpoints(rows.endpoints, stats),
  };
}
