#!/usr/bin/env node
// Streaming (SSE) load client: closed-loop workers, each POSTs "stream": true and records
//   ttfh  – time to response headers
//   ttfb  – time to the first body byte (first SSE frame = first token for a real model)
//   total – time until the body ends
//   frames – number of `data:` frames; done – whether `data: [DONE]` arrived
// Bounded: stops issuing at --duration seconds, or after --requests in total (whichever first).
//
//   node stream-client.mjs --url http://127.0.0.1:18080/v1/chat/completions \
//        --concurrency 10 --duration 5 --model mock-c50-d0 [--header "k: v"]... [--json]
import fs from "node:fs";
import http from "node:http";
import { parseArgs } from "node:util";

export function pct(sorted, p) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
const ms = (ns) => Number(ns) / 1e6;
const TS_RE = /@t(\d{6,})/g;
let chunkLat = [];

function oneStream(url, headers, payload, agent, timeoutMs, mode = "sse") {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let ttfh = null,
      ttfb = null,
      bytes = 0,
      maxGapMs = 0,
      last = null;
    const parts = [];
    const req = http.request(
      url,
      { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(payload) } },
      (res) => {
        ttfh = process.hrtime.bigint();
        const ok = res.statusCode === 200;
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          const now = process.hrtime.bigint();
          if (ttfb === null) ttfb = now;
          if (last !== null) {
            const g = ms(now - last);
            if (g > maxGapMs) maxGapMs = g;
          }
          last = now;
          bytes += chunk.length;
          parts.push(chunk);
          // paced mock frames carry "@t<monotonic ns>" send stamps: per-chunk delivery latency
          if (chunk.includes("@t")) {
            for (const m of chunk.matchAll(TS_RE)) chunkLat.push(ms(now - BigInt(m[1])));
          }
        });
        res.on("end", () => {
          const t1 = process.hrtime.bigint();
          const text = parts.join("");
          let frames = 0;
          for (let idx = text.indexOf("data:"); idx !== -1; idx = text.indexOf("data:", idx + 5)) frames++;
          const done = mode === "json" ? text.length > 0 : text.includes("data: [DONE]");
          resolve({
            ok: ok && done,
            status: res.statusCode,
            ttfh: ms(ttfh - t0),
            ttfb: ttfb === null ? null : ms(ttfb - t0),
            total: ms(t1 - t0),
            frames,
            bytes,
            maxGapMs,
          });
        });
        res.on("error", () => resolve({ ok: false, status: res.statusCode, error: "response error" }));
      },
    );
    req.setTimeout(timeoutMs, () => {
      req.destroy(new Error("timeout"));
    });
    req.on("error", (e) => resolve({ ok: false, status: 0, error: e.message }));
    req.end(payload);
  });
}

export async function runStreams({
  url,
  headers = {},
  body,
  concurrency = 10,
  durationS = 5,
  requests = Infinity,
  timeoutMs = 30000,
  warmupS = 0,
  mode = "sse",
}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  const hdrs = {
    "content-type": "application/json",
    accept: mode === "json" ? "application/json" : "text/event-stream",
    ...headers,
  };
  if (warmupS > 0) {
    const wEnd = Date.now() + warmupS * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < wEnd) await oneStream(url, hdrs, payload, agent, timeoutMs, mode);
      }),
    );
  }
  const results = [];
  chunkLat = [];
  let issued = 0;
  const start = process.hrtime.bigint();
  const end = Date.now() + durationS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end && issued < requests) {
        issued++;
        results.push(await oneStream(url, hdrs, payload, agent, timeoutMs, mode));
      }
    }),
  );
  const wall = ms(process.hrtime.bigint() - start) / 1000;
  agent.destroy();
  const good = results.filter((r) => r.ok);
  const s = (k) =>
    good
      .map((r) => r[k])
      .filter((v) => v !== null)
      .sort((a, b) => a - b);
  const ttfb = s("ttfb"),
    total = s("total"),
    ttfh = s("ttfh"),
    gaps = s("maxGapMs");
  const frames = good.length ? good.reduce((a, r) => a + r.frames, 0) / good.length : 0;
  const mean = (a) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : null);
  return {
    streams: results.length,
    ok: good.length,
    errors: results.length - good.length,
    error_samples: results
      .filter((r) => !r.ok)
      .slice(0, 3)
      .map((r) => ({ status: r.status, error: r.error, frames: r.frames })),
    wall_s: wall,
    streams_per_s: good.length / wall,
    frames_per_stream: frames,
    ttfh_ms: { p50: pct(ttfh, 50), p99: pct(ttfh, 99) },
    ttfb_ms: { p50: pct(ttfb, 50), p90: pct(ttfb, 90), p99: pct(ttfb, 99), mean: mean(ttfb) },
    total_ms: {
      p50: pct(total, 50),
      p90: pct(total, 90),
      p99: pct(total, 99),
      p999: pct(total, 99.9),
      max: total.length ? total[total.length - 1] : null,
      mean: mean(total),
    },
    max_gap_ms: { p50: pct(gaps, 50), p99: pct(gaps, 99) },
    chunk_latency_ms: (() => {
      const c = chunkLat.slice().sort((a, b) => a - b);
      return { n: c.length, p50: pct(c, 50), p90: pct(c, 90), p99: pct(c, 99), mean: mean(c) };
    })(),
  };
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      concurrency: { type: "string", default: "10" },
      duration: { type: "string", default: "5" },
      requests: { type: "string" },
      model: { type: "string", default: "mock-c50-d0" },
      header: { type: "string", multiple: true, default: [] },
      timeout: { type: "string", default: "30000" },
      warmup: { type: "string", default: "0" },
      json: { type: "boolean", default: false },
      mode: { type: "string", default: "sse" },
      "body-file": { type: "string" },
    },
  });
  if (!values.url) {
    console.error("--url required");
    process.exit(2);
  }
  const headers = {};
  for (const h of values.header) {
    const i = h.indexOf(":");
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  // --mode json (+ --body-file) turns this into a plain closed-loop HTTP load generator with µs timing
  const body = values["body-file"]
    ? fs.readFileSync(values["body-file"], "utf8")
    : {
        model: values.model,
        stream: values.mode !== "json",
        ...(values.mode !== "json" && { stream_options: { include_usage: true } }),
        messages: [{ role: "user", content: "Say hello." }],
        max_tokens: 64,
      };
  const r = await runStreams({
    url: values.url,
    headers,
    body,
    concurrency: Number(values.concurrency),
    durationS: Number(values.duration),
    requests: values.requests ? Number(values.requests) : Infinity,
    timeoutMs: Number(values.timeout),
    warmupS: Number(values.warmup),
    mode: values.mode,
  });
  if (values.json) process.stdout.write(`STREAMJSON ${JSON.stringify(r)}\n`);
  else console.log(r);
}
