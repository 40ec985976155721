// In-process A/B harness for CPU per request (bench/inproc.ts): one request to this Worker runs
// N chat completions through a handler inside the same isolate, with `fetch` replaced by a stub
// that answers at once with a recorded-shape OpenAI completion. No sockets, no load generator, no
// HTTP parsing: what is measured is the handler's own work in workerd — JS, the runtime APIs it
// calls, and the garbage it leaves — which the full bench cannot separate from the noise of two
// shared cores. With `?upstream=real` the stub is left out and both go to the bench's mock.
//
//   GET /switchyard?n=5000   the production bundle's fetch entry (`./index.js`), a real key, the
//                            real catalog and usage outbox (Postgres through the Hyperdrive binding)
//   GET /floor?n=5000        the bench floor's handler with floor-js-pump's non-streaming rewrite:
//                            Hono route, parse the body, fetch, parse, stamp one field, serialise
import { Hono } from "hono";
import { nonStreamRequest } from "../lib/request-bodies.mjs";
import gateway from "./index.js";

const CONTENT = "Latency is the time between asking and hearing back. ".repeat(14);
const COMPLETION = JSON.stringify({
  id: "chatcmpl-inproc0123456789",
  object: "chat.completion",
  created: 1764900000,
  model: "gpt-4o-mini-2024-07-18",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: CONTENT, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: {
    prompt_tokens: 24,
    completion_tokens: 180,
    total_tokens: 204,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  },
  service_tier: "default",
  system_fingerprint: "fp_inproc",
});

const BODY = JSON.stringify(nonStreamRequest("bench/gpt-4o-mini"));

const stubFetch = async () =>
  new Response(COMPLETION, { status: 200, headers: { "content-type": "application/json" } });

/** Set per call from `?floor=`: "signal" (an AbortSignal on the fetch), "timer" (a first-byte timer). */
let floorExtras = "";

const floor = new Hono();
floor.post("/v1/chat/completions", async (c) => {
  const body = await c.req.json();
  // Switchyard's outbound extras, one at a time, to price them on the floor (`?floor=signal,timer`).
  const controller = floorExtras.includes("signal") ? new AbortController() : undefined;
  const timer = floorExtras.includes("timer") ? setTimeout(() => controller?.abort(), 60000) : undefined;
  const up = await fetch(`${c.env.UPSTREAM_URL ?? "http://upstream"}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: c.req.header("authorization") ?? "" },
    body: JSON.stringify(body),
    ...(controller ? { signal: controller.signal } : {}),
  });
  if (timer) clearTimeout(timer);
  const completion = await up.json();
  completion.provider = "floor";
  return new Response(JSON.stringify(completion), {
    status: up.status,
    headers: { "content-type": up.headers.get("content-type") ?? "application/json" },
  });
});

const BODY_LENGTH = String(new TextEncoder().encode(BODY).byteLength);

/** As an HTTP client sends it: with its content-length (without one the gateway reads the body itself). */
function request(path, key) {
  return new Request(`http://gateway${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      "content-length": BODY_LENGTH,
    },
    body: BODY,
  });
}

export default {
  async fetch(req, env, ctx) {
    const url = new URL(req.url);
    const n = Number(url.searchParams.get("n") ?? "1000");
    // Requests in flight at once (each of `concurrency` loops runs n / concurrency in a row).
    const concurrency = Number(url.searchParams.get("c") ?? "1");
    const target = url.pathname.slice(1);
    if (target !== "switchyard" && target !== "floor") return new Response("no such target", { status: 404 });
    // `?upstream=real`: the requests go to the bench's mock over a real socket (UPSTREAM_URL).
    const stubbed = url.searchParams.get("upstream") !== "real";
    floorExtras = url.searchParams.get("floor") ?? "";
    const real = globalThis.fetch;
    if (stubbed) globalThis.fetch = stubFetch;
    const one = async () => {
      const res =
        target === "floor"
          ? await floor.fetch(request("/v1/chat/completions", env.INPROC_KEY), env, ctx)
          : await gateway.fetch(request("/api/v1/chat/completions", env.INPROC_KEY), env, ctx);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${res.status} ${text}`);
    };
    const loop = async (count) => {
      for (let i = 0; i < count; i++) await one();
    };
    try {
      await Promise.all(Array.from({ length: concurrency }, () => loop(Math.ceil(n / concurrency))));
    } catch (error) {
      return new Response(String(error), { status: 500 });
    } finally {
      globalThis.fetch = real;
    }
    return new Response(`ok ${n}`);
  },
};
