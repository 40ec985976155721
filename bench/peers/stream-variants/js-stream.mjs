// The upstream's bytes, unchanged, through a JS ReadableStream (floor-js-pump uses an
// IdentityTransformStream): what the response stream itself costs.
import { floorRoute, jsStream } from "./route.mjs";

export default floorRoute((upstream) => {
  const { readable, controller } = jsStream();
  (async () => {
    const reader = upstream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) controller.enqueue(r.value);
    controller.close();
  })().catch(() => {});
  return readable;
});
