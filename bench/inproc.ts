/**
 * CPU per request of the chat handler, Switchyard against the floor, measured inside one workerd
 * process (bench/peers/inproc-worker.mjs): a loop of N completions per call with the upstream
 * stubbed, so no sockets, HTTP parsing or load generator share the measurement. It is the tool
 * for A/B-ing a change to the request path: the full bench's CPU per request swings ±25% between
 * runs on this 2-core machine. This one still moves with the host (a VM: CPU time, not
 * instructions), so it alternates the targets round by round and reports the minimum beside the
 * median: under additive noise the minimum is the steadier estimate. What it leaves out (workerd's HTTP
 * server and client, the same for both) is in `npm run bench`.
 *
 *   node --import tsx bench/inproc.ts [--n 4000] [--rounds 9] [--c 1]
 *   node --experimental-websocket --import tsx bench/inproc.ts --profile [--n 20000]
 *   node --experimental-websocket --import tsx bench/inproc.ts --alloc [--n 5000]   # bytes allocated per request
 *   node --import tsx bench/inproc.ts --real-upstream   # the bench's mock over real sockets, no stub
 *   node --import tsx bench/inproc.ts --real-upstream --floor-extras signal,timer   # price those on the floor
 *
 * `--profile` instead records a V8 CPU profile of switchyard's loop through workerd's inspector
 * and prints where the time goes (bench/lib/cpuprofile.ts): the handler alone, far more samples
 * per request than a profile of the full bench. `--alloc` records a sampling heap profile (objects
 * already collected included) of each target's loop and prints KiB allocated per request, by
 * module and function: what the scavenger has to go through, and — unlike CPU time on this VM —
 * the same from run to run.
 *
 * Builds the production bundle (as `npm run serve`), starts its own embedded Postgres (port
 * INPROC_PG_PORT or 54369) with the bench catalog and a key, runs workerd pinned to CPU 1, and
 * alternates floor / switchyard rounds after a warm-up. CPU is the workerd process's utime+stime
 * from the call's start until its usage writes are done (1.5 s after the call returns).
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { ensureBundle } from "../scripts/lib/bundle.ts";
import { startEmbeddedPostgres } from "../scripts/lib/embedded-postgres.ts";
import { connectInspector } from "../scripts/lib/inspector.ts";
import { ensureDatabase, migrateDatabase } from "../scripts/lib/migrate.ts";
import { DATA_DIR, PROJECT_ROOT } from "../scripts/lib/paths.ts";
import { readWranglerSettings, renderWorkerdConfig, workerdBinary } from "../scripts/lib/workerd-config.ts";
import { loadCatalog } from "../src/catalog/load.ts";
import { flag, option } from "./lib/args.ts";
import { bundleWorker } from "./lib/bundle-worker.ts";
import { BENCH_PROVIDER_SECRET, benchCatalog } from "./lib/catalog.ts";
import { moduleIndex, type Profile, summarize } from "./lib/cpuprofile.ts";
import { type SamplingHeapProfile, summarizeAllocations } from "./lib/heap-snapshot.ts";
import { insertBenchKey } from "./lib/key.ts";

const N = Number(option("n", "4000"));
const ROUNDS = Number(option("rounds", "9"));
/** Requests in flight at once inside the isolate (the full bench's c). */
const CONCURRENCY = Number(option("c", "1"));
const PG_PORT = Number(process.env.INPROC_PG_PORT ?? 54369);
const PORT = 18690;
const INSPECTOR_PORT = 9231;
const PROFILE = flag("profile");
const ALLOC = flag("alloc");
/** Calls the bench's mock over real sockets instead of the in-isolate stub. */
const REAL_UPSTREAM = flag("real-upstream");
const MOCK_PORT = 18091;
/** Switchyard's outbound extras added to the floor's handler, to price each: `signal`, `timer`. */
const FLOOR_EXTRAS = option("floor-extras", "");
const MOCK_URL = `http://127.0.0.1:${MOCK_PORT}`;
const note = (m: string) => console.error(`inproc: ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK_US = 1_000_000 / 100; // /proc/<pid>/stat counts 1/100 s (CLK_TCK)

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

async function seed(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const db = drizzle(sql);
    await loadCatalog(db, benchCatalog(MOCK_URL, ["gpt-4o-mini"], "inproc catalog"), {
      prune: true,
    });
    return (await insertBenchKey(db, "inproc")).key;
  } finally {
    await sql.end();
  }
}

const dir = join(PROJECT_ROOT, "bench", "results", "inproc");

async function writeConfig(databaseUrl: string, key: string): Promise<string> {
  const bundleDir = await ensureBundle();
  mkdirSync(dir, { recursive: true });
  await bundleWorker(join(PROJECT_ROOT, "bench", "peers", "inproc-worker.mjs"), join(dir, "inproc.js"), [
    "./index.js",
  ]);
  // The production bundle in a directory of its own: renderWorkerdConfig lists every file there.
  mkdirSync(join(dir, "bundle"), { recursive: true });
  copyFileSync(join(bundleDir, "index.js"), join(dir, "bundle", "index.js"));
  const settings = readWranglerSettings();
  const config = renderWorkerdConfig({
    configDir: dir,
    bundleDir: join(dir, "bundle"),
    listen: `127.0.0.1:${PORT}`,
    databaseUrl,
    compatibilityDate: settings.compatibilityDate,
    compatibilityFlags: settings.compatibilityFlags,
    text: { ...settings.vars, [BENCH_PROVIDER_SECRET]: "sk-inproc", INPROC_KEY: key, UPSTREAM_URL: MOCK_URL },
    fromEnvironment: [],
  }).replace("  modules = [\n", '  modules = [\n    (name = "inproc.js", esModule = embed "inproc.js"),\n');
  const file = join(dir, "config.capnp");
  writeFileSync(file, config, { mode: 0o600 });
  return file;
}

async function call(target: string, n: number): Promise<void> {
  const upstream = REAL_UPSTREAM ? "&upstream=real" : "";
  const res = await fetch(
    `http://127.0.0.1:${PORT}/${target}?n=${n}&c=${CONCURRENCY}${upstream}&floor=${FLOOR_EXTRAS}`,
  );
  const text = await res.text();
  if (!res.ok) throw new Error(`${target}: ${res.status} ${text.slice(0, 500)}`);
}

/** Profiles one switchyard call of N requests; prints the summary, keeps the .cpuprofile. */
async function profile(): Promise<void> {
  const session = await connectInspector(`ws://127.0.0.1:${INSPECTOR_PORT}/main`);
  await session.call("Profiler.enable");
  await session.call("Profiler.setSamplingInterval", { interval: 50 });
  await session.call("Profiler.start");
  await call("switchyard", N);
  await sleep(1500);
  const result = (await session.call("Profiler.stop")) as { profile: Profile };
  session.close();
  const file = join(dir, "switchyard.cpuprofile");
  writeFileSync(file, JSON.stringify(result.profile));
  const bundle = readFileSync(join(dir, "bundle", "index.js"), "utf8");
  console.log(summarize(result.profile, moduleIndex(bundle), N, "request"));
  note(`wrote ${file}`);
}

/** KiB allocated per request by each target's loop (sampling heap profile), by module and function. */
async function allocations(): Promise<void> {
  const session = await connectInspector(`ws://127.0.0.1:${INSPECTOR_PORT}/main`);
  await session.call("HeapProfiler.enable");
  const bundle = readFileSync(join(dir, "bundle", "index.js"), "utf8");
  for (const target of ["floor", "switchyard"]) {
    await session.call("HeapProfiler.startSampling", {
      samplingInterval: 256,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await call(target, N);
    await sleep(1500);
    const { profile } = (await session.call("HeapProfiler.stopSampling")) as { profile: SamplingHeapProfile };
    console.log(`\n## ${target}: allocated per request (${N} requests)\n`);
    console.log(summarizeAllocations(profile, moduleIndex(bundle), N, 25));
  }
  session.close();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const min = (xs: number[]) => Math.min(...xs);

async function main() {
  const pg = await startEmbeddedPostgres({
    dataDir: join(DATA_DIR, "inproc"),
    port: PG_PORT,
    password: "switchyard-bench",
    note,
  });
  let workerd: ReturnType<typeof spawn> | undefined;
  let mock: ReturnType<typeof spawn> | undefined;
  try {
    const url = new URL(pg.url);
    url.pathname = "/switchyard_bench";
    await ensureDatabase(url.toString());
    await migrateDatabase(url.toString());
    const config = await writeConfig(url.toString(), await seed(url.toString()));
    if (REAL_UPSTREAM) {
      mock = spawn(
        "taskset",
        ["-c", "0", process.execPath, join(PROJECT_ROOT, "bench", "mock-upstream.mjs"), String(MOCK_PORT)],
        {
          stdio: "ignore",
        },
      );
    }
    const inspector = PROFILE || ALLOC ? [`--inspector-addr=127.0.0.1:${INSPECTOR_PORT}`] : [];
    workerd = spawn("taskset", ["-c", "1", workerdBinary(), "serve", config, ...inspector], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    await sleep(1500);
    const pid = workerd.pid ?? 0; // taskset execs workerd: same process
    note(`workerd pid ${pid}; warm-up`);
    for (const target of ["floor", "switchyard", "floor", "switchyard"]) await call(target, N);
    await sleep(1500);
    if (PROFILE) return await profile();
    if (ALLOC) return await allocations();

    const per: Record<string, number[]> = { floor: [], switchyard: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of round % 2 ? ["switchyard", "floor"] : ["floor", "switchyard"]) {
        // Unmeasured first: the previous target's garbage and the collector's state are paid for
        // here, not by this target (without it, whichever target ran second looked ~30% slower).
        await call(target, Math.ceil(N / 4));
        await sleep(1500);
        const before = cpuTicks(pid);
        await call(target, N);
        await sleep(1500); // the usage outbox writes after the call
        per[target]?.push(((cpuTicks(pid) - before) * TICK_US) / N);
      }
    }
    const floor = per.floor ?? [];
    const switchyard = per.switchyard ?? [];
    const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    console.log(
      [
        `# In-process CPU per request (${N} requests × ${ROUNDS} rounds, ${CONCURRENCY} in flight, upstream ${REAL_UPSTREAM ? "the mock" : "stubbed"}, load ${load})`,
        "",
        "| target | µs per request, each round | median | min |",
        "|---|---|---:|---:|",
        `| floor (floor-js-pump's handler) | ${floor.map((v) => v.toFixed(0)).join(", ")} | ${median(floor).toFixed(1)} | ${min(floor).toFixed(1)} |`,
        `| switchyard | ${switchyard.map((v) => v.toFixed(0)).join(", ")} | ${median(switchyard).toFixed(1)} | ${min(switchyard).toFixed(1)} |`,
        "",
        `switchyard / floor: median ${(median(switchyard) / median(floor)).toFixed(2)}× (+${(median(switchyard) - median(floor)).toFixed(1)} µs), min ${(min(switchyard) / min(floor)).toFixed(2)}× (+${(min(switchyard) - min(floor)).toFixed(1)} µs)`,
      ].join("\n"),
    );
  } finally {
    workerd?.kill("SIGTERM");
    mock?.kill("SIGTERM");
    await sleep(300);
    await pg.stop();
  }
}

await main();
