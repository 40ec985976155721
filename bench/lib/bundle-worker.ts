/**
 * A bench Worker module (a floor, an experiment, a harness) bundled as workerd loads it: one ES
 * module, dependencies inlined, `external` modules left as imports (the production bundle beside it).
 */
import { build } from "esbuild";

export async function bundleWorker(entry: string, outfile: string, external: string[] = []): Promise<void> {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    external,
    outfile,
    logLevel: "warning",
  });
}
