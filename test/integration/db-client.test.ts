import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";

/**
 * Per-request clients close their idle connections themselves (idle_timeout), while the request
 * that opened them is still running — the case where the library's own socket raises "Stream was
 * cancelled." as an unhandled rejection (STACK-NOTES G5), which would also fail this run.
 */
describe("a per-request database client in workerd", () => {
  const rejections: unknown[] = [];
  const record = (event: PromiseRejectionEvent) => rejections.push(event.reason);
  beforeEach(() => {
    rejections.length = 0;
    addEventListener("unhandledrejection", record);
  });
  afterEach(() => removeEventListener("unhandledrejection", record));

  const url = () => env.HYPERDRIVE.connectionString;

  async function backendPid(db: ReturnType<typeof createDb>): Promise<number> {
    const rows = await db.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
    const pid = rows[0]?.pid;
    if (typeof pid !== "number") throw new Error("no backend pid");
    return pid;
  }

  async function isConnected(pid: number): Promise<boolean> {
    const rows = await createDb(url()).execute<{ n: number }>(
      sql`select count(*)::int as n from pg_stat_activity where pid = ${pid}`,
    );
    return rows[0]?.n === 1;
  }

  it("closes an idle connection within a few seconds, raising nothing", async () => {
    const pid = await backendPid(createDb(url()));
    expect(await isConnected(pid)).toBe(true);

    const deadline = Date.now() + 6_000;
    let open = true;
    while (open && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      open = await isConnected(pid);
    }
    expect(open).toBe(false);
    // Let a late rejection from the closed socket surface before looking.
    await new Promise((r) => setTimeout(r, 100));
    expect(rejections.map(String)).toEqual([]);
  });

  it("reconnects when it is used again after its connection closed", async () => {
    const db = createDb(url());
    const first = await backendPid(db);
    await new Promise((r) => setTimeout(r, 3_000));
    const second = await backendPid(db);
    expect(second).not.toBe(first);
    expect(rejections.map(String)).toEqual([]);
  });

  it("reports a refused connection as the query's error", async () => {
    const refused = "postgres://postgres:postgres@127.0.0.1:1/postgres?sslmode=disable";
    await expect(backendPid(createDb(refused))).rejects.toThrow();
    expect(rejections.map(String)).toEqual([]);
  });
});
