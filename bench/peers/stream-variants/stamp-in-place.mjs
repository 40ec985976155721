// The least a stamping gateway could do per frame, into a JS stream: split events on blank
// lines, JSON.parse each, overwrite id/model/provider in place, serialise, encode. No SSE edge
// cases, no translation, no usage: the ceiling of a fast path beside Switchyard's translating one.
import { floorRoute, jsStream } from "./route.mjs";

const ID = "gen-1765000000-abcdefghijklmnopqrst";

export default floorRoute((upstream) => {
  const { readable, controller } = jsStream();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  (async () => {
    const reader = upstream.getReader();
    let carry = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      carry += decoder.decode(r.value, { stream: true });
      let out = "";
      for (let end = carry.indexOf("\n\n"); end !== -1; end = carry.indexOf("\n\n")) {
        const event = carry.slice(0, end);
        carry = carry.slice(end + 2);
        if (event.startsWith("data: {")) {
          const chunk = JSON.parse(event.slice(6));
          chunk.id = ID;
          chunk.model = "bench/m";
          chunk.provider = "Bench";
          out += `data: ${JSON.stringify(chunk)}\n\n`;
        } else out += `${event}\n\n`;
      }
      if (out !== "") controller.enqueue(encoder.encode(out));
    }
    controller.close();
  })().catch(() => {});
  return readable;
});
