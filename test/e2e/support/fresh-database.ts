/**
 * A database of its own for a test file that must not see (or disturb) other files' rows:
 * created beside this run's test database, migrated, dropped by the returned function.
 */
import postgres from "postgres";
import { inject } from "vitest";
import { ensureDatabase, migrateDatabase } from "../../../scripts/lib/migrate.ts";

export async function freshDatabase(suffix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(inject("databaseUrl"));
  const name = `${decodeURIComponent(base.pathname.slice(1))}_${suffix}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  await migrateDatabase(url.toString());
  return {
    url: url.toString(),
    drop: async () => {
      const admin = new URL(base);
      admin.pathname = "/postgres";
      const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await sql.end();
      }
    },
  };
}
