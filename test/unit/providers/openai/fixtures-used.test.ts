/** Every recording of the vendors this adapter serves feeds some test here: a new one without a test fails. */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { FIXTURES_DIR } from "../../../conformance/fixtures";

const here = fileURLToPath(new URL(".", import.meta.url));
const azure = fileURLToPath(new URL("../azure/", import.meta.url));
const testSources = [here, azure]
  .flatMap((dir) => readdirSync(dir).map((f) => dir + f))
  .filter((f) => f.endsWith(".ts") && !f.endsWith("fixtures-used.test.ts"))
  .map((f) => readFileSync(f, "utf8"))
  .join("\n");

const files = ["openai", "groq", "deepseek", "mistral", "xai", "ollama", "openrouter"].flatMap((dir) =>
  readdirSync(FIXTURES_DIR + dir).map((f) => `${dir}/${f}`),
);

it.each(files)("%s is used by the OpenAI-dialect tests", (path) => {
  expect(testSources).toContain(path);
});
