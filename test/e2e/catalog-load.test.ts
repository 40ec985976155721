/**
 * The catalog loader against a real, freshly migrated Postgres of its own (row counts are exact
 * here because no other test file writes to this database), and the CLI run as a person runs it.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../../src/catalog/load";
import { parseCatalog } from "../../src/catalog/parse";
import type { Catalog } from "../../src/catalog/schema";
import { createDb, type Db } from "../../src/db/client";
import { endpoints, models, providers } from "../../src/db/schema";
import { freshDatabase } from "./support/fresh-database";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DEFAULT_FILE = join(ROOT, "catalog/default.json");
const defaultJson = (): Catalog => JSON.parse(readFileSync(DEFAULT_FILE, "utf8")) as Catalog;
const run = promisify(execFile);

let database: { url: string; drop: () => Promise<void> };
let db: Db;

beforeAll(async () => {
  database = await freshDatabase("catalog");
  db = createDb(database.url);
});

afterAll(async () => {
  await db?.$client.end();
  await database?.drop();
});

async function rowCounts() {
  const [p, m, e] = await Promise.all([
    db.select({ n: sql<number>`count(*)::int` }).from(providers),
    db.select({ n: sql<number>`count(*)::int` }).from(models),
    db.select({ n: sql<number>`count(*)::int` }).from(endpoints),
  ]);
  return { providers: p[0]?.n, models: m[0]?.n, endpoints: e[0]?.n };
}

/** Runs the CLI as `npm run catalog` does (tsx), minus npm/npx start-up; resolves with exit code and output. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", "scripts/catalog.ts", ...args],
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: database.url },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

function writeTemp(name: string, content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "catalog-"));
  const file = join(dir, name);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

describe("loadCatalog on a fresh database", () => {
  const cat = parseCatalog(defaultJson(), "catalog/default.json");

  it("adds everything on the first load", async () => {
    const report = await loadCatalog(db, cat);
    expect(report.providers).toEqual({ added: cat.providers.length, changed: 0, unchanged: 0 });
    expect(report.models).toEqual({ added: cat.models.length, changed: 0, unchanged: 0 });
    expect(report.endpoints).toEqual({ added: cat.endpoints.length, changed: 0, unchanged: 0 });
    expect(await rowCounts()).toEqual({
      providers: cat.providers.length,
      models: cat.models.length,
      endpoints: cat.endpoints.length,
    });
  });

  it("maps file fields to columns", async () => {
    const [model] = await db.select().from(models).where(eq(models.id, "openai/gpt-4o-mini"));
    expect(model).toMatchObject({ canonicalSlug: "openai/gpt-4o-mini", tokenizer: "GPT" });
    expect(model?.releasedAt.toISOString()).toBe("2024-07-18T00:00:00.000Z");
    const [row] = await db
      .select()
      .from(endpoints)
      .where(
        sql`${endpoints.modelId} = 'anthropic/claude-sonnet-4.5' and ${endpoints.providerSlug} = 'anthropic'`,
      );
    expect(Number(row?.pricePrompt)).toBe(0.000003);
    expect(Number(row?.priceInputCacheWrite)).toBe(0.00000375);
    expect(row?.priceRequest).toMatch(/^0(\.0+)?$/);
    expect(row?.priceInternalReasoning).toBeNull();
    const [bedrock] = await db.select().from(providers).where(eq(providers.slug, "amazon-bedrock"));
    expect(bedrock?.config).toEqual({ region: "us-east-1", secretAccessKeyEnv: "AWS_SECRET_ACCESS_KEY" });
    const [ollama] = await db.select().from(providers).where(eq(providers.slug, "ollama"));
    expect(ollama?.apiKeyEnv).toBeNull();
  });

  it("finds nothing to change on a second load and leaves updated_at alone", async () => {
    const before = await db.select({ id: endpoints.id, updatedAt: endpoints.updatedAt }).from(endpoints);
    const report = await loadCatalog(db, cat);
    expect(report.providers).toEqual({ added: 0, changed: 0, unchanged: cat.providers.length });
    expect(report.models).toEqual({ added: 0, changed: 0, unchanged: cat.models.length });
    expect(report.endpoints).toEqual({ added: 0, changed: 0, unchanged: cat.endpoints.length });
    const after = await db.select({ id: endpoints.id, updatedAt: endpoints.updatedAt }).from(endpoints);
    expect(after).toEqual(before);
  });

  it("counts exactly one change when one price changes, and stamps only that row", async () => {
    const changed = parseCatalog(defaultJson(), "changed.json");
    const target = changed.endpoints.find(
      (e) => e.model === "openai/gpt-4o-mini" && e.provider === "openai",
    )!;
    target.pricing.prompt = "0.00000016";
    const report = await loadCatalog(db, changed);
    expect(report.endpoints).toEqual({ added: 0, changed: 1, unchanged: cat.endpoints.length - 1 });
    expect(report.models.changed).toBe(0);
    expect(report.providers.changed).toBe(0);

    const stamped = await db
      .select({
        modelId: endpoints.modelId,
        providerSlug: endpoints.providerSlug,
        price: endpoints.pricePrompt,
      })
      .from(endpoints)
      // Loaded in one transaction, every row shares created_at = updated_at until it changes.
      .where(sql`${endpoints.updatedAt} <> ${endpoints.createdAt}`);
    expect(stamped).toHaveLength(1);
    expect(stamped[0]).toMatchObject({ modelId: "openai/gpt-4o-mini", providerSlug: "openai" });
    expect(Number(stamped[0]?.price)).toBe(0.00000016);

    // Back to the shipped price: one change again, then steady.
    expect((await loadCatalog(db, cat)).endpoints.changed).toBe(1);
    expect((await loadCatalog(db, cat)).endpoints.changed).toBe(0);
  });

  it("treats equal decimals written differently as unchanged", async () => {
    const same = parseCatalog(defaultJson(), "same.json");
    const target = same.endpoints.find((e) => e.model === "openai/gpt-4o-mini" && e.provider === "openai")!;
    target.pricing.prompt = "0.000000150000";
    expect((await loadCatalog(db, same)).endpoints.changed).toBe(0);
  });

  it("changes nothing when a write fails half-way (one transaction)", async () => {
    const before = await rowCounts();
    const broken = parseCatalog(defaultJson(), "broken.json");
    broken.providers.push({
      slug: "zz-atomic-test",
      name: "Atomic test",
      adapter: "openai",
      baseUrl: "http://127.0.0.1:1/v1",
      dataPolicy: { training: false, retainsPrompts: false },
    });
    broken.models.push({
      id: "zz/atomic",
      name: "Atomic",
      created: "2026-01-01",
      description: "",
      contextLength: 1000,
      inputModalities: ["text"],
      outputModalities: ["text"],
    });
    // Valid for the file schema, too large for the integer column: fails inside the transaction.
    broken.endpoints.push({
      model: "zz/atomic",
      provider: "zz-atomic-test",
      providerModelId: "atomic",
      contextLength: 3_000_000_000,
      pricing: { prompt: "0", completion: "0" },
      supportedParameters: [],
      quantization: "unknown",
    });
    await expect(loadCatalog(db, broken)).rejects.toThrow();
    expect(await rowCounts()).toEqual(before);
    expect(await db.select().from(providers).where(eq(providers.slug, "zz-atomic-test"))).toEqual([]);
  });

  it("reports rows absent from the file, and --prune deletes them", async () => {
    const smaller = parseCatalog(defaultJson(), "smaller.json");
    const dropModel = "mistralai/codestral-2508";
    smaller.models = smaller.models.filter((m) => m.id !== dropModel);
    smaller.endpoints = smaller.endpoints.filter(
      (e) => e.model !== dropModel && !(e.model === "openai/gpt-oss-120b" && e.provider === "ollama"),
    );

    const kept = await loadCatalog(db, smaller);
    expect(kept.absent).toEqual({ providers: 0, models: 1, endpoints: 2 });
    expect(kept.pruned).toBe(false);
    expect((await rowCounts()).models).toBe(cat.models.length);

    const pruned = await loadCatalog(db, smaller, { prune: true });
    expect(pruned.absent).toEqual({ providers: 0, models: 1, endpoints: 2 });
    expect(pruned.pruned).toBe(true);
    expect(await rowCounts()).toEqual({
      providers: cat.providers.length,
      models: cat.models.length - 1,
      endpoints: cat.endpoints.length - 2,
    });

    const restored = await loadCatalog(db, cat);
    expect(restored.models.added).toBe(1);
    expect(restored.endpoints.added).toBe(2);
  });
});

// Each run starts Node + tsx: seconds apiece on a loaded 2-core machine.
describe("npm run catalog (the CLI)", { timeout: 180_000 }, () => {
  it("loads a file and prints what it added, changed and left", async () => {
    const { code, stdout } = await cli(["load", DEFAULT_FILE]);
    expect(code).toBe(0);
    const cat = defaultJson();
    expect(stdout).toContain(`providers: 0 added, 0 changed, ${cat.providers.length} unchanged`);
    expect(stdout).toContain(`models: 0 added, 0 changed, ${cat.models.length} unchanged`);
    expect(stdout).toContain(`endpoints: 0 added, 0 changed, ${cat.endpoints.length} unchanged`);
  });

  it("says what it leaves alone and prunes it with --prune", async () => {
    const cat = defaultJson();
    cat.endpoints = cat.endpoints.filter(
      (e) => !(e.model === "openai/gpt-oss-20b" && e.provider === "ollama"),
    );
    const file = writeTemp("smaller.json", cat);
    const kept = await cli(["load", file]);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain(
      "not in the file, left alone: 0 providers, 0 models, 1 endpoint (--prune deletes them)",
    );
    const pruned = await cli(["load", file, "--prune"]);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain("pruned (not in the file): 0 providers, 0 models, 1 endpoint");
    expect((await rowCounts()).endpoints).toBe(cat.endpoints.length);
    const restored = await cli(["load", DEFAULT_FILE]);
    expect(restored.stdout).toContain("endpoints: 1 added, 0 changed");
  });

  it("rejects a bad file with exit code 1, naming path and field, and writes nothing", async () => {
    const before = await rowCounts();
    const cat = defaultJson() as unknown as { endpoints: { pricing: Record<string, unknown> }[] };
    cat.endpoints[3]!.pricing.prompt = 0.0000015;
    const file = writeTemp("bad.json", cat);
    const { code, stderr } = await cli(["load", file]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `${file}: endpoints[3].pricing.prompt: a non-negative decimal string such as "0.0000015"`,
    );
    expect(stderr).toContain("nothing written");
    expect(await rowCounts()).toEqual(before);
  });

  it("validates without touching the database", async () => {
    const ok = await cli(["validate", DEFAULT_FILE]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("valid");
    const bad = await cli(["validate", writeTemp("broken.json", "{ nope")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("not valid JSON");
  });

  it("exits 2 on bad usage", async () => {
    const { code, stderr } = await cli(["frobnicate"]);
    expect(code).toBe(2);
    expect(stderr).toContain("usage: npm run catalog");
  });
});
