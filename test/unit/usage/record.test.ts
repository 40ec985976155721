/**
 * The batch insert is generated from RECORD_COLUMNS (rows travel as JSON arrays in that order):
 * it must name every column of `generations` once, with the column's own SQL type, and fill an
 * absent value the way the table would.
 */
import { getTableColumns } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { generations } from "../../../src/db/schema";
import { RECORD_COLUMNS, recordArray } from "../../../src/usage/record";

describe("RECORD_COLUMNS", () => {
  it("names every column of generations once, with its SQL type", () => {
    const table = Object.values(getTableColumns(generations)).map((c) => [c.name, c.getSQLType()]);
    const record = RECORD_COLUMNS.map(({ name, type }) => [name, type]);
    expect(new Set(record.map(([name]) => name)).size).toBe(record.length);
    expect(record.sort()).toEqual(table.sort());
  });

  it("writes absent values as null and the defaults the table would give", () => {
    const values = recordArray({
      id: "gen-1795000000-aaaaaaaaaaaaaaaaaaaa",
      createdAt: new Date("2026-11-28T00:00:00.250Z"),
      accountId: "00000000-0000-0000-0000-000000000001",
      keyHash: "k",
      requestedModel: "m",
      streamed: true,
      status: 502,
    });
    const byName = JSON.parse(
      JSON.stringify(Object.fromEntries(RECORD_COLUMNS.map(({ name }, i) => [name, values[i]]))),
    );
    expect(byName).toMatchObject({
      created_at: "2026-11-28T00:00:00.250Z",
      model: null,
      cancelled: false,
      tokens_prompt: 0,
      total_cost: "0",
      attempts: [],
      raw_usage: null,
      session_id: null,
    });
    expect(JSON.stringify(values)).not.toContain("undefined");
  });
});
