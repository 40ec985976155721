/**
 * A floor Worker (bench/peers/floor-worker.mjs, or any Worker module answering its route) bundled
 * like any Worker and configured for plain workerd with Switchyard's compatibility settings.
 * Shared by `scripts/bench.ts` and `bench/heap-probe.ts`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readWranglerSettings } from "../../scripts/lib/workerd-config.ts";
import { bundleWorker } from "./bundle-worker.ts";

export interface FloorConfig {
  /** The Worker module to bundle. */
  entry: string;
  /** Where the bundle and config.capnp are written. */
  dir: string;
  port: number;
  mockUrl: string;
  /**
   * "js": stream bytes pass through JavaScript unchanged (the floor-js-pump target); "rewrite":
   * each event is parsed, stamped and serialised again (floor-js-rewrite).
   */
  pump: "native" | "js" | "rewrite";
}

/** Bundles the Worker and writes its workerd config; returns the config's path. */
export async function writeFloorConfig(opts: FloorConfig): Promise<string> {
  const settings = readWranglerSettings();
  mkdirSync(opts.dir, { recursive: true });
  await bundleWorker(opts.entry, join(opts.dir, "worker.js"));
  const file = join(opts.dir, "config.capnp");
  writeFileSync(
    file,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .floor),
    (name = "loopback", network = (allow = ["local", "private", "public"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${opts.port}", http = (), service = "main") ],
);
const floor :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "${settings.compatibilityDate}",
  compatibilityFlags = [${settings.compatibilityFlags.map((f) => JSON.stringify(f)).join(", ")}],
  bindings = [ (name = "UPSTREAM_URL", text = "${opts.mockUrl}"), (name = "PUMP", text = "${opts.pump}") ],
  globalOutbound = "loopback",
);
`,
  );
  return file;
}
