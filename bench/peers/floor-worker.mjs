// The "physical floor": the cheapest Workers-style proxy, run by plain workerd with the same
// compatibility settings as Switchyard. Per request: Hono routing, JSON.parse of the body (the
// parse any router needs), fetch() to the upstream, pipe the upstream body straight back (no
// re-serialisation of the response; SSE passes through untouched). No auth, no routing table.
// Bundled and configured by scripts/bench.ts. From the shared harness (peers/workerd/worker.mjs).
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
  return new Response(up.body, {
    status: up.status,
    headers: { "content-type": up.headers.get("content-type") ?? "application/json" },
  });
});

export default app;
