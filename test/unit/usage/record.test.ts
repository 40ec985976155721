/**
 * The batch insert is generated from RECORD_COLUMNS (rows travel as JSON objects, read with
 * `jsonb_to_recordset`): it must name every column of `generations` once, with the column's own
 * SQL type. What an absent field becomes (null, or the table's default) is checked against a real
 * Postgres in test/e2e/record.test.ts.
 */
import { getTableColumns } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { generations } from "../../../src/db/schema";
import { RECORD_COLUMNS } from "../../../src/usage/record";

describe("RECORD_COLUMNS", () => {
  it("names every column of generations once, with its SQL type and the row field it is read from", () => {
    const table = Object.entries(getTableColumns(generations)).map(([key, c]) => [
      key,
      c.name,
      c.getSQLType(),
    ]);
    const record = RECORD_COLUMNS.map(({ key, name, type }) => [key, name, type]);
    expect(new Set(record.map(([, name]) => name)).size).toBe(record.length);
    expect(record.sort()).toEqual(table.sort());
  });
});
