// The "physical floor": the cheapest Workers-style proxy, run by plain workerd with the same
// compatibility settings as Switchyard. Per request: Hono routing, JSON.parse of the body (the
// parse any router needs), fetch() to the upstream, pipe the upstream body straight back (no
// re-serialisation of the response; SSE passes through untouched). No auth, no routing table.
// Bundled and configured by scripts/bench.ts. From the shared harness (peers/workerd/worker.mjs).
//
// With PUMP = "js" (BENCH_JS_PUMP=1, target `floor-js-pump`) the response goes through
// JavaScript instead, as in any gateway that says in its answer who served it and what it cost:
// a stream's reads are written, unchanged, into an IdentityTransformStream (what touching each
// chunk costs before parsing or rewriting anything), and a JSON body is parsed, given one field
// and serialised again (the least a gateway that rewrites the body does per request).
import { Hono } from "hono";

const app = new Hono();
app.get("/health", (c) => c.text("ok"));
app.post("/v1/chat/completions", async (c) => {
  const body = await c.req.json();
  const up = await fetch(`${c.env.UPSTREAM_URL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: c.req.header("authorization") ?? "" },
    body: JSON.stringify(body),
  });
  const headers = { "content-type": up.headers.get("content-type") ?? "application/json" };
  if (c.env.PUMP === "js" && body.stream && up.body) {
    return new Response(pumpThroughJs(up.body), { status: up.status, headers });
  }
  if (c.env.PUMP === "js" && up.ok) {
    const completion = await up.json();
    completion.provider = "floor";
    return new Response(JSON.stringify(completion), { status: up.status, headers });
  }
  return new Response(up.body, { status: up.status, headers });
});

function pumpThroughJs(upstream) {
  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  (async () => {
    const reader = upstream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) await writer.write(r.value);
    await writer.close();
  })().catch(() => {});
  return readable;
}

export default app;
