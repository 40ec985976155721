/**
 * Writing what requests used, off the hot path: a generation row per request, and each key's
 * and account's spend moved by exactly its cost — for a whole batch in ONE statement (one round
 * trip, atomic by itself), idempotent by generation id: a redelivered batch inserts nothing and
 * therefore charges nothing.
 *
 * The rows travel as one JSON parameter, the rows themselves serialised as they are: building a
 * 30-column, N-row parameter list in the Worker cost more CPU than the request it recorded, and
 * plain objects of strings, numbers and nested JSON take V8's fast JSON.stringify path (0.6 µs a
 * row in workerd; a Date in the row, or rows rebuilt as arrays, 2.1 µs: `bench/micro.ts`).
 */
import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { generations } from "../db/schema";

/**
 * A generation row as the write path carries it, from the request to the queue or the outbox and
 * into the batch statement: JSON-safe, `createdAt` an ISO timestamp.
 */
export type GenerationRow = Omit<typeof generations.$inferInsert, "createdAt"> & { createdAt: string };

/**
 * The columns a batch fills, each from the row's field of the same name: read off the table
 * itself, so the insert cannot drift from the schema. A row gives each column its own field,
 * else the column's default (cancelled false, tokens 0, cost "0", attempts []), else null.
 */
interface RecordColumn {
  key: keyof GenerationRow;
  name: string;
  /** The column's SQL type, as the insert casts to it. */
  type: string;
  fallback: unknown;
}

export const RECORD_COLUMNS: readonly RecordColumn[] = Object.entries(getTableColumns(generations)).map(
  ([key, column]) => {
    // A default computed by the database cannot be written into a row that always names the column.
    if (is(column.default, SQL))
      throw new Error(`generations.${column.name}: SQL defaults are not supported here`);
    return {
      key: key as keyof GenerationRow,
      name: column.name,
      type: column.getSQLType(),
      fallback: column.default ?? null,
    };
  },
);

/** A column's default as an SQL literal (the schema's own defaults: booleans, numbers, strings, JSON). */
function sqlLiteral(value: unknown, type: string): string {
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return `'${text.replaceAll("'", "''")}'::${type}`;
}

/** `jsonb_to_recordset`'s column list: each row object's keys, read as the columns' types. */
const RECORD_DEFINITION = RECORD_COLUMNS.map(({ key, type }) => `"${key}" ${type}`).join(", ");
/** An absent key (or a JSON null) is SQL null; a column with a default gets the default instead. */
const SELECT_LIST = RECORD_COLUMNS.map(({ key, type, fallback }) =>
  fallback === null ? `r."${key}"` : `coalesce(r."${key}", ${sqlLiteral(fallback, type)})`,
).join(", ");
const COLUMN_LIST = RECORD_COLUMNS.map(({ name }) => name).join(", ");

/** A NUL, or a UTF-16 surrogate without its other half. */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The batch as JSON Postgres takes. JSON and JS strings allow what Postgres refuses in jsonb and
 * text alike: NUL and lone surrogates. Either can come from a client (`user`, `session_id`) or a
 * provider (an error message, raw usage), and a row refused for it would lose its charge with it:
 * such characters become U+FFFD. JSON.stringify writes both as `\u` escapes, so a batch without
 * any escape (nearly every one) is passed as it is.
 */
export function storableJson(json: string): string {
  if (!json.includes("\\u")) return json;
  return JSON.stringify(JSON.parse(json), (_key, value: unknown) =>
    typeof value === "string" ? value.replace(UNSTORABLE, "\uFFFD") : value,
  );
}

/** Inserts the generations and settles their cost; returns how many were new. */
export async function settleGenerations(db: Db, rows: readonly GenerationRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const batch = storableJson(JSON.stringify(rows));
  const result = await db.execute<{ inserted: number }>(sql`
    with inserted as (
      insert into generations (${sql.raw(COLUMN_LIST)})
      select ${sql.raw(SELECT_LIST)} from jsonb_to_recordset(${batch}::jsonb) as r(${sql.raw(RECORD_DEFINITION)})
      on conflict do nothing
      returning key_hash, account_id, total_cost, created_at,
        case when is_byok then coalesce(upstream_inference_cost, 0) else 0 end as byok_cost
    ),
    daily as (
      insert into key_usage_daily as d (key_hash, day, usage, byok_usage, requests)
      select key_hash, (created_at at time zone 'utc')::date, sum(total_cost), sum(byok_cost), count(*)
      from inserted group by 1, 2
      on conflict (key_hash, day) do update
        set usage = d.usage + excluded.usage, byok_usage = d.byok_usage + excluded.byok_usage,
            requests = d.requests + excluded.requests
      returning 1
    ),
    keys as (
      update api_keys k set usage = k.usage + s.cost, byok_usage = k.byok_usage + s.byok_cost, updated_at = now()
      from (
        select key_hash, sum(total_cost) as cost, sum(byok_cost) as byok_cost from inserted group by 1
        having sum(total_cost) <> 0 or sum(byok_cost) <> 0
      ) s
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
