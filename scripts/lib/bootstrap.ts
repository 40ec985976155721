/**
 * What `npm start` and `npm run serve` do before the Worker runs: pick the database
 * (DATABASE_URL, or the embedded Postgres under DATA_DIR), wait until it accepts connections,
 * migrate it, load `catalog/default.json` when it has no models yet, and make sure the local
 * keys exist. Keys are created once per database and saved in STATE_FILE (mode 0600), so a
 * second start prints the same ones.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { count } from "drizzle-orm";
import { generateApiKey, hashApiKey, keyLabel } from "../../src/auth/api-key.ts";
import { generateByokSecret } from "../../src/byok/crypto.ts";
import { type LoadReport, loadCatalog } from "../../src/catalog/load.ts";
import { parseCatalog } from "../../src/catalog/parse.ts";
import { createDb, type Db } from "../../src/db/client.ts";
import { readCatalog } from "../../src/db/queries/catalog.ts";
import { findKeyRecord, insertKey } from "../../src/db/queries/keys.ts";
import { models } from "../../src/db/schema.ts";
import {
  DEFAULT_EMBEDDED_PORT,
  type EmbeddedPostgres,
  redactUrl,
  startEmbeddedPostgres,
  waitForDatabase,
} from "./embedded-postgres.ts";
import { ensureDatabase, migrateDatabase } from "./migrate.ts";
import { DATA_DIR, type LocalKeys, type LocalState, PROJECT_ROOT, readState, STATE_FILE } from "./paths.ts";

/** Credits (USD) of the development key's account. */
export const DEV_KEY_CREDITS = "10";
const DEFAULT_CATALOG = join(PROJECT_ROOT, "catalog", "default.json");

export interface LocalSetup {
  databaseUrl: string;
  /** The embedded server when no DATABASE_URL was given; stop it after the Worker. */
  embedded: EmbeddedPostgres | null;
  devKey: string | undefined;
  adminToken: string;
  /** The BYOK_ENCRYPTION_KEY kept for this database (an operator's own setting overrides it at run time). */
  byokSecret: string;
  /** The default catalog's load report when it was loaded by this start. */
  catalogLoaded: LoadReport | null;
  /** Distinct `apiKeyEnv` names in the catalog: the provider secrets the Worker may read. */
  apiKeyEnvNames: string[];
  /** A model id for the printed example request. */
  exampleModel: string | undefined;
}

export interface SetupOptions {
  /** Create (or reuse) the development key with DEV_KEY_CREDITS of credits. */
  devKey: boolean;
  note: (message: string) => void;
}

export async function prepareLocalSetup(opts: SetupOptions): Promise<LocalSetup> {
  const state = readState();
  let embedded: EmbeddedPostgres | null = null;
  let databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    opts.note(`using DATABASE_URL ${redactUrl(databaseUrl)}`);
    await waitForDatabase(databaseUrl, 30_000);
  } else {
    const port = Number(process.env.SWITCHYARD_PG_PORT ?? DEFAULT_EMBEDDED_PORT);
    const password = passwordOf(state.embeddedDatabaseUrl) ?? randomBytes(18).toString("base64url");
    embedded = await startEmbeddedPostgres({ dataDir: DATA_DIR, port, password, note: opts.note });
    const url = new URL(embedded.url);
    url.pathname = "/switchyard";
    databaseUrl = url.toString();
    state.embeddedDatabaseUrl = databaseUrl;
    writeState(state);
  }

  try {
    if (embedded) await ensureDatabase(databaseUrl);
    await migrateDatabase(databaseUrl);
    const db = createDb(databaseUrl);
    try {
      const catalogLoaded = await loadDefaultCatalogIfEmpty(db, opts.note);
      // Each database keeps its own keys: a run against DATABASE_URL must not replace the
      // embedded database's (a later plain start would mint new ones, and tokens pile up).
      const keys = keysOf(state, embedded ? undefined : databaseUrl);
      const devKey = opts.devKey
        ? await ensureKey(db, keys.devKey, { name: "dev", credits: DEV_KEY_CREDITS })
        : undefined;
      const adminToken = await ensureKey(db, keys.adminToken, { name: "admin", management: true });
      if (devKey) keys.devKey = devKey;
      keys.adminToken = adminToken;
      keys.byokEncryptionKey ??= generateByokSecret();
      writeState(state);
      const catalog = await readCatalog(db);
      const apiKeyEnvNames = [
        ...new Set(catalog.providers.flatMap((p) => (p.apiKeyEnv ? [p.apiKeyEnv] : []))),
      ];
      const ids = catalog.models.map((m) => m.id).sort();
      const exampleModel = ids.includes("openai/gpt-4o-mini") ? "openai/gpt-4o-mini" : ids[0];
      return {
        databaseUrl,
        embedded,
        devKey,
        adminToken,
        byokSecret: keys.byokEncryptionKey,
        catalogLoaded,
        apiKeyEnvNames: apiKeyEnvNames.sort(),
        exampleModel,
      };
    } finally {
      await db.$client.end();
    }
  } catch (e) {
    await embedded?.stop();
    throw e;
  }
}

/** The lines printed once the gateway answers: where it is, the keys, a first request. */
export function banner(setup: LocalSetup, baseUrl: string): string {
  const lines = [
    "",
    `  Switchyard is running: ${baseUrl}`,
    `  database:     ${redactUrl(setup.databaseUrl)}${setup.embedded ? " (embedded)" : ""}`,
  ];
  if (setup.devKey) lines.push(`  API key:      ${setup.devKey}   ($${DEV_KEY_CREDITS} of dev credits)`);
  lines.push(`  admin token:  ${setup.adminToken}`, `  (saved in ${STATE_FILE})`, "");
  if (setup.devKey) {
    const body = JSON.stringify({
      model: setup.exampleModel ?? "openai/gpt-4o-mini",
      messages: [{ role: "user", content: "Say hello" }],
    });
    lines.push(
      "  Try it:",
      `  curl ${baseUrl}/chat/completions -H "Authorization: Bearer ${setup.devKey}" -H "Content-Type: application/json" -d '${body}'`,
      "",
    );
  }
  lines.push("  Ctrl-C stops it.", "");
  return lines.join("\n");
}

async function loadDefaultCatalogIfEmpty(db: Db, note: (m: string) => void): Promise<LoadReport | null> {
  const [row] = await db.select({ n: count() }).from(models);
  if ((row?.n ?? 0) > 0) return null;
  if (!existsSync(DEFAULT_CATALOG)) {
    note(`no models in the database and no ${DEFAULT_CATALOG}: starting with an empty catalog`);
    return null;
  }
  const catalog = parseCatalog(JSON.parse(readFileSync(DEFAULT_CATALOG, "utf8")), DEFAULT_CATALOG);
  const report = await loadCatalog(db, catalog);
  note(
    `loaded the default catalog: ${report.providers.added} providers, ${report.models.added} models, ${report.endpoints.added} endpoints`,
  );
  return report;
}

/** The saved keys of the embedded database (no URL), or of the database at `url`. */
function keysOf(state: LocalState, url: string | undefined): LocalKeys {
  if (url === undefined) return state;
  state.otherDatabases ??= {};
  const name = redactUrl(url);
  state.otherDatabases[name] ??= {};
  return state.otherDatabases[name];
}

/** Returns `saved` if that key exists in this database, else creates a new one. */
async function ensureKey(
  db: Db,
  saved: string | undefined,
  spec: { name: string; credits?: string; management?: boolean },
): Promise<string> {
  if (saved && (await findKeyRecord(db, await hashApiKey(saved)))) return saved;
  const key = generateApiKey(spec.management ?? false);
  await insertKey(db, {
    hash: await hashApiKey(key),
    label: keyLabel(key),
    name: spec.name,
    isManagement: spec.management ?? false,
    credits: spec.credits ?? "0",
  });
  return key;
}

function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** STATE_FILE holds secrets: owner-only. */
export function writeState(state: LocalState): void {
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(STATE_FILE, 0o600);
}

/**
 * Runs the gateway process until Ctrl-C: prints the banner once `/health` answers, and on
 * SIGINT/SIGTERM/SIGHUP stops the gateway, then the embedded Postgres, and exits 0. If the
 * gateway dies on its own, Postgres is stopped too and its exit code is passed on.
 */
export function superviseGateway(opts: { child: ChildProcess; setup: LocalSetup; baseUrl: string }): void {
  const { child, setup } = opts;
  let stopping = false;
  const finish = async (code: number) => {
    await setup.embedded?.stop().catch((e: unknown) => console.error(e));
    process.exit(code);
  };
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await finish(0);
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => void stop());
  child.once("exit", (code, signal) => {
    if (stopping) return;
    stopping = true;
    console.error(`switchyard: the gateway exited (${signal ?? `code ${code}`}); stopping`);
    void finish(code || 1);
  });
  const health = `${new URL(opts.baseUrl).origin}/health`;
  void (async () => {
    const deadline = Date.now() + 120_000;
    while (!stopping && Date.now() < deadline) {
      const ok = await fetch(health, { signal: AbortSignal.timeout(30_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        if (!stopping) console.log(banner(setup, opts.baseUrl));
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    if (!stopping) console.error(`switchyard: ${health} did not answer within 2 minutes`);
  })();
}

/** For a failed start: the message (and its cause's), not a stack trace, then exit 1. */
export function exitWithError(e: unknown): never {
  const message = e instanceof Error ? e.message : String(e);
  console.error(`switchyard: ${message}`);
  process.exit(1);
}
