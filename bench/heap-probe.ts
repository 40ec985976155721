/**
 * What one held stream costs in memory, and where it goes: V8 heap (live objects, and growth from
 * garbage between GCs) or native (workerd's per-request state, stream pumps, socket buffers).
 * For each target on plain workerd with `--inspector-addr` — `switchyard` (the production bundle,
 * its own Postgres and key), `floor` (bench/peers/floor-worker.mjs, native pass-through),
 * `floor-js-pump` (the floor with bytes passed through JS into an IdentityTransformStream), or
 * any Worker module given by path (an experiment answering the floor's route) — after a warm-up,
 * per round:
 *
 *   - open N streams of a slow mock model (`mock-c<chunks>-d200`) and wait until each has its first
 *     byte: RSS before, peak RSS until then and over the whole round (sampled every 100 ms), V8 heap
 *     used/total (`Runtime.getHeapUsage`, no forced GC: what the bench's RSS sees), idle RSS after,
 *     CPU seconds;
 *   - in the last round only, a heap snapshot with all N open and one after they ended (each starts
 *     with a full GC; workerd does not answer `HeapProfiler.collectGarbage`): the live heap per
 *     stream, and the object groups (V8 type + constructor or function name, including workerd's
 *     own C++ objects as `native`) alive with the streams open and not after. A snapshot costs the
 *     process RSS itself, which is why earlier rounds take none and the last round's peak stops
 *     before it.
 *
 * Options: --alloc (sampling heap profile over round 1: KiB allocated per stream by source module
 * and function, collected objects included), --cpu (CPU per stream and per frame of a 5 s fast
 * stream load, c=10, afterwards), --prompt-kb N (prompts padded to N KiB: what a stream keeps of
 * its request), --v8-flags "…" (config `v8Flags` for every target), --save (keep the snapshots for
 * Chrome DevTools › Memory). `--chunks 20` is the bench's hold model; snapshots need the streams
 * still open while they are taken, hence the default 60.
 *
 * It starts its own embedded Postgres (DATA_DIR/heap-probe, port HEAP_PROBE_PG_PORT or 54359), mock
 * (port 18090), workerd ports (18590…) and inspector port (9239), so it can run beside a bench.
 * Nothing is left running.
 *
 *   node --experimental-websocket --import tsx bench/heap-probe.ts [--targets switchyard,floor,floor-js-pump]
 *        [--streams 1000] [--chunks 60] [--rounds 2] [--top 25] [--no-snapshot] [--alloc] [--cpu] …
 *
 * Prints a Markdown report, also written to bench/results/heap-probe-<stamp>/report.md.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { basename, dirname, join, resolve } from "node:path";
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
import { benchCatalog } from "./lib/catalog.ts";
import { moduleIndex } from "./lib/cpuprofile.ts";
import { writeFloorConfig } from "./lib/floor-config.ts";
import {
  diffGroups,
  type Group,
  groupSnapshot,
  type HeapSnapshot,
  type SamplingHeapProfile,
  summarizeAllocations,
} from "./lib/heap-snapshot.ts";
import { insertBenchKey } from "./lib/key.ts";
import { parseV8Flags, withV8Flags } from "./lib/v8-flags.ts";

const TARGETS = option("targets", "switchyard,floor,floor-js-pump").split(",");
const STREAMS = Number(option("streams", "1000"));
const CHUNKS = Number(option("chunks", "60"));
const TOP = Number(option("top", "25"));
const ROUNDS = Number(option("rounds", "2"));
const SNAPSHOT = !flag("no-snapshot");
const SAVE = flag("save");
/** After the rounds, CPU per stream and per frame of a fast-stream load (c=10, 50 back-to-back chunks, 5 s). */
const CPU_LOAD = flag("cpu");
/** Sampling heap profile over the first round: what the streams allocate, by module and function. */
const ALLOC = flag("alloc");
/** V8 flags for every target's workerd (config `v8Flags`), e.g. "--max-semi-space-size=1". */
const V8_FLAGS = parseV8Flags(option("v8-flags", ""));
const MODEL = `mock-c${CHUNKS}-d200`;
/** Pads each held stream's prompt to about this many KiB (what a request keeps alive while it streams). */
const PROMPT_KB = Number(option("prompt-kb", "0"));
const MOCK_PORT = 18090;
const PG_PORT = Number(process.env.HEAP_PROBE_PG_PORT ?? 54359);
const INSPECTOR = 9239;
const MOCK_KEY = "sk-bench-mock-0123456789";
const BENCH_DIR = join(PROJECT_ROOT, "bench");
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const workDir = join(BENCH_DIR, "results", `heap-probe-${stamp}`);
mkdirSync(workDir, { recursive: true, mode: 0o700 });
const note = (m: string) => console.error(`heap-probe: ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

const children: ChildProcess[] = [];
function start(cmd: string, argv: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(cmd, argv, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
  child.stderr?.on("data", (d: Buffer) => {
    const s = d.toString();
    if (!/inspector|Debugger/i.test(s)) process.stderr.write(`[${cmd.split("/").at(-1)}] ${s}`);
  });
  children.push(child);
  return child;
}

/** CPU seconds (user + system) the process has used (/proc clock ticks: USER_HZ, 100 on Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

// ---- the inspector ----
interface Inspector {
  call(method: string, params?: object): Promise<Record<string, unknown>>;
  heapUsage(): Promise<{ usedMiB: number; totalMiB: number; embedderMiB: number }>;
  /** The snapshot's JSON text. */
  snapshot(): Promise<string>;
  close(): void;
}
async function inspector(url: string): Promise<Inspector> {
  let chunks: string[] = [];
  const { call, close } = await connectInspector(url, (method, params) => {
    if (method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(String(params.chunk));
  });
  return {
    call,
    async heapUsage() {
      const r = (await call("Runtime.getHeapUsage")) as {
        usedSize: number;
        totalSize: number;
        embedderHeapUsedSize?: number;
      };
      return {
        usedMiB: r.usedSize / MiB,
        totalMiB: r.totalSize / MiB,
        embedderMiB: (r.embedderHeapUsedSize ?? 0) / MiB,
      };
    },
    async snapshot() {
      chunks = [];
      await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      const text = chunks.join("");
      chunks = [];
      return text;
    },
    close,
  };
}

// ---- held streams ----
interface Held {
  /** Resolves once every stream has its first body byte (or failed). */
  opened: Promise<void>;
  /** Resolves once every stream has ended; the number that ended with [DONE]. */
  done: Promise<number>;
}
function holdStreams(port: number, path: string, model: string, headers: Record<string, string>): Held {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const payload = JSON.stringify({
    model,
    messages: [
      { role: "user", content: `Hold this stream open. ${"lorem ipsum ".repeat((PROMPT_KB * 1024) / 12)}` },
    ],
    stream: true,
  });
  let firsts = 0;
  let openedResolve!: () => void;
  const opened = new Promise<void>((r) => {
    openedResolve = r;
  });
  const first = () => {
    if (++firsts === STREAMS) openedResolve();
  };
  const one = () =>
    new Promise<boolean>((resolve) => {
      let text = "";
      let seen = false;
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          path,
          method: "POST",
          agent,
          headers: { ...headers, "content-type": "application/json" },
        },
        (res) => {
          res.setEncoding("utf8");
          res.on("data", (d: string) => {
            if (!seen) {
              seen = true;
              first();
            }
            text = (text + d).slice(-64);
          });
          res.on("end", () => resolve(text.includes("[DONE]")));
          res.on("error", () => resolve(false));
        },
      );
      req.on("error", () => {
        if (!seen) first();
        resolve(false);
      });
      req.end(payload);
    });
  const done = Promise.all(Array.from({ length: STREAMS }, one)).then((r) => r.filter(Boolean).length);
  return { opened, done };
}

async function ready(port: number, path: string, model: string, headers: Record<string, string>) {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], stream: true }),
    })
      .then(async (r) => r.ok && (await r.text()).includes("[DONE]"))
      .catch(() => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`target on :${port} never answered`);
}

// ---- targets ----
interface Target {
  name: string;
  config: string;
  port: number;
  path: string;
  modelPrefix: string;
  headers: Record<string, string>;
}

/**
 * A floor-like Worker on plain workerd: `peers/floor-worker.mjs` (pump "native" or "js"), or any
 * Worker module given as a path (an experiment: it gets UPSTREAM_URL and answers the floor's route).
 */
async function floorTarget(
  name: string,
  port: number,
  entry: string,
  pump: "native" | "js",
): Promise<Target> {
  const config = await writeFloorConfig({
    entry,
    dir: join(workDir, basename(name)),
    port,
    mockUrl: `http://127.0.0.1:${MOCK_PORT}`,
    pump,
  });
  return {
    name,
    config,
    port,
    path: "/v1/chat/completions",
    modelPrefix: "",
    headers: { authorization: "Bearer sk-mock" },
  };
}

async function switchyardTarget(databaseUrl: string, port: number): Promise<Target> {
  const settings = readWranglerSettings();
  const bundleDir = await ensureBundle();
  const dir = join(workDir, "switchyard");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const config = join(dir, "config.capnp");
  writeFileSync(
    config,
    renderWorkerdConfig({
      configDir: dir,
      bundleDir,
      listen: `127.0.0.1:${port}`,
      databaseUrl,
      compatibilityDate: settings.compatibilityDate,
      compatibilityFlags: settings.compatibilityFlags,
      text: { ...settings.vars },
      fromEnvironment: ["BENCH_MOCK_API_KEY"],
    }),
    { mode: 0o600 },
  );
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let key: string;
  try {
    const db = drizzle(sql);
    const models = [...new Set(["gpt-4o-mini", "mock-c5-d0", "mock-c50-d0", MODEL])];
    const catalog = benchCatalog(`http://127.0.0.1:${MOCK_PORT}`, models, "heap-probe catalog");
    await loadCatalog(db, catalog, { prune: true });
    ({ key } = await insertBenchKey(db, `heap-probe ${stamp}`));
  } finally {
    await sql.end();
  }
  return {
    name: "switchyard",
    config,
    port,
    path: "/api/v1/chat/completions",
    modelPrefix: "bench/",
    headers: { authorization: `Bearer ${key}` },
  };
}

// ---- one target ----
interface Sample {
  rss: number;
  used: number;
  total: number;
  /** V8's count of the embedder's (workerd's cppgc) heap: the C++ objects behind streams, requests… */
  embedder: number;
  groups?: Map<string, Group> | undefined;
}
/**
 * With `gc`, after a full GC: workerd does not answer `HeapProfiler.collectGarbage`, but a heap
 * snapshot starts with one, so one is taken (and grouped, unless --no-snapshot).
 */
async function sample(pid: number, ins: Inspector, gc: boolean, saveAs?: string): Promise<Sample> {
  const text = gc ? await ins.snapshot() : undefined;
  if (text && SAVE && saveAs) writeFileSync(join(workDir, `${saveAs}.heapsnapshot`), text);
  const groups = text && SNAPSHOT ? groupSnapshot(JSON.parse(text) as HeapSnapshot) : undefined;
  const h = await ins.heapUsage();
  return { rss: rssMiB(pid), used: h.usedMiB, total: h.totalMiB, embedder: h.embedderMiB, groups };
}

interface Round {
  start: Sample;
  /** Peak RSS until every stream had its first byte. */
  peakOpen: number;
  /** Peak RSS over the whole round (until the streams ended); the last round stops at peakOpen. */
  peak: number;
  open: Sample;
  /** Only in the last round: the snapshot's GC would change what the next round starts from. */
  openGc: Sample | undefined;
  end: Sample;
  openMs: number;
  completed: number;
  /** CPU seconds of the process from opening the streams to their end (the last round: with its snapshot). */
  cpu: number;
  allocations?: SamplingHeapProfile | undefined;
}

async function round(t: Target, pid: number, ins: Inspector, last: boolean, alloc: boolean): Promise<Round> {
  if (alloc) {
    await ins.call("HeapProfiler.startSampling", {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const start = await sample(pid, ins, false);
  const cpuStart = cpuSeconds(pid);
  let peak = start.rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid));
  }, 100);
  const opening = Date.now();
  const held = holdStreams(t.port, t.path, `${t.modelPrefix}${MODEL}`, t.headers);
  await held.opened;
  const openMs = Date.now() - opening;
  const open = await sample(pid, ins, false);
  const peakOpen = Math.max(peak, open.rss);
  // The snapshot's own memory would count as the streams' peak: stop sampling for it.
  if (last) clearInterval(sampler);
  const openGc = last ? await sample(pid, ins, true, `${basename(t.name)}-open`) : undefined;
  const completed = await held.done;
  const cpu = cpuSeconds(pid) - cpuStart;
  const allocations = alloc
    ? ((await ins.call("HeapProfiler.stopSampling")) as { profile: SamplingHeapProfile }).profile
    : undefined;
  clearInterval(sampler);
  await sleep(3000);
  const end = await sample(pid, ins, false);
  note(
    `${t.name}: ${STREAMS} open after ${openMs} ms; rss ${start.rss.toFixed(1)} → peak ${peakOpen.toFixed(1)} (open) / ${peak.toFixed(1)} (round) → ${end.rss.toFixed(1)} MiB`,
  );
  return {
    start,
    peakOpen,
    peak: last ? peakOpen : peak,
    open,
    openGc,
    end,
    openMs,
    completed,
    cpu,
    allocations,
  };
}

/** CPU of the process per stream and per SSE frame over a 5 s fast-stream load (stream-client.mjs, c=10). */
async function fastStreamCpu(t: Target, pid: number): Promise<string> {
  const client = (seconds: number) =>
    new Promise<string>((res, rej) => {
      const argv = [join(BENCH_DIR, "stream-client.mjs"), "--url", `http://127.0.0.1:${t.port}${t.path}`];
      argv.push(
        "--model",
        `${t.modelPrefix}mock-c50-d0`,
        "--concurrency",
        "10",
        "--duration",
        String(seconds),
        "--json",
      );
      for (const [k, v] of Object.entries(t.headers)) argv.push("--header", `${k}: ${v}`);
      const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.on("error", rej);
      child.on("close", () => res(out));
    });
  await client(1);
  const before = cpuSeconds(pid);
  const out = await client(5);
  const cpu = cpuSeconds(pid) - before;
  const line = out.split("\n").find((l) => l.startsWith("STREAMJSON "));
  const r = line
    ? (JSON.parse(line.slice(11)) as { ok: number; frames_per_stream: number })
    : { ok: 0, frames_per_stream: 0 };
  const perStream = r.ok ? (cpu / r.ok) * 1e6 : Number.NaN;
  return `Fast streams (mock-c50-d0, c=10, 5 s): ${r.ok} streams, CPU ${perStream.toFixed(0)} µs per stream, ${(perStream / (r.frames_per_stream || 1)).toFixed(1)} µs per frame.`;
}

async function probe(t: Target): Promise<string[]> {
  note(
    `${t.name}: starting workerd on :${t.port}${V8_FLAGS.length ? ` with V8 flags ${V8_FLAGS.join(" ")}` : ""}`,
  );
  const gw = start(
    workerdBinary(),
    ["serve", withV8Flags(t.config, V8_FLAGS), `--inspector-addr=127.0.0.1:${INSPECTOR}`],
    {
      BENCH_MOCK_API_KEY: MOCK_KEY,
    },
  );
  try {
    await ready(t.port, t.path, `${t.modelPrefix}mock-c5-d0`, t.headers);
    const pid = gw.pid as number;
    const ins = await inspector(`ws://127.0.0.1:${INSPECTOR}/main`);
    await ins.call("HeapProfiler.enable");
    note(`${t.name}: inspector attached, warming up`);
    for (let i = 0; i < 3; i++) {
      await Promise.all(
        Array.from({ length: 20 }, () => ready(t.port, t.path, `${t.modelPrefix}mock-c5-d0`, t.headers)),
      );
    }
    await sleep(2000);
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++)
      rounds.push(await round(t, pid, ins, r === ROUNDS - 1, ALLOC && r === 0));
    const after = await sample(pid, ins, true, `${basename(t.name)}-idle`);
    ins.close();
    const cpuLoad = CPU_LOAD ? await fastStreamCpu(t, pid) : undefined;

    const mib = (x: number) => x.toFixed(1);
    const per = (a: number, b: number) => (((b - a) * 1024) / STREAMS).toFixed(1);
    const lines = [
      `## ${t.name}`,
      "",
      `${STREAMS} streams of ${MODEL}${PROMPT_KB ? ` with ${PROMPT_KB} KiB prompts` : ""} per round (RSS and heap read without forcing a GC, as the bench sees them):`,
      "",
      "| round | all open after ms | [DONE] | RSS start → peak all open → peak round → idle after, MiB | RSS per 1,000 streams (all open / round) MiB | V8 heap used start → open MiB | V8 heap total start → open MiB | CPU s |",
      "|---|---:|---:|---|---|---|---|---:|",
      ...rounds.map(
        (r, i) =>
          `| ${i + 1} | ${r.openMs} | ${r.completed} | ${mib(r.start.rss)} → ${mib(r.peakOpen)} → ${i === rounds.length - 1 ? "–" : mib(r.peak)} → ${mib(r.end.rss)} | ${mib(((r.peakOpen - r.start.rss) * 1000) / STREAMS)} / ${i === rounds.length - 1 ? "–" : mib(((r.peak - r.start.rss) * 1000) / STREAMS)} | ${mib(r.start.used)} → ${mib(r.open.used)} | ${mib(r.start.total)} → ${mib(r.open.total)} | ${r.cpu.toFixed(2)} |`,
      ),
      "",
      "The last round takes heap snapshots while the streams are open, so its round peak is not shown.",
      "",
    ];
    const held = rounds.at(-1)?.openGc;
    if (held) {
      lines.push(
        `Live per open stream (full GC with all open, minus full GC after they ended): V8 heap ${per(after.used, held.used)} KiB,` +
          ` embedder (cppgc) heap ${per(after.embedder, held.embedder)} KiB.`,
        "",
      );
    }
    if (held?.groups && after.groups) {
      lines.push(
        `Live objects per open stream, by group (same two snapshots; self sizes; native = workerd's own report of its C++ objects; top ${TOP}):`,
        "",
        diffGroups(after.groups, held.groups, STREAMS, TOP),
        "",
      );
    }
    if (cpuLoad) lines.push(cpuLoad, "");
    const allocations = rounds[0]?.allocations;
    if (allocations) {
      const bundle = readFileSync(
        resolve(
          dirname(t.config),
          /esModule = embed "([^"]+)"/.exec(readFileSync(t.config, "utf8"))?.[1] ?? "",
        ),
        "utf8",
      );
      lines.push(
        `Allocations per stream in round 1 (sampling heap profiler, every 1 KiB; top ${TOP}):`,
        "",
        summarizeAllocations(allocations, moduleIndex(bundle), STREAMS, TOP),
        "",
      );
    }
    return lines;
  } finally {
    gw.kill("SIGTERM");
    await sleep(500);
  }
}

async function main() {
  const pg = await startEmbeddedPostgres({
    dataDir: join(DATA_DIR, "heap-probe"),
    port: PG_PORT,
    password: "switchyard-bench",
    note,
  });
  const stopAll = () => {
    for (const c of children.reverse()) if (c.exitCode === null) c.kill("SIGTERM");
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      stopAll();
      void pg.stop().finally(() => process.exit(130));
    });
  }
  const report = [
    `# Heap probe ${stamp}`,
    "",
    `Load average at start: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}.`,
    "",
  ];
  try {
    const url = new URL(pg.url);
    url.pathname = "/switchyard_bench";
    await ensureDatabase(url.toString());
    await migrateDatabase(url.toString());
    start(process.execPath, [join(BENCH_DIR, "mock-upstream.mjs"), String(MOCK_PORT)]);
    const floor = join(BENCH_DIR, "peers", "floor-worker.mjs");
    for (const [i, name] of TARGETS.entries()) {
      const port = 18590 + i;
      const t =
        name === "switchyard"
          ? await switchyardTarget(url.toString(), port)
          : name === "floor" || name === "floor-js-pump"
            ? await floorTarget(name, port, floor, name === "floor" ? "native" : "js")
            : await floorTarget(name, port, resolve(name), "native");
      report.push(...(await probe(t)));
      writeFileSync(join(workDir, "report.md"), report.join("\n"));
    }
    console.log(report.join("\n"));
    note(`wrote ${join(workDir, "report.md")}`);
  } finally {
    stopAll();
    await sleep(500);
    await pg.stop();
  }
}

await main();
