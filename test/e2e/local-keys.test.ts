/**
 * The keys `npm start` and `npm run serve` print are saved per database (`.data/state.json`): a
 * run against another database (DATABASE_URL) makes that database's keys without replacing these,
 * so a later start against the first prints the same ones again instead of minting new ones.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { freshDatabase } from "./support/fresh-database";

const dataDir = mkdtempSync(join(tmpdir(), "switchyard-local-keys-"));
let first: Awaited<ReturnType<typeof freshDatabase>>;
let second: Awaited<ReturnType<typeof freshDatabase>>;

beforeAll(async () => {
  first = await freshDatabase("local_keys_a");
  second = await freshDatabase("local_keys_b");
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await first?.drop();
  await second?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** One setup as `npm run serve` does it against DATABASE_URL, with this test's own data directory. */
async function setupAgainst(url: string) {
  vi.stubEnv("SWITCHYARD_DATA_DIR", dataDir);
  vi.stubEnv("DATABASE_URL", url);
  vi.resetModules(); // the data directory is read when scripts/lib/paths.ts is imported
  const { prepareLocalSetup } = await import("../../scripts/lib/bootstrap");
  return prepareLocalSetup({ devKey: false, note: () => {} });
}

describe("local keys, per database", () => {
  it("a run against another database leaves the first one's admin token saved", async () => {
    const a = await setupAgainst(first.url);
    const b = await setupAgainst(second.url);
    expect(b.adminToken).not.toBe(a.adminToken);
    const again = await setupAgainst(first.url);
    expect(again.adminToken).toBe(a.adminToken);
    // The state file holds no database password.
    expect(readFileSync(join(dataDir, "state.json"), "utf8")).not.toMatch(/postgres:[^*@/]+@/);
  }, 120_000);
});
