/**
 * Global setup: a fresh database for this test run on the local Postgres, migrated with the
 * committed migrations, dropped afterwards. Tests read its URL from `inject("databaseUrl")`
 * (Node) or `env.HYPERDRIVE` (workerd).
 */
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { ensureDatabase, migrateDatabase } from "../../scripts/lib/migrate.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const url = process.env.SWITCHYARD_TEST_DATABASE_URL;
  if (!url) throw new Error("SWITCHYARD_TEST_DATABASE_URL is set by vitest.config.ts");
  await dropLeftovers(url);
  await ensureDatabase(url);
  await migrateDatabase(url);
  project.provide("databaseUrl", url);
  // Not `with (force)`: terminating a connection the local Hyperdrive proxy still holds makes that
  // proxy throw an unhandled ECONNRESET (STACK-NOTES G1). A database still in use is left for
  // the next run's `dropLeftovers`.
  return () => withAdmin(url, (sql, name) => sql.unsafe(`drop database if exists "${name}"`).catch(() => {}));
}

/** Drops test databases of earlier runs whose vitest process is gone (the pid is in the name). */
async function dropLeftovers(url: string): Promise<void> {
  await withAdmin(url, async (sql) => {
    const rows = await sql<{ datname: string }[]>`
      select datname from pg_database d
      where datname like 'switchyard_test_%'
        and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)`;
    for (const { datname } of rows) {
      const pid = Number(/^switchyard_test_(\d+)_/.exec(datname)?.[1]);
      if (Number.isInteger(pid) && isAlive(pid)) continue;
      await sql.unsafe(`drop database if exists "${datname}"`).catch(() => {});
    }
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withAdmin<T>(url: string, fn: (sql: postgres.Sql, name: string) => Promise<T>): Promise<T> {
  const admin = new URL(url);
  const name = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  try {
    return await fn(sql, name);
  } finally {
    await sql.end();
  }
}
