/**
 * µs per op of the hot path's pure steps (usage batch serialisation, request in, completion out,
 * a streamed frame), run in workerd's own V8 with the self-hosting flags: the tool for A/B-ing a
 * change to one of them. Node's V8 is older and optimises differently (JSON.stringify's fast path
 * exists only in workerd's), so Node's timings of these steps mislead.
 *
 *   node --import tsx bench/micro.ts [--case usage-batch] [--n 20000] [--rounds 5]
 *
 * Prints each case's minimum and median over the rounds (rounds alternate the cases; under the
 * host's additive noise the minimum is the steadier estimate). workerd runs pinned to CPU 1.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../scripts/lib/paths.ts";
import { readWranglerSettings, SELF_HOST_V8_FLAGS, workerdBinary } from "../scripts/lib/workerd-config.ts";
import { option } from "./lib/args.ts";
import { bundleWorker } from "./lib/bundle-worker.ts";

const N = Number(option("n", "20000"));
const ROUNDS = Number(option("rounds", "5"));
const ONLY = option("case", "");
const PORT = 18695;
const dir = join(PROJECT_ROOT, "bench", "results", "micro");

async function start(): Promise<() => void> {
  mkdirSync(dir, { recursive: true });
  await bundleWorker(join(PROJECT_ROOT, "bench", "peers", "micro-worker.ts"), join(dir, "micro.js"));
  const { compatibilityDate, compatibilityFlags } = readWranglerSettings();
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  v8Flags = [${SELF_HOST_V8_FLAGS.map((f) => JSON.stringify(f)).join(", ")}],
  services = [(name = "micro", worker = (
    modules = [(name = "micro.js", esModule = embed "micro.js")],
    compatibilityDate = ${JSON.stringify(compatibilityDate)},
    compatibilityFlags = [${compatibilityFlags.map((f) => JSON.stringify(f)).join(", ")}],
  ))],
  sockets = [(name = "http", address = "127.0.0.1:${PORT}", http = (), service = "micro")],
);
`;
  writeFileSync(join(dir, "config.capnp"), config);
  const child = spawn("taskset", ["-c", "1", workerdBinary(), "serve", join(dir, "config.capnp")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${PORT}/`);
      return () => child.kill();
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill();
  throw new Error("workerd did not start");
}

async function run(name: string, n: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${PORT}/?case=${name}&n=${n}`);
  if (!res.ok) throw new Error(`${name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { us_per_op: number }).us_per_op;
}

const stop = await start();
try {
  const units = (await (await fetch(`http://127.0.0.1:${PORT}/`)).json()) as Record<string, string>;
  const names = Object.keys(units).filter((name) => ONLY === "" || ONLY.split(",").includes(name));
  for (const name of names) await run(name, Math.ceil(N / 4)); // warm-up: optimised code
  const samples = new Map<string, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const name of names) samples.get(name)?.push(await run(name, N));
  console.log("| case | per | min µs | median µs |\n|---|---|---:|---:|");
  for (const name of names) {
    const s = (samples.get(name) ?? []).sort((a, b) => a - b);
    console.log(
      `| ${name} | ${units[name]} | ${s[0]?.toFixed(2)} | ${s[Math.floor(s.length / 2)]?.toFixed(2)} |`,
    );
  }
} finally {
  stop();
}
