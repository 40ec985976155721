// The bench's non-streaming chat request, one shape for every tool that sends it (run-bench.mjs,
// profile-session.ts, profile.ts, peers/inproc-worker.mjs), so their numbers describe the same work.
// Plain .mjs: run-bench.mjs runs under plain node; the types are in request-bodies.d.mts.

/** `model` as the target names it (`gpt-4o-mini` at the floor, `bench/gpt-4o-mini` at Switchyard); `pad` lengthens the prompt. */
export function nonStreamRequest(model, pad = "") {
  return {
    model,
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: `Write one sentence about latency.${pad}` },
    ],
    max_tokens: 128,
    temperature: 0,
  };
}
