// The same work as pipeline.mjs (SSE decoder, translator, stamp, encode, JS stream) in one loop,
// without chunkSource's and sseBody's promise structure: is the structure what costs?
import { openaiAdapter } from "../../../src/providers/openai";
import { chunkOf } from "../../../src/routing/respond";
import { createSseDecoder } from "../../../src/sse/decode";
import { sseFrame } from "../../../src/sse/encode";
import { jsStream } from "../stream-paths.mjs";
import { floorRoute } from "./route.mjs";
import { stamp, target } from "./target.mjs";

const encoder = new TextEncoder();

export default floorRoute((upstream, request) => {
  const { readable, controller } = jsStream();
  const translator = openaiAdapter.createStreamTransformer({ request, target });
  const decoder = createSseDecoder();
  const out = [];
  const sink = { enqueue: (chunk) => void out.push(chunk) };
  const write = () => {
    let frames = "";
    for (const chunk of out)
      if (chunk.choices.length > 0)
        frames += sseFrame(chunkOf(stamp, chunk.choices, chunk.systemFingerprint));
    out.length = 0;
    if (frames !== "") controller.enqueue(encoder.encode(frames));
  };
  (async () => {
    const reader = upstream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      for (const event of decoder.push(r.value)) translator.transform(event, sink);
      write();
    }
    translator.flush(sink);
    write();
    controller.enqueue(encoder.encode("data: [DONE]\n\n"));
    controller.close();
  })().catch(() => {});
  return readable;
});
