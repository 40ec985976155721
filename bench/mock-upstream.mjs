#!/usr/bin/env node
// Fast OpenAI-compatible mock upstream. node:http only, no framework, precomputed buffers,
// so it is never the bottleneck of a gateway benchmark. Binds 127.0.0.1 only.
//
//   node mock-upstream.mjs [port]            (or MOCK_PORT=18080)
//
// POST */chat/completions
//   non-streaming: fixed ~1 KB chat.completion JSON (Content-Length set)
//   "stream": true: SSE — N chat.completion.chunk frames (first carries role, last carries
//   finish_reason), then one usage frame (choices: []), then `data: [DONE]`.  => N + 2 frames.
// Knobs (first match wins): request headers x-mock-chunks / x-mock-delay-ms / x-mock-latency-ms,
// body fields mock_chunks / mock_delay_ms / mock_latency_ms, or a model name containing
// "-c<N>-d<MS>" (e.g. "mock-c50-d0") — the model name survives every gateway, headers and
// unknown body fields often do not. Defaults: 50 chunks, 0 ms between chunks, 0 ms latency.
// GET /health, GET /v1/models, GET /stats (requests served).
import http from "node:http";

const PORT = Number(process.argv[2] || process.env.MOCK_PORT || 18080);
const HOST = process.env.MOCK_HOST || "127.0.0.1";
const DEFAULT_CHUNKS = Number(process.env.MOCK_CHUNKS || 50);
const DEFAULT_DELAY = Number(process.env.MOCK_DELAY_MS || 0);
const MODEL = "gpt-4o-mini-mock";
const CREATED = 1700000000;

// ---- non-streaming body: ~1 KB -------------------------------------------------------------
function buildCompletion(targetBytes = 1024) {
  const obj = {
    id: "chatcmpl-mock000000000000000000000000",
    object: "chat.completion",
    created: CREATED,
    model: MODEL,
    system_fingerprint: "fp_mock",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: { prompt_tokens: 12, completion_tokens: 120, total_tokens: 132 },
  };
  const filler = "The quick brown fox jumps over the lazy dog. ";
  const base = Buffer.byteLength(JSON.stringify(obj));
  let content = "";
  while (base + Buffer.byteLength(content) < targetBytes) content += filler;
  obj.choices[0].message.content = content.slice(0, targetBytes - base);
  return Buffer.from(JSON.stringify(obj));
}
const COMPLETION = buildCompletion(1024);

// ---- streaming frames (cached per chunk count) ---------------------------------------------
const frameCache = new Map();
function frames(n) {
  let f = frameCache.get(n);
  if (f) return f;
  const mk = (delta, finish) =>
    Buffer.from(
      "data: " +
        JSON.stringify({
          id: "chatcmpl-mock",
          object: "chat.completion.chunk",
          created: CREATED,
          model: MODEL,
          system_fingerprint: "fp_mock",
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        }) +
        "\n\n",
    );
  f = [];
  for (let i = 0; i < n; i++) {
    const delta = i === 0 ? { role: "assistant", content: "tok0 " } : { content: `tok${i} ` };
    f.push(mk(delta, i === n - 1 ? "stop" : null));
  }
  f.push(
    Buffer.from(
      "data: " +
        JSON.stringify({
          id: "chatcmpl-mock",
          object: "chat.completion.chunk",
          created: CREATED,
          model: MODEL,
          system_fingerprint: "fp_mock",
          choices: [],
          usage: { prompt_tokens: 12, completion_tokens: n, total_tokens: 12 + n },
        }) +
        "\n\n",
    ),
  );
  f.push(Buffer.from("data: [DONE]\n\n"));
  if (frameCache.size < 64) frameCache.set(n, f);
  return f;
}

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
};
const JSON_HEADERS = { "content-type": "application/json", "content-length": COMPLETION.length };
const MODEL_RE = /-c(\d+)-d(\d+)/;

let served = 0;

function knob(req, body, header, field, fallback) {
  const h = req.headers[header];
  if (h !== undefined && h !== "") return Number(h);
  if (body && body[field] !== undefined) return Number(body[field]);
  return fallback;
}

function handleChat(req, res, raw) {
  let body = null;
  try {
    body = raw.length ? JSON.parse(raw) : {};
  } catch {
    res.writeHead(400, { "content-type": "application/json" });
    res.end('{"error":{"message":"invalid JSON","type":"invalid_request_error"}}');
    return;
  }
  served++;
  const m = typeof body.model === "string" ? MODEL_RE.exec(body.model) : null;
  const chunks = Math.max(
    1,
    knob(req, body, "x-mock-chunks", "mock_chunks", m ? Number(m[1]) : DEFAULT_CHUNKS),
  );
  const delay = Math.max(
    0,
    knob(req, body, "x-mock-delay-ms", "mock_delay_ms", m ? Number(m[2]) : DEFAULT_DELAY),
  );
  const latency = Math.max(0, knob(req, body, "x-mock-latency-ms", "mock_latency_ms", 0));

  if (body.stream !== true) {
    const send = () => {
      res.writeHead(200, JSON_HEADERS);
      res.end(COMPLETION);
    };
    if (latency > 0) setTimeout(send, latency);
    else send();
    return;
  }
  const f = frames(chunks);
  const start = () => {
    res.writeHead(200, SSE_HEADERS);
    if (delay === 0) {
      for (let i = 0; i < f.length - 1; i++) res.write(f[i]);
      res.end(f[f.length - 1]);
      return;
    }
    // Paced mode: every content frame carries its send time as "@t<CLOCK_MONOTONIC ns>" inside the
    // delta text (content survives any gateway), so a client on the same machine can compute each
    // chunk's delivery latency (recv - send) and a gateway's per-chunk added latency.
    let i = 0;
    let closed = false;
    res.on("close", () => {
      closed = true;
    });
    const tick = () => {
      if (closed) return;
      if (i < chunks) {
        const delta =
          i === 0
            ? { role: "assistant", content: `tok0@t${process.hrtime.bigint()} ` }
            : { content: `tok${i}@t${process.hrtime.bigint()} ` };
        res.write(
          "data: " +
            JSON.stringify({
              id: "chatcmpl-mock",
              object: "chat.completion.chunk",
              created: CREATED,
              model: MODEL,
              system_fingerprint: "fp_mock",
              choices: [{ index: 0, delta, logprobs: null, finish_reason: i === chunks - 1 ? "stop" : null }],
            }) +
            "\n\n",
        );
        i++;
        if (i < chunks) {
          setTimeout(tick, delay);
          return;
        }
      }
      // the usage frame and [DONE] follow the last content frame at once
      res.write(f[chunks]);
      res.end(f[chunks + 1]);
    };
    tick();
  };
  if (latency > 0) setTimeout(start, latency);
  else start();
}

const server = http.createServer((req, res) => {
  const url = req.url || "/";
  if (req.method === "POST" && url.split("?")[0].endsWith("/chat/completions")) {
    const parts = [];
    req.on("data", (c) => parts.push(c));
    req.on("end", () => handleChat(req, res, parts.length === 1 ? parts[0] : Buffer.concat(parts)));
    return;
  }
  if (req.method === "GET" && (url === "/health" || url === "/")) {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
    return;
  }
  if (req.method === "GET" && url === "/stats") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ served }));
    return;
  }
  if (req.method === "GET" && url.endsWith("/models")) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        object: "list",
        data: [{ id: MODEL, object: "model", created: CREATED, owned_by: "mock" }],
      }),
    );
    return;
  }
  req.resume();
  res.writeHead(404, { "content-type": "application/json" });
  res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.maxRequestsPerSocket = 0;
server.listen(PORT, HOST, () => {
  process.stdout.write(
    `mock-upstream listening on http://${HOST}:${PORT} (completion ${COMPLETION.length} B, default ${DEFAULT_CHUNKS} chunks / ${DEFAULT_DELAY} ms)\n`,
  );
});
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
