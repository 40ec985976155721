// The floor's route (bench/peers/floor-worker.mjs) with the stream's body handed to `streamBody`:
// each module beside this one passes the upstream's SSE through a different path, so heap-probe.ts
// can price one step of Switchyard's stream path at a time (bench/RESULTS.md, "Streaming").
//
//   node --experimental-websocket --import tsx bench/heap-probe.ts --cpu --no-snapshot --streams 100 \
//     --targets bench/peers/stream-variants/js-stream.mjs,bench/peers/stream-variants/pipeline.mjs
import { Hono } from "hono";

/** `streamBody(upstreamBody, requestBody, request)` → the response body of a streamed request. */
export function floorRoute(streamBody) {
  const app = new Hono();
  app.post("/v1/chat/completions", async (c) => {
    const body = await c.req.json();
    const up = await fetch(`${c.env.UPSTREAM_URL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: c.req.header("authorization") ?? "" },
      body: JSON.stringify(body),
    });
    const headers = { "content-type": up.headers.get("content-type") ?? "application/json" };
    if (!body.stream || !up.body) return new Response(up.body, { status: up.status, headers });
    return new Response(await streamBody(up.body, body, c.req.raw), { status: up.status, headers });
  });
  return app;
}
