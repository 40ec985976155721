/**
 * Where Switchyard's CPU goes per request and per streamed chunk, measured in Node (not workerd)
 * so V8's `--cpu-prof` can be used: the same app (`createApp()`), the same mock upstream, a real
 * Postgres. Sequential requests, after a warm-up; prints µs per request and writes a .cpuprofile
 * (open it in Chrome DevTools › Performance, or `npx speedscope`).
 *
 *   node bench/mock-upstream.mjs 18090 &
 *   PROFILE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/switchyard_bench \
 *     npx tsx --cpu-prof --cpu-prof-dir=bench/results/profile bench/profile.ts [nonstream|stream] [n]
 *
 * Use a database of your own (never a shared server): Node keeps every client the app opens.
 * The database must hold the bench catalog pointing at the mock (a `npm run bench` with
 * BENCH_DATABASE_URL and --mock-port 18090 leaves it there), and PROFILE_KEY a key of it;
 * without PROFILE_KEY a key is created.
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { createApp } from "../src/app.ts";
import { insertBenchKey } from "./lib/key.ts";
import { nonStreamRequest } from "./lib/request-bodies.mjs";

const url = process.env.PROFILE_DATABASE_URL;
if (!url) throw new Error("PROFILE_DATABASE_URL=postgres://… (a database seeded by npm run bench)");
const mode = process.argv[2] === "stream" ? "stream" : "nonstream";
const total = Number(process.argv[3] ?? 2000);

async function key(): Promise<string> {
  if (process.env.PROFILE_KEY) return process.env.PROFILE_KEY;
  const sql = postgres(url as string, { max: 1, onnotice: () => {} });
  try {
    return (await insertBenchKey(drizzle(sql), "profile")).key;
  } finally {
    await sql.end();
  }
}

const app = createApp();
const env = {
  HYPERDRIVE: { connectionString: url },
  BENCH_MOCK_API_KEY: "sk-bench-mock-0123456789",
  CACHE_TTL_SECONDS: "15",
  // A queue that drops usage rows: in Node nothing closes the per-request postgres.js clients
  // (workerd does, at the end of each request), so writing here would pile up connections.
  USAGE_QUEUE: { sendBatch: async () => {} },
};
const pending: Promise<unknown>[] = [];
const ctx = {
  waitUntil: (p: Promise<unknown>) => void pending.push(p),
  passThroughOnException: () => {},
  props: {},
};
const bearer = await key();
const body = JSON.stringify(
  mode === "stream"
    ? {
        model: "bench/mock-c50-d0",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "Say hello." }],
        max_tokens: 64,
      }
    : nonStreamRequest("bench/gpt-4o-mini"),
);

async function once(): Promise<void> {
  const res = await app.fetch(
    new Request("http://bench/api/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
      body,
    }),
    env,
    ctx,
  );
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${res.status} ${text.slice(0, 300)}`);
  if (pending.length > 64) await Promise.all(pending.splice(0));
}

for (let i = 0; i < 200; i++) await once();
await Promise.all(pending.splice(0));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < total; i++) await once();
await Promise.all(pending.splice(0));
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
console.log(
  `${mode}: ${total} requests, ${((cpu.user + cpu.system) / total).toFixed(0)} µs CPU and ${((wall * 1000) / total).toFixed(0)} µs wall per request (Node process: app + load + mock client side)`,
);
process.exit(0);
