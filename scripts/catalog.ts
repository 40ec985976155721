/**
 * `npm run catalog -- validate FILE`        check a catalog file, write nothing
 * `npm run catalog -- load FILE [--prune]`  upsert it into the database (DATABASE_URL, or the
 *                                            embedded one `npm start` created)
 *
 * Exit codes: 0 ok, 1 invalid file or failed load (nothing written), 2 bad usage.
 */
import { readFileSync } from "node:fs";
import { type Counts, type LoadReport, loadCatalog } from "../src/catalog/load.ts";
import { CatalogError, parseCatalogText } from "../src/catalog/parse.ts";
import type { Catalog } from "../src/catalog/schema.ts";
import { createDb } from "../src/db/client.ts";
import { operatorMessage } from "../src/db/errors.ts";
import { databaseUrl } from "./lib/paths.ts";

const USAGE = "usage: npm run catalog -- validate FILE\n       npm run catalog -- load FILE [--prune]";

async function main(argv: string[]): Promise<number> {
  const flags = argv.filter((a) => a.startsWith("--"));
  const [command, file, ...extra] = argv.filter((a) => !a.startsWith("--"));
  const unknownFlags = flags.filter((f) => f !== "--prune");
  if (
    !file ||
    extra.length > 0 ||
    unknownFlags.length > 0 ||
    (command !== "load" && command !== "validate") ||
    (command === "validate" && flags.length > 0)
  ) {
    console.error(USAGE);
    return 2;
  }

  let catalog: Catalog;
  try {
    catalog = parseCatalogText(readFileSync(file, "utf8"), file);
  } catch (err) {
    console.error(err instanceof CatalogError ? err.message : `${file}: ${(err as Error).message}`);
    console.error("nothing written");
    return 1;
  }
  console.log(
    `${file}: ${plural(catalog.providers.length, "provider")}, ${plural(catalog.models.length, "model")}, ` +
      `${plural(catalog.endpoints.length, "endpoint")}`,
  );
  if (command === "validate") {
    console.log("valid");
    return 0;
  }

  let url: string;
  try {
    url = databaseUrl();
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
  const db = createDb(url);
  try {
    const report = await loadCatalog(db, catalog, { prune: flags.includes("--prune") });
    printReport(report);
    return 0;
  } catch (err) {
    console.error(`${file}: load failed, nothing written: ${operatorMessage(err)}`);
    return 1;
  } finally {
    await db.$client.end();
  }
}

function printReport(report: LoadReport): void {
  const line = (kind: string, c: Counts) =>
    console.log(`${kind}: ${c.added} added, ${c.changed} changed, ${c.unchanged} unchanged`);
  line("providers", report.providers);
  line("models", report.models);
  line("endpoints", report.endpoints);
  const { providers, models, endpoints } = report.absent;
  if (providers + models + endpoints === 0) return;
  const absent = `${plural(providers, "provider")}, ${plural(models, "model")}, ${plural(endpoints, "endpoint")}`;
  console.log(
    report.pruned
      ? `pruned (not in the file): ${absent}`
      : `not in the file, left alone: ${absent} (--prune deletes them)`,
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

process.exitCode = await main(process.argv.slice(2));
