/**
 * Writing what requests used, off the hot path: a generation row per request, and each key's
 * and account's spend moved by exactly its cost — for a whole batch in ONE statement (one round
 * trip, atomic by itself), idempotent by generation id: a redelivered batch inserts nothing and
 * therefore charges nothing.
 *
 * The rows travel as one JSON parameter, an array of arrays (RECORD_COLUMNS): building a
 * 30-column, N-row parameter list in the Worker cost more CPU than the request it recorded.
 */
import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { generations } from "../db/schema";

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
 * The columns a batch fills, in the order of each row's JSON array: read off the table itself,
 * so the insert cannot drift from the schema. A row gives each column its own field, else the
 * column's default (cancelled false, tokens 0, cost "0", attempts []), else null. Rows travel as
 * arrays, not objects: half the bytes to serialise, copy into the wire buffer and parse — per
 * row, on the gateway's CPU.
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

/** One row as the JSON array the batch statement reads (dates serialise as ISO strings). */
export function recordArray(row: GenerationRow): unknown[] {
  const values = new Array<unknown>(RECORD_COLUMNS.length);
  for (let i = 0; i < RECORD_COLUMNS.length; i++) {
    const column = RECORD_COLUMNS[i] as RecordColumn;
    values[i] = row[column.key] ?? column.fallback;
  }
  return values;
}

/**
 * `r->>i` is SQL null for a JSON null; a jsonb value needs `nullif` (`r->i` of a JSON null is the
 * jsonb `null`, not SQL null).
 */
const SELECT_LIST = RECORD_COLUMNS.map(({ type }, i) =>
  type === "jsonb" ? `nullif(r->${i}, 'null'::jsonb)` : `(r->>${i})::${type}`,
).join(", ");
const COLUMN_LIST = RECORD_COLUMNS.map(({ name }) => name).join(", ");

/** Inserts the generations and settles their cost; returns how many were new. */
export async function settleGenerations(db: Db, rows: readonly GenerationRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const batch = JSON.stringify(rows.map(recordArray));
  const result = await db.execute<{ inserted: number }>(sql`
    with inserted as (
      insert into generations (${sql.raw(COLUMN_LIST)})
      select ${sql.raw(SELECT_LIST)} from jsonb_array_elements(${batch}::jsonb) r
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
