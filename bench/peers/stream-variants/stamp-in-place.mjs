// The least a stamping gateway could do per frame, into a JS stream (stream-paths.mjs,
// stampEvents): the ceiling of a fast path beside Switchyard's translating one.
import { jsStream, stampEvents } from "../stream-paths.mjs";
import { floorRoute } from "./route.mjs";
import { stamp } from "./target.mjs";

export default floorRoute((upstream) => {
  const { readable, controller } = jsStream();
  stampEvents(
    upstream,
    (bytes) => controller.enqueue(bytes),
    (chunk) => {
      chunk.id = stamp.id;
      chunk.model = stamp.model;
      chunk.provider = stamp.provider;
    },
  )
    .then(() => controller.close())
    .catch(() => {});
  return readable;
});
