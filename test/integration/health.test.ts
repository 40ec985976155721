import { env, exports } from "cloudflare:workers";
import postgres from "postgres";
import { describe, expect, it } from "vitest";

describe("the Worker in workerd", () => {
  it("answers /health", async () => {
    const res = await exports.default.fetch("http://gateway/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("answers unknown routes with a 404 in the error envelope", async () => {
    const res = await exports.default.fetch("http://gateway/api/v1/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 404, metadata: { error_type: "not_found" } } });
  });

  it("reaches the migrated test database through the Hyperdrive binding", async () => {
    const sql = postgres(env.HYPERDRIVE.connectionString, { max: 1, fetch_types: false });
    const rows = await sql`select count(*)::int as n from pg_tables where tablename = 'generations'`;
    expect(rows[0]?.n).toBe(1);
  });
});
