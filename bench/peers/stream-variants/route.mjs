// The floor's route (../floor-route.mjs) with a streamed request's body handed to `streamBody`:
// each module beside this one passes the upstream's SSE through a different path, so heap-probe.ts
// can price one step of Switchyard's stream path at a time (bench/RESULTS.md, "Streaming").
//
//   node --experimental-websocket --import tsx bench/heap-probe.ts --cpu --no-snapshot --streams 100 \
//     --targets bench/peers/stream-variants/js-stream.mjs,bench/peers/stream-variants/pipeline.mjs
import { floorHeaders, floorRoute as route } from "../floor-route.mjs";

/** `streamBody(upstreamBody, requestBody, request)` → the response body of a streamed request. */
export function floorRoute(streamBody) {
  return route(async (up, body, c) => {
    const headers = floorHeaders(up);
    if (!body.stream || !up.body) return new Response(up.body, { status: up.status, headers });
    return new Response(await streamBody(up.body, body, c.req.raw), { status: up.status, headers });
  });
}
