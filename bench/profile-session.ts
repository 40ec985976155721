/**
 * Attributes Switchyard's CPU per request and per streamed chunk to source files and functions,
 * on plain workerd (the runtime the bench measures), reusing what the last `npm run bench` left:
 * its embedded Postgres data (catalog pointing at the mock on 127.0.0.1:18080) and its generated
 * workerd configs. Starts the bench Postgres, the mock and ONE gateway with `--inspector-addr`,
 * then for each load: warm-up, V8 CPU profile while the load runs, summary. Also counts the
 * gateway's TCP connections to Postgres after each load and after an idle pause (leak check).
 * Nothing is left running.
 *
 *   node --experimental-websocket --import tsx bench/profile-session.ts [--variant switchyard-queue|switchyard|floor]
 *        [--results bench/results/<stamp>] [--loads nonstream-c1,stream-c10,paced-c10,nonstream-c64,burst-c64]
 *        [--seconds 8]
 *
 * Writes <results>/profile/<variant>-<load>.cpuprofile and <variant>.md (the summaries).
 * Self time is attributed to the bundle module (esbuild's `// path` markers) of the frame, and
 * native frames (JSON.parse, TextEncoder, promise jobs…) are also rolled up to their nearest
 * JS caller's module, so "where" is a source file, not only a V8 builtin.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../scripts/lib/embedded-postgres.ts";
import { connectInspector } from "../scripts/lib/inspector.ts";
import { DATA_DIR, PROJECT_ROOT } from "../scripts/lib/paths.ts";
import { workerdBinary } from "../scripts/lib/workerd-config.ts";
import { option } from "./lib/args.ts";
import { moduleIndex, type Profile, summarize } from "./lib/cpuprofile.ts";
import { insertBenchKey } from "./lib/key.ts";
import { nonStreamRequest } from "./lib/request-bodies.mjs";

const BENCH_DIR = join(PROJECT_ROOT, "bench");
const variant = option("variant", "switchyard-queue");
/** The floor Worker serves OpenAI's path and takes the upstream's model name; Switchyard OpenRouter's. */
const isFloor = variant.startsWith("floor");
const seconds = Number(option("seconds", "8"));
const loads = option("loads", "nonstream-c1,stream-c10,paced-c10,nonstream-c64,burst-c64").split(",");
const resultsDir = resolve(
  option(
    "results",
    join(
      BENCH_DIR,
      "results",
      readdirSync(join(BENCH_DIR, "results"))
        .filter((d) => existsSync(join(BENCH_DIR, "results", d, "workerd", variant, "config.capnp")))
        .sort()
        .at(-1) ?? "missing",
    ),
  ),
);
const config = join(resultsDir, "workerd", variant, "config.capnp");
if (!existsSync(config)) throw new Error(`no ${config}: run npm run bench (BENCH_QUEUE_STUB=1) first`);
const configText = readFileSync(config, "utf8");
const bundleFile = resolve(dirname(config), /esModule = embed "([^"]+\.js)"/.exec(configText)?.[1] ?? "");
const gatewayPort = Number(/address = "127\.0\.0\.1:(\d+)", http/.exec(configText)?.[1]);
// The floor has no Postgres binding; the session still starts the bench's Postgres for the key.
const pgPort = Number(
  /address = "127\.0\.0\.1:(\d+)", tcp/.exec(configText)?.[1] ??
    process.env.SWITCHYARD_BENCH_PG_PORT ??
    54339,
);
const outDir = join(resultsDir, "profile");
mkdirSync(outDir, { recursive: true });
const INSPECTOR = 9230;
const MOCK_PORT = 18080;
const note = (m: string) => console.error(`profile: ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const children: ChildProcess[] = [];
function start(cmd: string, argv: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(cmd, argv, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
  child.stderr?.on("data", (d: Buffer) => {
    const s = d.toString();
    if (!/inspector|Debugger/i.test(s)) process.stderr.write(`[${argv[0]?.split("/").at(-1)}] ${s}`);
  });
  children.push(child);
  return child;
}
function run(cmd: string, argv: string[]): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", rej);
    child.on("close", () => res(out));
  });
}

/** Established TCP connections from `pid` to the Postgres port (ss -p), or null without ss. */
async function pgConnections(pid: number | undefined): Promise<number | null> {
  const out = await run("ss", ["-tnpH", "state", "established", `( dport = :${pgPort} )`]).catch(() => null);
  if (out === null) return null;
  return out.split("\n").filter((l) => l.includes(`pid=${pid},`)).length;
}

// ---- the inspector (Node 20: --experimental-websocket) ----
async function inspector(url: string) {
  const session = await connectInspector(url);
  await session.call("Profiler.enable");
  await session.call("Profiler.setSamplingInterval", { interval: 100 });
  return session;
}

// ---- loads ----
interface Load {
  client: string[];
  unit: string;
  perUnit: (r: { ok: number; frames_per_stream: number }) => number;
}
function loadFor(name: string, key: string, secs: number): Load {
  const path = isFloor ? "/v1/chat/completions" : "/api/v1/chat/completions";
  const url = `http://127.0.0.1:${gatewayPort}${path}`;
  const common = ["--json", "--url", url, "--header", `authorization: Bearer ${key}`, "--timeout", "30000"];
  const client = join(BENCH_DIR, "stream-client.mjs");
  const conc = /-c(\d+)$/.exec(name)?.[1] ?? "1";
  const bodyFile = join(outDir, "nonstream-body.json");
  writeFileSync(bodyFile, JSON.stringify(nonStreamRequest(isFloor ? "gpt-4o-mini" : "bench/gpt-4o-mini")));
  if (name.startsWith("nonstream") || name.startsWith("burst"))
    return {
      client: [
        client,
        ...common,
        "--mode",
        "json",
        "--body-file",
        bodyFile,
        "--concurrency",
        conc,
        "--duration",
        String(name.startsWith("burst") ? 2 : secs),
      ],
      unit: "request",
      perUnit: (r) => r.ok,
    };
  const model = name.startsWith("paced") ? "bench/mock-c20-d10" : "bench/mock-c50-d0";
  return {
    client: [client, ...common, "--model", model, "--concurrency", conc, "--duration", String(secs)],
    unit: "SSE frame",
    perUnit: (r) => Math.round(r.ok * r.frames_per_stream),
  };
}

async function main() {
  note(`variant ${variant}, gateway :${gatewayPort}, bundle ${bundleFile}`);
  const pg = await startEmbeddedPostgres({
    dataDir: join(DATA_DIR, "bench"),
    port: pgPort,
    password: "switchyard-bench",
    note,
  });
  try {
    const url = new URL(pg.url);
    url.pathname = "/switchyard_bench";
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    const { key } = await insertBenchKey(drizzle(sql), `profile ${new Date().toISOString()}`);
    await sql.end();

    start("taskset", ["-c", "0", process.execPath, join(BENCH_DIR, "mock-upstream.mjs"), String(MOCK_PORT)]);
    const gw = start(
      "taskset",
      ["-c", "1", workerdBinary(), "serve", config, `--inspector-addr=127.0.0.1:${INSPECTOR}`],
      { BENCH_MOCK_API_KEY: "sk-bench-mock-0123456789" },
    );
    await sleep(1500);
    const gwPid = await run("pgrep", ["-P", String(gw.pid)]).then(
      (o) => Number(o.trim().split("\n")[0]) || gw.pid,
    );
    const moduleOf = moduleIndex(readFileSync(bundleFile, "utf8"));
    const md = [
      `# CPU profiles: ${variant} on plain workerd (${new Date().toISOString()})`,
      "",
      `Bundle ${bundleFile.replace(`${PROJECT_ROOT}/`, "")}; load average at start ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}.`,
      "",
    ];
    for (const name of loads) {
      const load = loadFor(name, key, seconds);
      if (name.startsWith("burst")) {
        // The phase start the bench sees: the key entry older than 2 × KEY_TTL (10 s) when c requests arrive.
        note("burst: idling 12 s so the key entry expires");
        await sleep(12_000);
      } else {
        await run("taskset", ["-c", "0", process.execPath, ...loadFor(name, key, 2).client]);
      }
      const before = await pgConnections(gwPid);
      const ins = await inspector(`ws://127.0.0.1:${INSPECTOR}/main`);
      await ins.call("Profiler.start");
      const out = await run("taskset", ["-c", "0", process.execPath, ...load.client]);
      const result = (await ins.call("Profiler.stop")) as { profile: Profile };
      ins.close();
      const after = await pgConnections(gwPid);
      await sleep(15_000);
      const idle = await pgConnections(gwPid);
      const line = out.split("\n").find((l) => l.startsWith("STREAMJSON "));
      const r = line ? JSON.parse(line.slice(11)) : { ok: 0, errors: -1, frames_per_stream: 0 };
      writeFileSync(join(outDir, `${variant}-${name}.cpuprofile`), JSON.stringify(result.profile));
      const units = load.perUnit(r);
      note(
        `${name}: ${r.ok} ok, ${r.errors} errors, pg connections ${before} → ${after} → ${idle} (15 s idle)`,
      );
      md.push(
        `## ${name}`,
        "",
        `${r.ok} ok, ${r.errors} errors; ttfb p50 ${r.ttfb_ms?.p50?.toFixed?.(2)} ms, total p50 ${r.total_ms?.p50?.toFixed?.(2)} ms, p99 ${r.total_ms?.p99?.toFixed?.(2)} ms. Gateway TCP connections to Postgres: ${before} before, ${after} right after, ${idle} after 15 s idle.`,
        "",
        summarize(result.profile, moduleOf, units, load.unit),
      );
      writeFileSync(join(outDir, `${variant}.md`), md.join("\n"));
    }
    note(`wrote ${join(outDir, `${variant}.md`)}`);
  } finally {
    for (const c of children.reverse()) {
      if (c.exitCode === null) c.kill("SIGTERM");
    }
    await sleep(500);
    await pg.stop();
  }
}

await main();
