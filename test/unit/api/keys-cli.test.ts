import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKeysCli } from "../../../scripts/keys";
import { hashApiKey } from "../../../src/auth/api-key";
import { createDb } from "../../../src/db/client";
import { findKeyRecord } from "../../../src/db/queries/keys";
import { parseDecimal } from "../../../src/usage/decimal";
import { freshDatabase } from "../../e2e/support/fresh-database";

let url: string;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ url, drop } = await freshDatabase("keys_cli"));
}, 60_000);

afterAll(async () => {
  await drop?.();
});

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runKeysCli(args, {
    databaseUrl: () => url,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

async function record(hash: string) {
  const db = createDb(url);
  try {
    return await findKeyRecord(db, hash);
  } finally {
    await db.$client.end();
  }
}

describe("npm run keys", () => {
  it("creates a key with credits and a limit, printing the secret and hash once", async () => {
    const r = await cli(
      "create",
      "--name",
      "ci",
      "--credits",
      "100",
      "--limit",
      "10",
      "--limit-reset",
      "monthly",
    );
    expect(r).toMatchObject({ code: 0, err: "" });
    const key = /key:\s+(sk-sy-v1-[0-9a-f]{64})/.exec(r.out)?.[1];
    const hash = /hash:\s+([0-9a-f]{64})/.exec(r.out)?.[1];
    expect(key).toBeDefined();
    expect(hash).toBe(await hashApiKey(key!));
    expect(await record(hash!)).toMatchObject({
      name: "ci",
      isManagement: false,
      limitReset: "monthly",
      money: expect.objectContaining({
        account: expect.objectContaining({ credits: parseDecimal("100") }),
        limit: parseDecimal("10"),
      }),
    });
  });

  it("creates a management key, lists keys and disables one", async () => {
    const made = await cli("create", "--name", "ops", "--management");
    expect(made.code).toBe(0);
    expect(made.out).toMatch(/key:\s+sk-sy-mgmt-v1-/);
    const hash = /hash:\s+([0-9a-f]{64})/.exec(made.out)![1]!;
    const listed = await cli("list");
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(hash);
    expect(listed.out).not.toMatch(/sk-sy-mgmt-v1-[0-9a-f]{10}/); // labels only, never secrets
    expect((await cli("disable", hash)).code).toBe(0);
    expect((await record(hash))?.disabled).toBe(true);
    expect((await cli("list")).out).toMatch(new RegExp(`${hash}.*disabled`));
    expect((await cli("enable", hash)).code).toBe(0);
    expect((await record(hash))?.disabled).toBe(false);
  });

  it("takes --expires-at as a date, as its usage says (ISO-DATE)", async () => {
    const r = await cli("create", "--name", "dated", "--credits", "1", "--expires-at", "2099-01-01");
    expect(r.code).toBe(0);
    const hash = /hash:\s+([0-9a-f]{64})/.exec(r.out)?.[1] ?? "";
    expect((await record(hash))?.expiresAt?.toISOString()).toBe("2099-01-01T00:00:00.000Z");
  });

  it("says why the database failed, not which statement (exit 1)", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKeysCli(["list"], {
      databaseUrl: () => "postgres://postgres@127.0.0.1:1/none",
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    expect(code).toBe(1);
    expect(err.join("\n")).toMatch(/ECONNREFUSED.*is the database running\?/);
    expect(err.join("\n")).not.toContain("Failed query");
  });

  it("deletes a key, an admin token included, which no HTTP route manages", async () => {
    const made = await cli("create", "--name", "doomed-admin", "--management");
    const hash = /hash:\s+([0-9a-f]{64})/.exec(made.out)?.[1] ?? "";
    expect(await record(hash)).not.toBeNull();
    expect(await cli("delete", hash)).toMatchObject({ code: 0, err: "" });
    expect(await record(hash)).toBeNull();
    expect((await cli("delete", hash)).code).toBe(1);
  });

  it("fails with 1 for an unknown hash", async () => {
    const r = await cli("disable", "0".repeat(64));
    expect(r.code).toBe(1);
    expect(r.err).toContain("No key");
  });

  it.each([
    [[]],
    [["frob"]],
    [["create"]],
    [["create", "--name", "x", "--credits", "lots"]],
    [["create", "--name", "x", "--limit", "-1"]],
    [["create", "--name", "x", "--limit-reset", "yearly"]],
    [["create", "--name", "x", "--bogus"]],
    [["list", "--name", "x"]],
    [["disable"]],
    [["disable", "a", "b"]],
    [["delete"]],
  ])("prints usage and exits 2 for %j", async (args) => {
    const before = (await cli("list")).out;
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain("Usage: npm run keys");
    expect((await cli("list")).out).toBe(before);
  });
});
