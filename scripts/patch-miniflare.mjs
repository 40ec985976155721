// postinstall: make the local Hyperdrive proxy of `wrangler dev` (miniflare) survive database
// socket errors. Upstream pipes the client and database sockets with no `error` handlers, so a
// refused or reset database connection throws in Node and kills wrangler (STACK-NOTES G1).
// Idempotent (a marker comment), and a no-op when miniflare is absent or its code has changed.
// Plain .mjs because it runs before anything else is known to work (no tsx needed).
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const file = new URL("../node_modules/miniflare/dist/src/index.js", import.meta.url);
// The socket of HyperdriveProxyController#handleConnection (the next line makes it unique).
const anchor =
  'const dbSocket = import_node_net.default.connect({ host: targetHost, port: targetPort });\n    const sslmodeRequire = sslmode === "require";';
const marker = "/* switchyard: hyperdrive proxy error handlers */";
const handlers =
  'clientSocket.on("error", () => dbSocket.destroy()); dbSocket.on("error", () => clientSocket.destroy());';
const patch = anchor.replace("\n", ` ${marker} ${handlers}\n`);

if (existsSync(file)) {
  const source = readFileSync(file, "utf8");
  if (source.includes(marker)) {
    // already patched
  } else if (source.split(anchor).length === 2) {
    writeFileSync(file, source.replace(anchor, patch));
    console.log("patched miniflare's local Hyperdrive proxy (socket error handlers, STACK-NOTES G1)");
  } else {
    console.warn("miniflare changed: Hyperdrive proxy patch not applied (see scripts/patch-miniflare.mjs)");
  }
}
