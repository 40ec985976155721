/**
 * V8 flags for a bench target's workerd: written into a copy of its config (`v8Flags`), so an
 * experiment with the garbage collector or the heap needs no edit of the generated configs.
 * Shared by `scripts/bench.ts` (BENCH_V8_FLAGS) and `bench/heap-probe.ts` (--v8-flags).
 */
import { readFileSync, writeFileSync } from "node:fs";

/** "--a --b=1" → ["--a", "--b=1"]. */
export function parseV8Flags(text: string | undefined): string[] {
  return (text ?? "").split(" ").filter(Boolean);
}

/**
 * The config with `flags` instead of its own (Switchyard's carry SELF_HOST_V8_FLAGS), written
 * beside it (`*.v8flags.capnp`); the config itself without flags.
 */
export function withV8Flags(config: string, flags: readonly string[]): string {
  if (flags.length === 0) return config;
  const file = config.replace(/\.capnp$/, ".v8flags.capnp");
  const line = `  v8Flags = [${flags.map((f) => JSON.stringify(f)).join(", ")}],\n`;
  const text = readFileSync(config, "utf8")
    .replace(/^ {2}v8Flags = \[.*\],\n/m, "")
    .replace("const config :Workerd.Config = (\n", `const config :Workerd.Config = (\n${line}`);
  if (!text.includes(line)) throw new Error(`no Workerd.Config to add V8 flags to in ${config}`);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}
