// The upstream's bytes, unchanged, through a JS ReadableStream (floor-js-pump uses an
// IdentityTransformStream): what the response stream itself costs.
import { throughJsStream } from "../stream-paths.mjs";
import { floorRoute } from "./route.mjs";

export default floorRoute((upstream) => throughJsStream(upstream));
