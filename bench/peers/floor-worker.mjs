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
//
// With PUMP = "rewrite" (BENCH_JS_REWRITE=1, target `floor-js-rewrite`) a stream is also
// rewritten, with no more than a gateway that stamps its chunks must do: each event split off,
// JSON.parse'd, given one field, JSON.stringify'd and encoded, into the same IdentityTransformStream.
// No SSE edge cases (CRLF, multi-line data), no translation, no usage: a floor, not a gateway.
import { floorHeaders, floorRoute } from "./floor-route.mjs";
import { stampEvents, throughIdentityStream } from "./stream-paths.mjs";

const app = floorRoute(async (up, body, c) => {
  const headers = floorHeaders(up);
  if (c.env.PUMP === "js" && body.stream && up.body) {
    return new Response(throughIdentityStream(up.body), { status: up.status, headers });
  }
  if (c.env.PUMP === "rewrite" && body.stream && up.body) {
    return new Response(rewriteThroughJs(up.body), { status: up.status, headers });
  }
  if (c.env.PUMP !== "native" && up.ok) {
    const completion = await up.json();
    completion.provider = "floor";
    return new Response(JSON.stringify(completion), { status: up.status, headers });
  }
  return new Response(up.body, { status: up.status, headers });
});

/** The rewrite into an IdentityTransformStream, as floor-js-pump's bytes go. */
function rewriteThroughJs(upstream) {
  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  stampEvents(
    upstream,
    (bytes) => writer.write(bytes),
    (chunk) => {
      chunk.provider = "floor";
    },
  )
    .then(() => writer.close())
    .catch(() => {});
  return readable;
}

export default app;
