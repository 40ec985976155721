/** Every Anthropic recording must feed some test here: a new fixture without a test fails this. */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { FIXTURES_DIR } from "../../../conformance/fixtures";

const here = fileURLToPath(new URL(".", import.meta.url));
const testSources = readdirSync(here)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => readFileSync(here + f, "utf8"))
  .join("\n");

it.each(readdirSync(`${FIXTURES_DIR}anthropic`))("fixture %s is used by the Anthropic tests", (file) => {
  expect(testSources.replace(/fixture %s is used/, "")).toContain(file);
});
