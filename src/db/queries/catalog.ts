import type { Db } from "../client";
import { endpoints, models, providers } from "../schema";

export type ProviderRow = typeof providers.$inferSelect;
export type ModelRow = typeof models.$inferSelect;
export type EndpointRow = typeof endpoints.$inferSelect;

/** The whole routing catalog: a few hundred rows, read in three pipelined queries. */
export async function readCatalog(
  db: Db,
): Promise<{ providers: ProviderRow[]; models: ModelRow[]; endpoints: EndpointRow[] }> {
  const [p, m, e] = await Promise.all([
    db.select().from(providers),
    db.select().from(models),
    db.select().from(endpoints),
  ]);
  return { providers: p, models: m, endpoints: e };
}
