// Switchyard's own stream path — chunkSource with the OpenAI adapter, then sseBody — and nothing
// else of Switchyard (no key, catalog, plan, ChatRun or usage record).
import { openaiAdapter } from "../../../src/providers/openai";
import { chunkSource } from "../../../src/routing/chunk-source";
import { sseBody } from "../../../src/routing/respond";
import { floorRoute } from "./route.mjs";
import { stamp, target, usage } from "./target.mjs";

export default floorRoute(async (upstream, request, raw) => {
  const source = chunkSource(upstream, openaiAdapter, { request, target });
  const head = [];
  for (let batch = await source.next(); batch !== null; batch = await source.next()) {
    head.push(...batch);
    if (batch.some((chunk) => chunk.choices.length > 0)) break;
  }
  const served = { attempt: {}, log: [], sentAt: 0, firstByteAt: 0, head, rest: source, abort: () => {} };
  return sseBody({
    served,
    stamp: () => stamp,
    unservedStamp: stamp,
    finish: () => usage,
    keepAliveMs: 5_000,
    clientSignal: raw.signal,
  });
});
