// The floor's route, shared by floor-worker.mjs and the experiments in stream-variants/: Hono
// routing, JSON.parse of the body (the parse any router needs), one fetch() to the upstream, and
// `respond(upstream, body, c)` to answer with.
import { Hono } from "hono";

export function floorRoute(respond) {
  const app = new Hono();
  app.get("/health", (c) => c.text("ok"));
  app.post("/v1/chat/completions", async (c) => {
    const body = await c.req.json();
    const up = await fetch(`${c.env.UPSTREAM_URL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: c.req.header("authorization") ?? "" },
      body: JSON.stringify(body),
    });
    return respond(up, body, c);
  });
  return app;
}

/** The response headers the floor answers with: the upstream's content type. */
export function floorHeaders(up) {
  return { "content-type": up.headers.get("content-type") ?? "application/json" };
}
