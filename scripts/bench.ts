/**
 * `npm run bench`: Switchyard's added latency and cost against the physical floor, in one run
 * on loopback against one mock upstream (bench/README.md). Three targets, interleaved phase by
 * phase by bench/run-bench.mjs:
 *
 * - `direct`: the mock upstream itself;
 * - `floor-workerd`: a bare Hono pass-through Worker (bench/peers/floor-worker.mjs) on plain workerd;
 * - `switchyard`: the production bundle on plain workerd (`npm run serve` style), with a real
 *   Hyperdrive binding to Postgres, the default CACHE_TTL_SECONDS and a real key.
 *
 * Postgres: BENCH_DATABASE_URL when set (its database is created and migrated), else an embedded
 * Postgres of its own under DATA_DIR/bench (so the bench's connections never crowd a shared
 * server). Arguments are passed to the harness (e.g. `npm run bench -- --rounds 3`). Writes
 * bench/results/<stamp>/ (harness results + report.md with the targets) and prints report.md.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { count, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { BENCH_PROVIDER_SECRET, benchCatalog } from "../bench/lib/catalog.ts";
import { type FloorConfig, writeFloorConfig } from "../bench/lib/floor-config.ts";
import { insertBenchKey } from "../bench/lib/key.ts";
import { parseV8Flags } from "../bench/lib/v8-flags.ts";
import { type BenchInfo, targetsReport } from "../bench/targets.ts";
import { loadCatalog } from "../src/catalog/load.ts";
import * as schema from "../src/db/schema.ts";
import { ensureBundle, WRANGLER_ENV } from "./lib/bundle.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./lib/embedded-postgres.ts";
import { ensureDatabase, migrateDatabase } from "./lib/migrate.ts";
import { DATA_DIR, PROJECT_ROOT } from "./lib/paths.ts";
import { readWranglerSettings, renderWorkerdConfig, workerdBinary } from "./lib/workerd-config.ts";

const BENCH_DIR = join(PROJECT_ROOT, "bench");
const note = (message: string) => console.error(`bench: ${message}`);

const passthrough = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = passthrough.indexOf(`--${name}`);
  return i >= 0 ? passthrough[i + 1] : undefined;
};
const mockPort = Number(option("mock-port") ?? 18080);
const mockUrl = `http://127.0.0.1:${mockPort}`;
const FLOOR_PORT = Number(process.env.BENCH_FLOOR_PORT ?? 18383);
const GATEWAY_PORT = Number(process.env.BENCH_GATEWAY_PORT ?? 18484);
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const outDir = resolve(option("out") ?? join(BENCH_DIR, "results", stamp));
mkdirSync(outDir, { recursive: true });
const genDir = join(outDir, "workerd");
mkdirSync(genDir, { recursive: true, mode: 0o700 });

/** Upstream model ids the harness sends (the mock reads chunk count and pacing from the name). */
const MOCK_MODELS = ["gpt-4o-mini", "mock-c5-d0", "mock-c50-d0", "mock-c20-d10", "mock-c20-d200"];
const PROVIDER_SECRET = BENCH_PROVIDER_SECRET;
/**
 * BENCH_V8_FLAGS="--flag …": V8 flags for Switchyard's workerd instead of the ones `npm run serve`
 * gives it (SELF_HOST_V8_FLAGS; "" for V8's defaults), for GC and heap experiments. The floors
 * keep workerd's defaults.
 */
const V8_FLAGS =
  process.env.BENCH_V8_FLAGS === undefined ? undefined : parseV8Flags(process.env.BENCH_V8_FLAGS);

/**
 * Puts the bench's Postgres on CPU 0 with the mock and the load generators (run-bench.mjs pins
 * those), leaving the gateways' CPU to the gateways: in production the database is another
 * machine. Unpinned, a backend's start-up, login and usage insert ran on the gateway's core and
 * stalled its streams by tens of milliseconds — in the self-hosted variant only, the one that
 * writes during the load. New backends inherit the postmaster's affinity.
 */
function pinPostgres(pidFile: string): void {
  if (availableParallelism() < 2 || process.env.BENCH_NO_PIN) return;
  const pid = readFileSync(pidFile, "utf8").split("\n")[0]?.trim();
  const pinned = pid && spawnSync("taskset", ["-a", "-p", "-c", "0", pid], { stdio: "ignore" });
  note(
    pinned && pinned.status === 0
      ? `Postgres (pid ${pid}) pinned to CPU 0`
      : "Postgres not pinned (no taskset?)",
  );
}

async function prepareDatabase(): Promise<{ url: string; embedded?: EmbeddedPostgres }> {
  let embedded: EmbeddedPostgres | undefined;
  let base = process.env.BENCH_DATABASE_URL;
  if (!base) {
    const port = Number(process.env.SWITCHYARD_BENCH_PG_PORT ?? 54339);
    note(`starting an embedded Postgres for the bench on 127.0.0.1:${port} (${join(DATA_DIR, "bench")})`);
    embedded = await startEmbeddedPostgres({
      dataDir: join(DATA_DIR, "bench"),
      port,
      password: "switchyard-bench",
      note,
    });
    base = embedded.url;
    pinPostgres(join(DATA_DIR, "bench", "pg", "postmaster.pid"));
  }
  const url = new URL(base);
  url.pathname = "/switchyard_bench";
  await ensureDatabase(url.toString());
  await migrateDatabase(url.toString());
  return { url: url.toString(), embedded };
}

async function seed(url: string): Promise<{ key: string; hash: string }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const db = drizzle(sql);
    await loadCatalog(db, benchCatalog(mockUrl, MOCK_MODELS), { prune: true });
    return await insertBenchKey(db, `bench ${stamp}`);
  } finally {
    await sql.end();
  }
}

async function generationsOf(url: string, hash: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await drizzle(sql)
      .select({ n: count() })
      .from(schema.generations)
      .where(eq(schema.generations.keyHash, hash));
    return row?.n ?? 0;
  } finally {
    await sql.end();
  }
}

/**
 * A USAGE_QUEUE producer binding whose "broker" accepts and drops every message: the gateway as
 * on Cloudflare, where usage goes to a queue, so the request path is measured without the
 * per-request Postgres write that self-hosting without a queue does. The stub must read the
 * request body: otherwise workerd's send never settles, and every request that sent is kept
 * alive with its Postgres sockets and memory (the "queue leak" of RESULTS.md run B).
 */
function withQueueStub(config: string): string {
  const stub = `export default { async fetch(request) { await request.arrayBuffer(); return Response.json({ metadata: { metrics: { backlogCount: 0, backlogBytes: 0, oldestMessageTimestamp: 0 } } }); } };`;
  return `${config
    .replace(
      '(name = "main", worker = .gateway),',
      '(name = "main", worker = .gateway),\n    (name = "usage-stub", worker = .usageStub),',
    )
    .replace("  bindings = [\n", '  bindings = [\n    (name = "USAGE_QUEUE", queue = "usage-stub"),\n')}
const usageStub :Workerd.Worker = (
  modules = [ (name = "stub.js", esModule = ${JSON.stringify(stub)}) ],
  compatibilityDate = "2026-04-20",
);
`;
}

function gatewayConfig(
  settings: ReturnType<typeof readWranglerSettings>,
  bundleDir: string,
  databaseUrl: string,
  variant: { name: string; port: number; queueStub: boolean },
): string {
  const dir = join(genDir, variant.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, "config.capnp");
  const render = variant.queueStub ? withQueueStub : (c: string) => c;
  writeFileSync(
    file,
    render(
      renderWorkerdConfig({
        configDir: dir,
        bundleDir,
        listen: `127.0.0.1:${variant.port}`,
        databaseUrl,
        compatibilityDate: settings.compatibilityDate,
        compatibilityFlags: settings.compatibilityFlags,
        text: { ...settings.vars },
        fromEnvironment: [PROVIDER_SECRET],
        v8Flags: V8_FLAGS,
      }),
    ),
    { mode: 0o600 },
  );
  return file;
}

/** Bytes and gzip -9 bytes of every module in the bundle directory (what a deploy uploads). */
function bundleSize(dir: string): { bytes: number; gzipBytes: number; files: string[] } {
  let bytes = 0;
  let gzipBytes = 0;
  const files: string[] = [];
  for (const f of readdirSync(dir)) {
    if (!/\.(m?js|cjs|wasm)$/.test(f)) continue;
    const p = join(dir, f);
    if (!statSync(p).isFile()) continue;
    const data = readFileSync(p);
    bytes += data.length;
    gzipBytes += gzipSync(data, { level: 9 }).length;
    files.push(f);
  }
  return { bytes, gzipBytes, files };
}

function runHarness(args: string[]): Promise<number | null> {
  return new Promise((resolveExit, reject) => {
    const child = spawn(process.execPath, [join(BENCH_DIR, "run-bench.mjs"), ...args], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, ...WRANGLER_ENV },
    });
    // Ctrl-C reaches the harness too (same process group); it stops what it started.
    child.on("error", reject);
    child.on("close", resolveExit);
  });
}

/** The floor Worker for one target: bench/peers/floor-worker.mjs, native or JS stream pump. */
function floorConfig(name: string, port: number, pump: FloorConfig["pump"]): Promise<string> {
  const entry = join(BENCH_DIR, "peers", "floor-worker.mjs");
  return writeFloorConfig({ entry, dir: join(genDir, name), port, mockUrl, pump });
}

async function main(): Promise<number> {
  const settings = readWranglerSettings();
  note("building the production bundle (if the sources changed)");
  const bundleDir = await ensureBundle();
  const bundle = bundleSize(bundleDir);
  const db = await prepareDatabase();
  try {
    const { key, hash } = await seed(db.url);
    const workerd = workerdBinary();
    const floorFile = await floorConfig("floor", FLOOR_PORT, "native");
    const gatewayFile = gatewayConfig(settings, bundleDir, db.url, {
      name: "switchyard",
      port: GATEWAY_PORT,
      queueStub: false,
    });
    const floor = {
      name: "floor-workerd",
      port: FLOOR_PORT,
      start: `${workerd} serve ${floorFile}`,
      headers: { authorization: "Bearer sk-mock" },
    };
    const gateway = {
      name: "switchyard",
      port: GATEWAY_PORT,
      start: `${workerd} serve ${gatewayFile}`,
      path: "/api/v1/chat/completions",
      modelPrefix: "bench/",
      headers: { authorization: `Bearer ${key}` },
      env: { [PROVIDER_SECRET]: "sk-bench-mock-0123456789" },
      readyTimeoutS: 60,
    };
    // BENCH_QUEUE_STUB=1 adds "switchyard-queue": the same bundle with usage sent to a queue stub.
    const variants = [gateway];
    // BENCH_JS_PUMP=1 adds "floor-js-pump": the floor with stream bytes passed through JS unchanged.
    const peers = [floor];
    if (process.env.BENCH_JS_PUMP === "1") {
      const port = FLOOR_PORT + 1;
      const file = await floorConfig("floor-js-pump", port, "js");
      peers.push({ ...floor, name: "floor-js-pump", port, start: `${workerd} serve ${file}` });
    }
    // BENCH_JS_REWRITE=1 adds "floor-js-rewrite": the floor with each stream event parsed, stamped and
    // serialised again — what any Worker that stamps its chunks pays, without Switchyard's machinery.
    if (process.env.BENCH_JS_REWRITE === "1") {
      const port = FLOOR_PORT + 2;
      const file = await floorConfig("floor-js-rewrite", port, "rewrite");
      peers.push({ ...floor, name: "floor-js-rewrite", port, start: `${workerd} serve ${file}` });
    }
    if (process.env.BENCH_QUEUE_STUB === "1") {
      const port = GATEWAY_PORT + 1;
      const file = gatewayConfig(settings, bundleDir, db.url, {
        name: "switchyard-queue",
        port,
        queueStub: true,
      });
      variants.push({ ...gateway, name: "switchyard-queue", port, start: `${workerd} serve ${file}` });
    }
    if (V8_FLAGS) note(`V8 flags for switchyard: ${V8_FLAGS.join(" ") || "(V8's defaults)"}`);
    note(`bundle ${bundle.files.join(", ")}: ${(bundle.gzipBytes / 1024).toFixed(1)} KiB gzipped`);
    const code = await runHarness([
      ...peers.flatMap((p) => ["--gateway-json", JSON.stringify(p)]),
      ...variants.flatMap((v) => ["--gateway-json", JSON.stringify(v)]),
      "--floor",
      "floor-workerd",
      ...passthrough.filter((a, i) => a !== "--out" && passthrough[i - 1] !== "--out"),
      "--out",
      outDir,
    ]);
    const resultsFile = join(outDir, "results.json");
    if (code !== 0 || !existsSync(resultsFile)) {
      note(`the harness failed (exit ${code}); logs in ${outDir}`);
      return 1;
    }
    // Usage rows are written after each response (waitUntil); give the last ones a moment.
    await new Promise((r) => setTimeout(r, 2000));
    const info: BenchInfo = {
      bundle,
      generations: await generationsOf(db.url, hash),
      gatewayLog: readFileSync(join(outDir, "switchyard.log"), "utf8"),
      database: db.embedded ? "embedded Postgres (bench-only)" : "BENCH_DATABASE_URL",
    };
    const results = JSON.parse(readFileSync(resultsFile, "utf8"));
    const report = `${targetsReport(results, info)}\n${readFileSync(join(outDir, "results.md"), "utf8")}`;
    writeFileSync(join(outDir, "report.md"), report);
    console.log(report);
    note(`wrote ${join(outDir, "report.md")}`);
    return 0;
  } finally {
    await db.embedded?.stop();
  }
}

process.exitCode = await main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  return 1;
});
