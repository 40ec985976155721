/**
 * Writing what requests used, off the hot path: a generation row per request, and each key's
 * and account's spend moved by exactly its cost — for a whole batch in ONE statement (one round
 * trip, atomic by itself), idempotent by generation id: a redelivered batch inserts nothing and
 * therefore charges nothing.
 *
 * The rows travel as one JSON parameter expanded by `jsonb_populate_recordset`: building a
 * 30-column, N-row parameter list in the Worker cost more CPU than the request it recorded.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import type { generations } from "../db/schema";

export type GenerationRow = typeof generations.$inferInsert;

/** A generation as it travels through a queue: JSON-safe (dates as ISO strings). */
export type GenerationMessage = Omit<GenerationRow, "createdAt"> & { createdAt: string };

export function toMessage(row: GenerationRow): GenerationMessage {
  return { ...row, createdAt: row.createdAt.toISOString() };
}

export function fromMessage(message: GenerationMessage): GenerationRow {
  return { ...message, createdAt: new Date(message.createdAt) };
}

/**
 * The row under the table's column names, every column present: `jsonb_populate_recordset`
 * fills absent keys with null, not with the column default.
 */
function asRecord(row: GenerationRow): Record<string, unknown> {
  return {
    id: row.id,
    created_at: row.createdAt instanceof Date ? row.createdAt.toISOString() : row.createdAt,
    account_id: row.accountId,
    key_hash: row.keyHash,
    requested_model: row.requestedModel,
    model: row.model ?? null,
    provider_slug: row.providerSlug ?? null,
    provider_name: row.providerName ?? null,
    upstream_id: row.upstreamId ?? null,
    streamed: row.streamed,
    cancelled: row.cancelled ?? false,
    status: row.status,
    finish_reason: row.finishReason ?? null,
    native_finish_reason: row.nativeFinishReason ?? null,
    tokens_prompt: row.tokensPrompt ?? 0,
    tokens_completion: row.tokensCompletion ?? 0,
    tokens_reasoning: row.tokensReasoning ?? 0,
    tokens_cached: row.tokensCached ?? 0,
    tokens_cache_write: row.tokensCacheWrite ?? 0,
    usage_estimated: row.usageEstimated ?? false,
    total_cost: row.totalCost ?? "0",
    latency_ms: row.latencyMs ?? null,
    generation_time_ms: row.generationTimeMs ?? null,
    time_to_first_token_ms: row.timeToFirstTokenMs ?? null,
    attempts: row.attempts ?? [],
    compression: row.compression ?? null,
    raw_usage: row.rawUsage ?? null,
    error: row.error ?? null,
    http_referer: row.httpReferer ?? null,
    app_title: row.appTitle ?? null,
    user_agent: row.userAgent ?? null,
    external_user: row.externalUser ?? null,
    session_id: row.sessionId ?? null,
  };
}

/** Inserts the generations and settles their cost; returns how many were new. */
export async function settleGenerations(db: Db, rows: readonly GenerationRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const batch = JSON.stringify(rows.map(asRecord));
  const result = await db.execute<{ inserted: number }>(sql`
    with inserted as (
      insert into generations
      select * from jsonb_populate_recordset(null::generations, ${batch}::jsonb)
      on conflict do nothing
      returning key_hash, account_id, total_cost, created_at
    ),
    daily as (
      insert into key_usage_daily as d (key_hash, day, usage, requests)
      select key_hash, (created_at at time zone 'utc')::date, sum(total_cost), count(*)
      from inserted group by 1, 2
      on conflict (key_hash, day) do update
        set usage = d.usage + excluded.usage, requests = d.requests + excluded.requests
      returning 1
    ),
    keys as (
      update api_keys k set usage = k.usage + s.cost, updated_at = now()
      from (select key_hash, sum(total_cost) as cost from inserted group by 1 having sum(total_cost) <> 0) s
      where k.hash = s.key_hash
      returning 1
    ),
    accounts_spent as (
      update accounts a set usage = a.usage + s.cost, updated_at = now()
      from (select account_id, sum(total_cost) as cost from inserted group by 1 having sum(total_cost) <> 0) s
      where a.id = s.account_id
      returning 1
    )
    select (select count(*) from inserted)::int as inserted,
           (select count(*) from daily) + (select count(*) from keys) + (select count(*) from accounts_spent) as touched
  `);
  return result[0]?.inserted ?? 0;
}
