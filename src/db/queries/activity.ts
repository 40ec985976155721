import { type AnyColumn, and, asc, desc, eq, gte, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { generations } from "../schema";

export interface ActivityFilter {
  /** Requests started at or after this instant (a UTC midnight)… */
  from: Date;
  /** …and before this one. */
  to: Date;
  keyHash?: string | undefined;
  accountId?: string | undefined;
  /** One row per account as well (OpenRouter's `group_by=workspace`). */
  byAccount: boolean;
}

export interface ActivityRow {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  model: string;
  providerSlug: string;
  /** The provider's display name as recorded (the catalog's current one is preferred on the wire). */
  providerName: string | null;
  /** Null unless grouped by account. */
  accountId: string | null;
  requests: number;
  /** USD, exact decimal string. */
  usage: string;
  /** BYOK spend at list prices (what users' own provider keys were billed), exact decimal string. */
  byokUsage: string;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
}

const day = sql<string>`to_char(${generations.createdAt} at time zone 'utc', 'YYYY-MM-DD')`;
const total = (column: AnyColumn) => sql<number>`sum(${column})`.mapWith(Number);

/**
 * Requests per UTC day, model and endpoint (provider) in one query over the generation log: the
 * `created_at` range prunes it to the month partitions it covers, and a key or account filter
 * uses that column's (…, created_at) index. There is no rollup by model and provider yet
 * (`key_usage_daily` has neither); a day's rows are read again on every call, which is fine for
 * an operator's endpoint over 30 days and would want a daily rollup at OpenRouter's volumes.
 *
 * Only requests some endpoint served are counted: one every attempt of which failed has no model
 * or provider to put it under, and cost nothing.
 */
export async function activityByDay(db: Db, f: ActivityFilter): Promise<ActivityRow[]> {
  const account = f.byAccount ? sql<string | null>`${generations.accountId}` : sql<null>`null::uuid`;
  return db
    .select({
      day,
      model: sql<string>`${generations.model}`,
      providerSlug: sql<string>`${generations.providerSlug}`,
      providerName: sql<string | null>`max(${generations.providerName})`,
      accountId: account,
      requests: sql<number>`count(*)`.mapWith(Number),
      usage: sql<string>`sum(${generations.totalCost})::text`,
      byokUsage: sql<string>`coalesce(sum(${generations.upstreamInferenceCost}) filter (where ${generations.isByok}), 0)::text`,
      promptTokens: total(generations.tokensPrompt),
      completionTokens: total(generations.tokensCompletion),
      reasoningTokens: total(generations.tokensReasoning),
    })
    .from(generations)
    .where(
      and(
        gte(generations.createdAt, f.from),
        lt(generations.createdAt, f.to),
        // Set together with provider_slug when an endpoint served (usage/record.ts rows).
        isNotNull(generations.model),
        f.keyHash === undefined ? undefined : eq(generations.keyHash, f.keyHash),
        f.accountId === undefined ? undefined : eq(generations.accountId, f.accountId),
      ),
    )
    .groupBy(
      day,
      generations.model,
      generations.providerSlug,
      ...(f.byAccount ? [generations.accountId] : []),
    )
    .orderBy(desc(day), asc(generations.model), asc(generations.providerSlug), asc(account));
}
