#!/usr/bin/env node
// Side-by-side gateway overhead harness. Starts ONE mock upstream, measures it directly
// (baseline) and through every gateway in the same run, phase by phase, interleaved
// (direct, gw1, gw2, … for each phase) so machine noise hits all targets alike.
// Loopback only; every phase is bounded (<= 10 s measured). See README.md.
//
//   node run-bench.mjs --peers portkey,floor-hono,floor-raw
//   node run-bench.mjs --peers floor-hono --name ours --port 8788 \
//        --start "npx wrangler dev --port {PORT} --var UPSTREAM_URL:{MOCK_URL}" --header "authorization: Bearer sk-mock"
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measure, rssMiB, treePids } from "./lib/proc.mjs";
import { nonStreamRequest } from "./lib/request-bodies.mjs";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ args
const { values: A } = parseArgs({
  options: {
    peers: { type: "string", default: "" },
    name: { type: "string" },
    port: { type: "string" },
    url: { type: "string" },
    start: { type: "string" },
    header: { type: "string", multiple: true, default: [] },
    env: { type: "string", multiple: true, default: [] },
    cwd: { type: "string" },
    pid: { type: "string" },
    path: { type: "string", default: "/v1/chat/completions" },
    "ready-timeout": { type: "string", default: "60" },
    "gateway-json": { type: "string", multiple: true, default: [] },
    "mock-port": { type: "string", default: "18080" },
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    conc: { type: "string", default: "1,10,64" },
    "stream-conc": { type: "string", default: "10" },
    "stream-model": { type: "string", default: "mock-c50-d0" },
    "paced-model": { type: "string", default: "mock-c20-d10" },
    hold: { type: "string", default: "1000" },
    "hold-model": { type: "string", default: "mock-c20-d200" },
    phases: { type: "string", default: "nonstream,stream,paced,hold" },
    rounds: { type: "string", default: "1" },
    "model-prefix": { type: "string", default: "" }, // prepended to model names for the ad-hoc gateway only (e.g. 'bench/')
    tool: { type: "string", default: "auto" },
    out: { type: "string" },
    "no-recheck": { type: "boolean", default: false },
    "no-pin": { type: "boolean", default: false },
    "prompt-kb": { type: "string", default: "0" },
    floor: { type: "string", default: "" }, // target the goal table compares against (e.g. floor-workerd)
    "timing-samples": { type: "string", default: "200" }, // sequential requests read for Server-Timing
    help: { type: "boolean", default: false },
  },
});
if (A.help) {
  console.log(fs.readFileSync(path.join(BENCH_DIR, "README.md"), "utf8"));
  process.exit(0);
}
const DURATION = Math.min(10, Math.max(1, Math.round(Number(A.duration))));
const WARMUP = Math.max(0, Math.round(Number(A.warmup)));
const CONCS = A.conc.split(",").map(Number).filter(Boolean);
const STREAM_CONC = Number(A["stream-conc"]);
const HOLD = Number(A.hold);
const PHASES = new Set(A.phases.split(",").map((s) => s.trim()));
const ROUNDS = Math.max(1, Number(A.rounds));
const MOCK_PORT = Number(A["mock-port"]);
const MOCK_URL = `http://127.0.0.1:${MOCK_PORT}`;
const STAMP = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const OUT = path.resolve(A.out || path.join(BENCH_DIR, "results", STAMP));
fs.mkdirSync(OUT, { recursive: true });

function hasBin(b) {
  try {
    execFileSync("bash", ["-c", `command -v ${b}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
// wrk (C, µs latency) when installed; otherwise the built-in Node client (stream-client.mjs --mode json,
// µs timing, costs more client CPU). autocannon only on request: it reports whole milliseconds.
const TOOL = A.tool === "auto" ? (hasBin("wrk") ? "wrk" : "node") : A.tool;
// CPU pinning (default when >= 2 CPUs and taskset exists): mock + load generators on CPU 0,
// gateways on CPUs 1..n-1 — the gateway gets its own core(s) and cannot steal from the client.
const NCPU = os.cpus().length;
const PIN = !A["no-pin"] && NCPU >= 2 && hasBin("taskset");
const PIN_LOAD = PIN ? ["taskset", "-c", "0"] : [];
const PIN_GW = PIN ? `taskset -c 1-${NCPU - 1} ` : "";

function subst(s, t) {
  return String(s)
    .replaceAll("{PORT}", String(t.port ?? ""))
    .replaceAll("{MOCK_URL}", MOCK_URL)
    .replaceAll("{MOCK_PORT}", String(MOCK_PORT))
    .replaceAll("{BENCH_DIR}", BENCH_DIR);
}
function parseHeaders(list) {
  const h = {};
  for (const x of list) {
    const i = x.indexOf(":");
    if (i > 0) h[x.slice(0, i).trim().toLowerCase()] = x.slice(i + 1).trim();
  }
  return h;
}
function normTarget(raw, name) {
  const t = {
    name,
    kind: "gateway",
    path: "/v1/chat/completions",
    headers: {},
    env: {},
    readyTimeoutS: Number(A["ready-timeout"]),
    ...raw,
  };
  t.port = t.port != null ? Number(t.port) : undefined;
  t.url = subst(t.url || `http://127.0.0.1:${t.port}`, t);
  if (t.start) t.start = subst(t.start, t);
  for (const k of Object.keys(t.headers)) t.headers[k.toLowerCase()] = subst(t.headers[k], t);
  for (const k of Object.keys(t.env)) t.env[k] = subst(t.env[k], t);
  t.endpoint = t.url.replace(/\/$/, "") + t.path;
  return t;
}

// ------------------------------------------------------------------ targets
const presetsFile = path.join(BENCH_DIR, "peers.json");
const presets = fs.existsSync(presetsFile) ? JSON.parse(fs.readFileSync(presetsFile, "utf8")) : {};
const targets = [
  normTarget({ kind: "direct", port: MOCK_PORT, headers: { authorization: "Bearer sk-mock" } }, "direct"),
];
for (const p of A.peers
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean)) {
  if (!presets[p]) {
    console.error(
      `unknown peer preset "${p}" (have: ${Object.keys(presets)
        .filter((k) => !k.startsWith("_"))
        .join(", ")})`,
    );
    process.exit(2);
  }
  targets.push(normTarget(structuredClone(presets[p]), p));
}
for (const j of A["gateway-json"]) {
  const o = JSON.parse(j);
  targets.push(normTarget(o, o.name || `custom${targets.length}`));
}
if (A.name || A.url || A.start) {
  const env = {};
  for (const e of A.env) {
    const i = e.indexOf("=");
    env[e.slice(0, i)] = e.slice(i + 1);
  }
  targets.push(
    normTarget(
      {
        port: A.port,
        url: A.url,
        start: A.start,
        headers: parseHeaders(A.header),
        env,
        cwd: A.cwd,
        pid: A.pid ? Number(A.pid) : undefined,
        path: A.path,
        modelPrefix: A["model-prefix"],
      },
      A.name || "gateway",
    ),
  );
}
if (targets.length < 2)
  console.error(
    "note: no gateway given (--peers / --name/--start/--url); measuring the direct baseline only",
  );

// ------------------------------------------------------------------ process management
const children = [];
function portOpen(port) {
  return new Promise((res) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
    s.setTimeout(500, () => {
      s.destroy();
      res(false);
    });
  });
}
function startProc(name, cmd, env = {}, cwd = BENCH_DIR, pin = "") {
  const log = fs.openSync(path.join(OUT, `${name}.log`), "w");
  const child = spawn("bash", ["-c", `exec ${pin}${cmd}`], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", log, log],
    detached: true,
  });
  children.push(child);
  return child;
}
async function stopAll() {
  for (const c of children) {
    try {
      process.kill(-c.pid, "SIGTERM");
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && children.some((c) => c.exitCode === null && c.signalCode === null))
    await sleep(50);
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(-c.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
}
let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    await stopAll();
    process.exit(130);
  });

// --prompt-kb N pads the user message to ~N KiB (large-prompt JSON parse / copy cost); default: a small prompt.
const PROMPT_KB = Math.max(0, Number(A["prompt-kb"]) || 0);
const PAD = PROMPT_KB
  ? ` ${"lorem ipsum dolor sit amet ".repeat(Math.ceil((PROMPT_KB * 1024) / 27)).slice(0, PROMPT_KB * 1024)}`
  : "";
const NONSTREAM_BODY = JSON.stringify(nonStreamRequest("gpt-4o-mini", PAD));
const bodyFor = (t) =>
  t.modelPrefix
    ? NONSTREAM_BODY.replace('"model":"gpt-4o-mini"', `"model":"${t.modelPrefix}gpt-4o-mini"`)
    : NONSTREAM_BODY;
const streamBody = (model) =>
  JSON.stringify({
    model,
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: "user", content: "Say hello." }],
    max_tokens: 64,
  });

async function post(t, body, timeoutMs = 5000) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const r = await fetch(t.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", ...t.headers },
      body,
      signal: ac.signal,
    });
    const text = await r.text();
    return {
      status: r.status,
      text,
      ctype: r.headers.get("content-type"),
      timing: r.headers.get("server-timing"),
    };
  } finally {
    clearTimeout(timer);
  }
}
async function waitReady(t, t0) {
  const deadline = t0 + t.readyTimeoutS * 1000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const r = await post(t, bodyFor(t), 2000);
      if (r.status === 200 && JSON.parse(r.text)?.choices?.[0]?.message) {
        t.cold_server_timing = r.timing;
        return Date.now() - t0;
      }
      last = `${r.status} ${r.text.slice(0, 200)}`;
    } catch (e) {
      last = e.message;
    }
    await sleep(50);
  }
  throw new Error(`${t.name} not ready after ${t.readyTimeoutS}s: ${last}`);
}
async function sanity(t) {
  const out = {};
  const r = await post(t, bodyFor(t));
  let j = null;
  try {
    j = JSON.parse(r.text);
  } catch {
    /* not json */
  }
  out.nonstream = {
    status: r.status,
    bytes: Buffer.byteLength(r.text),
    has_choices: !!j?.choices?.[0]?.message?.content,
  };
  const s = await post(t, streamBody(`${t.modelPrefix || ""}mock-c5-d0`));
  out.stream = {
    status: s.status,
    content_type: s.ctype,
    frames: (s.text.match(/data:/g) || []).length,
    expected_frames: 7,
    done: s.text.includes("data: [DONE]"),
  };
  return out;
}

// Server-Timing of sequential warm requests (gateways that send one): database round trips the
// request itself waited for (`db;desc="N queries"`) and the gateway's own time (`gateway;dur=`).
async function probeTiming(t, n) {
  const samples = [];
  const run = async (body) => {
    const t0 = performance.now();
    const r = await fetch(t.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", ...t.headers },
      body,
    });
    const st = r.headers.get("server-timing");
    await r.text();
    if (r.status !== 200 || !st) return;
    const q = /db;desc="(\d+) queries"/.exec(st);
    const g = /gateway;dur=([\d.]+)/.exec(st);
    const ms = Math.round((performance.now() - t0) * 100) / 100;
    samples.push({ queries: q ? Number(q[1]) : null, dur: g ? Number(g[1]) : null, ms });
  };
  for (let i = 0; i < n; i++) await run(bodyFor(t));
  for (let i = 0; i < Math.ceil(n / 4); i++) await run(streamBody(`${t.modelPrefix || ""}mock-c5-d0`));
  if (!samples.length) return null;
  const qs = samples.map((s) => s.queries).filter((x) => x != null);
  const ds = samples
    .map((s) => s.dur)
    .filter((x) => x != null)
    .sort((a, b) => a - b);
  const at = (a, p) => a[Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1))];
  return {
    requests: samples.length,
    queries_total: qs.reduce((a, b) => a + b, 0),
    queries_max: qs.length ? Math.max(...qs) : null,
    requests_with_queries: qs.filter((x) => x > 0).length,
    // The counter counts loads STARTED during the request, background refreshes included; the
    // client-side time of those requests against the median tells a refresh in waitUntil (≈ median)
    // from a waited load (≈ median + 35 ms for a fresh connection). gateway;dur starts after auth,
    // so it does not show a waited key load.
    wall_ms_p50: at(
      samples.map((s) => s.ms).sort((a, b) => a - b),
      50,
    ),
    queried: samples.map((s, at) => ({ ...s, at })).filter((s) => s.queries > 0),
    queries_per_request: qs.length ? qs.reduce((a, b) => a + b, 0) / qs.length : null,
    gateway_dur_ms: ds.length ? { p50: at(ds, 50), p99: at(ds, 99), max: ds[ds.length - 1] } : null,
  };
}

// ------------------------------------------------------------------ load generators
function runCmd(cmd, args, { timeoutMs = 60000 } = {}) {
  if (PIN_LOAD.length) {
    args = [...PIN_LOAD.slice(1), cmd, ...args];
    cmd = PIN_LOAD[0];
  }
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let so = "",
      se = "";
    c.stdout.on("data", (d) => {
      so += d;
    });
    c.stderr.on("data", (d) => {
      se += d;
    });
    const timer = setTimeout(() => c.kill("SIGKILL"), timeoutMs);
    c.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: so, stderr: se });
    });
    c.on("error", reject);
  });
}
const luaStr = (s) => `[==[${s}]==]`;
function wrkScript(t) {
  const f = path.join(OUT, `wrk-${t.name}.lua`);
  const lines = [
    'wrk.method = "POST"',
    `wrk.body = ${luaStr(bodyFor(t))}`,
    'wrk.headers["Content-Type"] = "application/json"',
  ];
  for (const [k, v] of Object.entries(t.headers)) lines.push(`wrk.headers[ ${luaStr(k)} ] = ${luaStr(v)}`);
  lines.push(`done = function(s, lat, req)
  local e = s.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}\\n',
    s.requests, s.duration, s.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    lat:percentile(50), lat:percentile(90), lat:percentile(99), lat:percentile(99.9), lat.max, lat.mean))
end`);
  fs.writeFileSync(f, `${lines.join("\n")}\n`);
  return f;
}
async function loadNonStream(t, c, seconds) {
  if (TOOL === "wrk") {
    const r = await runCmd(
      "wrk",
      ["-t1", `-c${c}`, `-d${seconds}s`, "--timeout", "10s", "-s", t.wrkLua, t.endpoint],
      { timeoutMs: (seconds + 20) * 1000 },
    );
    const line = r.stdout.split("\n").find((l) => l.startsWith("WRKJSON "));
    if (!line)
      throw new Error(
        `wrk produced no result for ${t.name}: ${r.stdout.slice(-500)} ${r.stderr.slice(-500)}`,
      );
    const w = JSON.parse(line.slice(8));
    const errors = w.err_connect + w.err_read + w.err_write + w.err_status + w.err_timeout;
    return {
      requests: w.requests,
      errors,
      rps: w.requests / (w.duration_us / 1e6),
      p50_ms: w.p50_us / 1000,
      p90_ms: w.p90_us / 1000,
      p99_ms: w.p99_us / 1000,
      p999_ms: w.p999_us / 1000,
      max_ms: w.max_us / 1000,
      mean_ms: w.mean_us / 1000,
    };
  }
  if (TOOL === "node") {
    const bodyFile = path.join(OUT, `nonstream-body-${t.name}.json`);
    if (!fs.existsSync(bodyFile)) fs.writeFileSync(bodyFile, bodyFor(t));
    const args = [
      path.join(BENCH_DIR, "stream-client.mjs"),
      "--json",
      "--mode",
      "json",
      "--body-file",
      bodyFile,
      "--url",
      t.endpoint,
      "--concurrency",
      String(c),
      "--duration",
      String(seconds),
      "--timeout",
      "10000",
    ];
    for (const [k, v] of Object.entries(t.headers)) args.push("--header", `${k}: ${v}`);
    const r = await runCmd(process.execPath, args, { timeoutMs: (seconds + 30) * 1000 });
    const line = r.stdout.split("\n").find((l) => l.startsWith("STREAMJSON "));
    if (!line) throw new Error(`node client failed for ${t.name}: ${r.stderr.slice(-800)}`);
    const j = JSON.parse(line.slice(11));
    return {
      requests: j.ok,
      errors: j.errors,
      rps: j.ok / j.wall_s,
      p50_ms: j.total_ms.p50,
      p90_ms: j.total_ms.p90,
      p99_ms: j.total_ms.p99,
      p999_ms: j.total_ms.p999,
      max_ms: j.total_ms.max,
      mean_ms: j.total_ms.mean,
    };
  }
  const bin = path.join(BENCH_DIR, "node_modules", ".bin", "autocannon");
  const args = [
    "-c",
    String(c),
    "-d",
    String(seconds),
    "-m",
    "POST",
    "-b",
    bodyFor(t),
    "-H",
    "content-type=application/json",
    "-j",
  ];
  for (const [k, v] of Object.entries(t.headers)) args.push("-H", `${k}=${v}`);
  args.push(t.endpoint);
  const r = await runCmd(bin, args, { timeoutMs: (seconds + 20) * 1000 });
  const j = JSON.parse(r.stdout);
  return {
    requests: j.requests.total,
    errors: j.errors + j.timeouts + j.non2xx,
    rps: j.requests.total / j.duration,
    p50_ms: j.latency.p50,
    p90_ms: j.latency.p90,
    p99_ms: j.latency.p99,
    p999_ms: j.latency.p99_9,
    max_ms: j.latency.max,
    mean_ms: j.latency.average,
  };
}
async function loadStream(t, { conc, seconds, model, requests, timeoutMs = 30000 }) {
  const args = [
    path.join(BENCH_DIR, "stream-client.mjs"),
    "--json",
    "--url",
    t.endpoint,
    "--concurrency",
    String(conc),
    "--duration",
    String(seconds),
    "--model",
    (t.modelPrefix || "") + model,
    "--timeout",
    String(timeoutMs),
  ];
  if (requests) args.push("--requests", String(requests));
  for (const [k, v] of Object.entries(t.headers)) args.push("--header", `${k}: ${v}`);
  const r = await runCmd(process.execPath, args, { timeoutMs: (seconds + 40) * 1000 });
  const line = r.stdout.split("\n").find((l) => l.startsWith("STREAMJSON "));
  if (!line) throw new Error(`stream client failed for ${t.name}: ${r.stderr.slice(-800)}`);
  return JSON.parse(line.slice(11));
}

// ------------------------------------------------------------------ phases
const mockTarget = { pid: null };
async function measured(t, fn) {
  // measure the target's own process tree (direct => the mock) and, for gateways, the mock too
  const inner = async () => fn();
  if (t.kind === "direct") {
    const m = await measure(mockTarget.pid, inner);
    return {
      ...m.result,
      proc: {
        cpu_s: m.cpu_s,
        rss_start_mib: m.rss_start_mib,
        rss_peak_mib: m.rss_peak_mib,
        rss_end_mib: m.rss_end_mib,
      },
    };
  }
  let mockM = null;
  const m = await measure(t.pid, async () => {
    const mm = await measure(mockTarget.pid, inner);
    mockM = mm;
    return mm.result;
  });
  return {
    ...m.result,
    proc: {
      cpu_s: m.cpu_s,
      rss_start_mib: m.rss_start_mib,
      rss_peak_mib: m.rss_peak_mib,
      rss_end_mib: m.rss_end_mib,
    },
    mock_cpu_s: mockM?.cpu_s ?? null,
  };
}
function log(msg) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

async function phaseNonStream(order, c) {
  const res = {};
  for (const t of order) {
    if (WARMUP) await loadNonStream(t, c, WARMUP);
    const r = await measured(t, () => loadNonStream(t, c, DURATION));
    r.cpu_us_per_req = r.proc.cpu_s != null && r.requests ? (r.proc.cpu_s / r.requests) * 1e6 : null;
    res[t.name] = r;
    log(
      `nonstream c=${c} ${t.name}: ${r.rps.toFixed(0)} req/s p50=${r.p50_ms.toFixed(3)}ms p99=${r.p99_ms.toFixed(3)}ms cpu=${r.cpu_us_per_req?.toFixed(0)}us/req err=${r.errors}`,
    );
  }
  return res;
}
async function phaseStream(order, key, model, conc) {
  const res = {};
  for (const t of order) {
    if (WARMUP) await loadStream(t, { conc, seconds: WARMUP, model });
    const r = await measured(t, () => loadStream(t, { conc, seconds: DURATION, model }));
    const frames = r.frames_per_stream || 0;
    r.cpu_us_per_stream = r.proc.cpu_s != null && r.ok ? (r.proc.cpu_s / r.ok) * 1e6 : null;
    r.cpu_us_per_frame = r.cpu_us_per_stream != null && frames ? r.cpu_us_per_stream / frames : null;
    res[t.name] = r;
    log(
      `${key} c=${conc} ${t.name}: ${r.streams_per_s.toFixed(0)} streams/s ttfb p50=${r.ttfb_ms.p50?.toFixed(2)} p99=${r.ttfb_ms.p99?.toFixed(2)} total p50=${r.total_ms.p50?.toFixed(2)}ms frames=${frames} err=${r.errors}`,
    );
  }
  return res;
}
async function phaseHold(order) {
  const res = {};
  const m = /-c(\d+)-d(\d+)/.exec(A["hold-model"]);
  const streamMs = m ? Number(m[1]) * Number(m[2]) : 4000;
  for (const t of order) {
    const r = await measured(t, () =>
      loadStream(t, {
        conc: HOLD,
        seconds: 10,
        requests: HOLD,
        model: A["hold-model"],
        timeoutMs: streamMs + 20000,
      }),
    );
    r.held = HOLD;
    r.rss_delta_mib = r.proc.rss_peak_mib != null ? r.proc.rss_peak_mib - r.proc.rss_start_mib : null;
    r.rss_mib_per_1000_streams = r.rss_delta_mib != null ? (r.rss_delta_mib / HOLD) * 1000 : null;
    res[t.name] = r;
    log(
      `hold ${HOLD} ${t.name}: ok=${r.ok}/${r.streams} rss ${r.proc.rss_start_mib?.toFixed(1)} -> peak ${r.proc.rss_peak_mib?.toFixed(1)} MiB (+${r.rss_mib_per_1000_streams?.toFixed(1)} MiB/1000 streams) ttfb p99=${r.ttfb_ms.p99?.toFixed(1)}ms`,
    );
    await sleep(500);
  }
  return res;
}

// ------------------------------------------------------------------ derived metrics & report
function deriveNonStream(res) {
  const d = res.direct;
  for (const [name, r] of Object.entries(res)) {
    if (name === "direct") continue;
    r.vs_direct = {
      rps_ratio: r.rps / d.rps,
      p50_ratio: r.p50_ms / d.p50_ms,
      p99_ratio: r.p99_ms / d.p99_ms,
      added_p50_ms: r.p50_ms - d.p50_ms,
      added_p99_ms: r.p99_ms - d.p99_ms,
    };
  }
}
function deriveStream(res) {
  const d = res.direct;
  for (const [name, r] of Object.entries(res)) {
    if (name === "direct" || !r.ok || !d.ok) continue;
    const cl = r.chunk_latency_ms || {},
      dcl = d.chunk_latency_ms || {};
    r.vs_direct = {
      streams_ratio: r.streams_per_s / d.streams_per_s,
      added_ttfb_p50_ms: r.ttfb_ms.p50 - d.ttfb_ms.p50,
      added_ttfb_p99_ms: r.ttfb_ms.p99 - d.ttfb_ms.p99,
      added_total_p50_ms: r.total_ms.p50 - d.total_ms.p50,
      added_total_p99_ms: r.total_ms.p99 - d.total_ms.p99,
      added_chunk_lat_p50_ms: cl.n && dcl.n ? cl.p50 - dcl.p50 : null,
      added_chunk_lat_p99_ms: cl.n && dcl.n ? cl.p99 - dcl.p99 : null,
    };
  }
}
function median(xs) {
  const a = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((x, y) => x - y);
  return a.length ? a[Math.floor((a.length - 1) / 2)] : null;
}
function mergeMedian(objs) {
  if (objs.length === 1) return objs[0];
  const o0 = objs[0];
  if (typeof o0 === "number") return median(objs);
  if (o0 && typeof o0 === "object" && !Array.isArray(o0)) {
    const out = {};
    for (const k of Object.keys(o0)) out[k] = mergeMedian(objs.map((o) => o?.[k]));
    return out;
  }
  return o0;
}
// One row per target with the goal metrics (see research/performance-anchors.md).
function goals(summary, meta) {
  const cMax = Math.max(...CONCS),
    cMin = Math.min(...CONCS);
  const out = {};
  for (const t of meta.targets) {
    const n = t.name;
    const lo = summary[`nonstream_c${cMin}`]?.[n],
      hi = summary[`nonstream_c${cMax}`]?.[n];
    const fast = summary.stream?.[n],
      paced = summary.paced?.[n],
      hold = summary.hold?.[n];
    out[n] = {
      [`added_p50_ms_c${cMin}`]: lo?.vs_direct?.added_p50_ms ?? null,
      [`added_p99_ms_c${cMin}`]: lo?.vs_direct?.added_p99_ms ?? null,
      [`added_p50_ms_c${cMax}`]: hi?.vs_direct?.added_p50_ms ?? null,
      [`added_p99_ms_c${cMax}`]: hi?.vs_direct?.added_p99_ms ?? null,
      [`rps_c${cMax}`]: hi?.rps ?? null,
      [`cpu_us_per_req_c${cMax}`]: hi?.cpu_us_per_req ?? null,
      added_ttfb_p50_ms: paced?.vs_direct?.added_ttfb_p50_ms ?? null,
      added_chunk_p50_ms: paced?.vs_direct?.added_chunk_lat_p50_ms ?? null,
      added_chunk_p99_ms: paced?.vs_direct?.added_chunk_lat_p99_ms ?? null,
      cpu_us_per_frame: fast?.cpu_us_per_frame ?? null,
      mib_per_1000_streams: hold?.rss_mib_per_1000_streams ?? null,
      startup_ms: t.startup_ms ?? null,
      idle_rss_mib: t.idle_rss_mib ?? null,
    };
  }
  return out;
}
const f = (x, d = 2) => (x == null || !Number.isFinite(x) ? "–" : x.toFixed(d));
const fr = (x) => (x == null || !Number.isFinite(x) ? "–" : `${x.toFixed(2)}×`);
const fs1 = (x, d = 2) => (x == null || !Number.isFinite(x) ? "–" : `${x >= 0 ? "+" : ""}${x.toFixed(d)}`);

function report(summary, meta) {
  const L = [];
  L.push(`# Gateway overhead run ${meta.stamp}`, "");
  L.push(
    `Machine: ${meta.cpu} × ${meta.nproc}, Node ${meta.node}, load generator ${meta.tool}; loadavg before ${meta.loadavg_before.join(" ")} / after ${meta.loadavg_after?.join(" ")}.`,
  );
  L.push(
    `Request body: ${Buffer.byteLength(NONSTREAM_BODY)} B non-streaming${PROMPT_KB ? ` (--prompt-kb ${PROMPT_KB})` : ""}; response: 1024 B JSON or SSE.`,
  );
  L.push(
    `CPU pinning: ${meta.pinned ? "mock + load generators on CPU 0, gateways on the other CPU(s)" : "none"}.`,
  );
  L.push(
    `Phases: ${DURATION}s measured + ${WARMUP}s warm-up per target, interleaved direct→gateways; rounds=${ROUNDS} (median across rounds). Everything (load generator, mock, gateways) shares this machine's cores — compare ratios within this run, not absolute numbers across machines.`,
    "",
  );
  if (summary.goals) {
    const cMax = Math.max(...CONCS),
      cMin = Math.min(...CONCS);
    L.push("## Goal metrics (one line per target)", "");
    L.push(
      `| target | added p50 ms c=${cMin} | added p50 ms c=${cMax} | added p99 ms c=${cMax} | req/s c=${cMax} | CPU µs/req c=${cMax} | added TTFB p50 ms | added per-chunk p50 / p99 ms | CPU µs/SSE frame | MiB / 1000 open streams | startup ms | idle RSS MiB |`,
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const [n, g] of Object.entries(summary.goals)) {
      if (n === "direct") {
        L.push(
          `| direct (mock) | – | – | – | ${f(g[`rps_c${cMax}`], 0)} | ${f(summary[`nonstream_c${cMax}`]?.direct?.cpu_us_per_req, 0)} (mock) | – | – | ${f(g.cpu_us_per_frame, 1)} (mock) | ${f(g.mib_per_1000_streams, 1)} (mock) | – | ${f(g.idle_rss_mib, 1)} |`,
        );
        continue;
      }
      L.push(
        `| ${n} | ${fs1(g[`added_p50_ms_c${cMin}`], 3)} | ${fs1(g[`added_p50_ms_c${cMax}`], 2)} | ${fs1(g[`added_p99_ms_c${cMax}`], 2)} | ${f(g[`rps_c${cMax}`], 0)} | ${f(g[`cpu_us_per_req_c${cMax}`], 0)} | ${fs1(g.added_ttfb_p50_ms, 2)} | ${fs1(g.added_chunk_p50_ms, 3)} / ${fs1(g.added_chunk_p99_ms, 2)} | ${f(g.cpu_us_per_frame, 1)} | ${f(g.mib_per_1000_streams, 1)} | ${f(g.startup_ms, 0)} | ${f(g.idle_rss_mib, 1)} |`,
      );
    }
    L.push(
      "",
      "_Medians over rounds. Gateway req/s at the highest concurrency is the capacity of the gateway's own CPU(s) when pinned; added latency at that concurrency is mostly queueing._",
      "",
    );
  }
  L.push(
    "## Startup",
    "",
    "| target | ready after (ms) | idle RSS (MiB) | sanity non-stream | sanity stream frames |",
    "|---|---:|---:|---|---|",
  );
  for (const t of meta.targets) {
    const s = meta.sanity[t.name] || {};
    L.push(
      `| ${t.name} | ${t.kind === "direct" ? "–" : f(t.startup_ms, 0)} | ${f(t.idle_rss_mib, 1)} | ${s.nonstream ? `${s.nonstream.status}, ${s.nonstream.bytes} B${s.nonstream.has_choices ? "" : " (no choices!)"}` : "–"} | ${s.stream ? `${s.stream.status}, ${s.stream.frames}/${s.stream.expected_frames}${s.stream.done ? " [DONE]" : " (no [DONE])"}` : "–"} |`,
    );
  }
  L.push("");
  const ns = Object.entries(summary).filter(([k]) => k.startsWith("nonstream"));
  if (ns.length) {
    L.push(
      "## Non-streaming (1 KB completion)",
      "",
      "| c | target | req/s | p50 ms | p99 ms | req/s ratio | p50 ratio | p99 ratio | added p50 ms | added p99 ms | CPU µs/req (s per 1k req ×1000) | peak RSS MiB | errors |",
      "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const [k, res] of ns) {
      const c = k.split("_c")[1];
      for (const [name, r] of Object.entries(res)) {
        const v = r.vs_direct || {};
        L.push(
          `| ${c} | ${name} | ${f(r.rps, 0)} | ${f(r.p50_ms, 3)} | ${f(r.p99_ms, 3)} | ${fr(v.rps_ratio)} | ${fr(v.p50_ratio)} | ${fr(v.p99_ratio)} | ${fs1(v.added_p50_ms, 3)} | ${fs1(v.added_p99_ms, 3)} | ${f(r.cpu_us_per_req, 0)} | ${f(r.proc?.rss_peak_mib, 1)} | ${r.errors} |`,
        );
      }
    }
    L.push("", "_direct CPU = the mock's CPU per request; gateway CPU = the gateway process tree only._", "");
  }
  for (const key of ["stream", "paced"]) {
    const res = summary[key];
    if (!res) continue;
    L.push(
      `## Streaming — ${key === "stream" ? `fast (${A["stream-model"]}: back-to-back chunks)` : `paced (${A["paced-model"]})`}, c=${STREAM_CONC}`,
      "",
    );
    const paced = key === "paced";
    L.push(
      `| target | streams/s | frames | TTFB p50 | TTFB p99 | full p50 | full p99 | added TTFB p50 | added TTFB p99 | added full p50 | added full p99 |${paced ? " chunk lat p50 | chunk lat p99 | added chunk p50 | added chunk p99 |" : ""} CPU µs/stream | CPU µs/frame | errors |`,
      `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|${paced ? "---:|---:|---:|---:|" : ""}---:|---:|---:|`,
    );
    for (const [name, r] of Object.entries(res)) {
      const v = r.vs_direct || {};
      const cl = r.chunk_latency_ms || {};
      L.push(
        `| ${name} | ${f(r.streams_per_s, 0)} | ${f(r.frames_per_stream, 0)} | ${f(r.ttfb_ms?.p50, 3)} | ${f(r.ttfb_ms?.p99, 3)} | ${f(r.total_ms?.p50, 3)} | ${f(r.total_ms?.p99, 3)} | ${fs1(v.added_ttfb_p50_ms, 3)} | ${fs1(v.added_ttfb_p99_ms, 3)} | ${fs1(v.added_total_p50_ms, 3)} | ${fs1(v.added_total_p99_ms, 3)} |${paced ? ` ${f(cl.p50, 3)} | ${f(cl.p99, 3)} | ${fs1(v.added_chunk_lat_p50_ms, 3)} | ${fs1(v.added_chunk_lat_p99_ms, 3)} |` : ""} ${f(r.cpu_us_per_stream, 0)} | ${f(r.cpu_us_per_frame, 1)} | ${r.errors} |`,
      );
    }
    L.push(
      "",
      paced
        ? '_times in ms; "chunk lat" = per-chunk delivery latency (mock send stamp → client receive, same monotonic clock) over every content chunk; "added" = gateway − direct._'
        : '_times in ms; TTFB = first SSE frame; "full" = until end of body._',
      "",
    );
  }
  if (summary.hold) {
    L.push(
      `## Concurrent streams held open (${HOLD} × ${A["hold-model"]}, measured once on fresh processes before the other phases)`,
      "",
      "| target | ok/streams | RSS before MiB | RSS peak MiB | ΔRSS per 1000 streams MiB | TTFB p99 ms | CPU s |",
      "|---|---:|---:|---:|---:|---:|---:|",
    );
    for (const [name, r] of Object.entries(summary.hold)) {
      L.push(
        `| ${name} | ${r.ok}/${r.streams} | ${f(r.proc?.rss_start_mib, 1)} | ${f(r.proc?.rss_peak_mib, 1)} | ${f(r.rss_mib_per_1000_streams, 1)} | ${f(r.ttfb_ms?.p99, 1)} | ${f(r.proc?.cpu_s, 2)} |`,
      );
    }
    L.push("", "_direct row = the mock's own memory for the same streams._", "");
  }
  if (meta.hold_rounds?.length > 1 || meta.idle_rss_rounds) {
    L.push(
      "## Memory across rounds",
      "",
      "| target | idle RSS MiB: start → after each round | held-stream RSS start → peak MiB, per round |",
      "|---|---|---|",
    );
    for (const t of meta.targets) {
      const idle = (meta.idle_rss_rounds?.[t.name] ?? []).map((x) => f(x, 1)).join(" → ");
      const held = (meta.hold_rounds ?? [])
        .map((h) => (h[t.name] ? `${f(h[t.name].rss_start_mib, 1)}→${f(h[t.name].rss_peak_mib, 1)}` : "–"))
        .join(", ");
      L.push(`| ${t.name} | ${idle || "–"} | ${held || "–"} |`);
    }
    L.push("");
  }
  if (meta.timing && Object.keys(meta.timing).length) {
    L.push(
      "## Server-Timing of warm sequential requests (gateways that send it)",
      "",
      "| target | when | requests | DB queries waited for (total / max / requests with any) | gateway;dur p50 / p99 / max ms | first (cold) request |",
      "|---|---|---:|---|---|---|",
    );
    for (const [n, tm] of Object.entries(meta.timing)) {
      for (const when of ["warm_start", "warm_end"]) {
        const x = tm[when];
        if (!x) {
          L.push(`| ${n} | ${when} | – | no Server-Timing header | – | – |`);
          continue;
        }
        L.push(
          `| ${n} | ${when} | ${x.requests} | ${x.queries_total} / ${x.queries_max} / ${x.requests_with_queries} | ${x.gateway_dur_ms ? `${x.gateway_dur_ms.p50} / ${x.gateway_dur_ms.p99} / ${x.gateway_dur_ms.max}` : "–"} | ${when === "warm_start" ? `\`${tm.cold ?? "–"}\`` : ""} |`,
        );
      }
    }
    L.push("");
  }
  if (meta.recheck)
    L.push(
      `Baseline drift check (direct, c=10, start vs end of run): ${f(meta.recheck.before_rps, 0)} → ${f(meta.recheck.after_rps, 0)} req/s (${fs1(meta.recheck.drift_pct, 1)}%), p50 ${f(meta.recheck.before_p50, 3)} → ${f(meta.recheck.after_p50, 3)} ms.`,
      "",
    );
  return L.join("\n");
}

// ------------------------------------------------------------------ main
async function main() {
  const meta = {
    stamp: STAMP,
    node: process.version,
    cpu: os.cpus()[0]?.model,
    nproc: os.cpus().length,
    tool: TOOL,
    pinned: PIN,
    loadavg_before: os.loadavg().map((x) => x.toFixed(2)),
    args: A,
    targets: [],
    sanity: {},
  };
  log(`output -> ${OUT} (tool: ${TOOL})`);
  // mock
  if (await portOpen(MOCK_PORT)) throw new Error(`port ${MOCK_PORT} already in use — pick --mock-port`);
  const mock = startProc(
    "mock",
    `node ${path.join(BENCH_DIR, "mock-upstream.mjs")} ${MOCK_PORT}`,
    {},
    BENCH_DIR,
    PIN ? "taskset -c 0 " : "",
  );
  mockTarget.pid = mock.pid;
  targets[0].pid = mock.pid;
  // gateways
  for (const t of targets.slice(1)) {
    if (t.start) {
      if (t.port && (await portOpen(t.port))) throw new Error(`port ${t.port} for ${t.name} already in use`);
      const t0 = Date.now();
      const child = startProc(
        t.name,
        t.start,
        { PORT: String(t.port ?? ""), UPSTREAM_URL: MOCK_URL, MOCK_URL, ...t.env },
        t.cwd ? path.resolve(t.cwd) : BENCH_DIR,
        PIN_GW,
      );
      t.pid = child.pid;
      t.startup_ms = await waitReady(t, t0);
    } else {
      await waitReady(t, Date.now());
    }
  }
  await waitReady(targets[0], Date.now());
  await sleep(1000);
  for (const t of targets) {
    t.idle_rss_mib = t.pid ? rssMiB(treePids(t.pid)) : null;
    meta.sanity[t.name] = await sanity(t);
    if (TOOL === "wrk") t.wrkLua = wrkScript(t);
    log(
      `${t.name}: ${t.kind === "direct" ? "" : `ready in ${t.startup_ms ?? "?"} ms, `}idle RSS ${t.idle_rss_mib?.toFixed(1)} MiB, sanity ${JSON.stringify(meta.sanity[t.name])}`,
    );
  }
  meta.targets = targets.map(({ wrkLua, ...t }) => t);

  let recheckBefore = null;
  if (!A["no-recheck"] && PHASES.has("nonstream"))
    recheckBefore = await loadNonStream(targets[0], 10, Math.min(DURATION, 3));

  // Held-streams memory is measured once, FIRST, on freshly started processes: a runtime that
  // keeps its peak heap (V8, workerd) would otherwise show ~0 growth after earlier phases.
  // Later rounds hold the streams again (after the other phases) and idle RSS is read after every
  // round: a gateway that leaks per stream or per request grows from round to round.
  let hold = null;
  const holdRounds = [];
  const idleRss = Object.fromEntries(targets.map((t) => [t.name, [t.idle_rss_mib]]));
  const TIMING_N = Math.max(0, Number(A["timing-samples"]) || 0);
  meta.timing = {};
  for (const t of targets.slice(1)) {
    if (TIMING_N)
      meta.timing[t.name] = {
        cold: t.cold_server_timing ?? null,
        warm_start: await probeTiming(t, TIMING_N),
      };
  }

  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (PHASES.has("hold") && HOLD > 0) {
      const h = await phaseHold(targets);
      holdRounds.push(h);
      if (round === 0) hold = h;
    }
    // rotate gateway order each round so no gateway always runs right after the baseline
    const gws = targets.slice(1);
    const rot = gws.length ? round % gws.length : 0;
    const order = [targets[0], ...gws.slice(rot), ...gws.slice(0, rot)];
    const R = {};
    if (PHASES.has("nonstream"))
      for (const c of CONCS) {
        R[`nonstream_c${c}`] = await phaseNonStream(order, c);
        deriveNonStream(R[`nonstream_c${c}`]);
      }
    if (PHASES.has("stream")) {
      R.stream = await phaseStream(order, "stream", A["stream-model"], STREAM_CONC);
      deriveStream(R.stream);
    }
    if (PHASES.has("paced")) {
      R.paced = await phaseStream(order, "paced", A["paced-model"], STREAM_CONC);
      deriveStream(R.paced);
    }
    rounds.push(R);
    await sleep(1000);
    for (const t of targets) idleRss[t.name].push(t.pid ? rssMiB(treePids(t.pid)) : null);
    log(
      `after round ${round + 1}: idle RSS ${targets.map((t) => `${t.name} ${idleRss[t.name].at(-1)?.toFixed(1)} MiB`).join(", ")}`,
    );
  }
  meta.idle_rss_rounds = idleRss;
  meta.hold_rounds = holdRounds.map((h) =>
    Object.fromEntries(
      Object.entries(h).map(([n, r]) => [
        n,
        {
          ok: r.ok,
          streams: r.streams,
          rss_start_mib: r.proc?.rss_start_mib,
          rss_peak_mib: r.proc?.rss_peak_mib,
          mib_per_1000: r.rss_mib_per_1000_streams,
        },
      ]),
    ),
  );
  for (const t of targets.slice(1)) {
    if (TIMING_N && meta.timing[t.name]) meta.timing[t.name].warm_end = await probeTiming(t, TIMING_N);
  }
  if (recheckBefore) {
    const after = await loadNonStream(targets[0], 10, Math.min(DURATION, 3));
    meta.recheck = {
      before_rps: recheckBefore.rps,
      after_rps: after.rps,
      drift_pct: (after.rps / recheckBefore.rps - 1) * 100,
      before_p50: recheckBefore.p50_ms,
      after_p50: after.p50_ms,
    };
  }
  meta.loadavg_after = os.loadavg().map((x) => x.toFixed(2));
  const summary = mergeMedian(rounds);
  if (hold) summary.hold = hold;
  summary.goals = goals(summary, meta);
  const md = report(summary, meta);
  fs.writeFileSync(
    path.join(OUT, "results.json"),
    JSON.stringify({ meta, summary, rounds, hold, holdRounds }, null, 2),
  );
  fs.writeFileSync(path.join(OUT, "results.md"), `${md}\n`);
  console.log(md);
  log(`wrote ${path.join(OUT, "results.json")} and results.md`);
}

try {
  await main();
} catch (e) {
  console.error(e.stack || e.message);
  process.exitCode = 1;
} finally {
  await stopAll();
}
