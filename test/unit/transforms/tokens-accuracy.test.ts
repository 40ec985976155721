/**
 * How close the fast estimator (src/transforms/tokens.ts) comes to the real o200k_base
 * tokenizer on varied real text. The estimator must err high: a prompt it says fits must
 * fit. Bounds per category: never more than 2% under, at most 20% over.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encode } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { countTextTokens } from "../../../src/transforms/tokens.ts";
import {
  ARABIC,
  CHINESE,
  EUROPEAN,
  GREEK,
  HINDI,
  JAPANESE,
  KOREAN,
  proseOf,
  REPO_DIR,
  RUSSIAN,
  readTree,
  SHARED_DIR,
} from "./corpus.ts";

const NM = join(REPO_DIR, "node_modules");
const read = (path: string) => readFileSync(path, "utf8");

/** A deterministic mix of integers, decimals, dates and phone-like numbers. */
function numbers(): string {
  const out: string[] = [];
  for (let i = 0; i < 3000; i++) out.push(String((i * 7919) % 100_003), i % 5 ? " " : "\n");
  for (let i = 0; i < 500; i++) out.push((i * Math.PI).toFixed(4), ", ");
  for (let i = 0; i < 300; i++) out.push(`2024-${(i % 12) + 1}-${(i % 28) + 1} +1 555 01${i % 100}\n`);
  return out.join("");
}

/** Deeply indented, double-spaced, tab-separated code: the worst case for space handling. */
function whitespaceHeavy(): string {
  return readTree(join(NM, "hono/dist/types"), [".d.ts"], 60_000)
    .replace(/^/gm, "        ")
    .replace(/ /g, "  ")
    .replace(/\n/g, "\n\n\t");
}

const CATEGORIES: [name: string, text: () => string][] = [
  [
    "English prose (API.md, STYLE.md, Apache licence)",
    () =>
      proseOf(read(join(SHARED_DIR, "API.md"))) +
      proseOf(read(join(SHARED_DIR, "STYLE.md"))) +
      read(join(NM, "typescript/LICENSE.txt")),
  ],
  [
    "Markdown READMEs (postgres, fast-check)",
    () => read(join(NM, "postgres/README.md")) + read(join(NM, "fast-check/README.md")),
  ],
  ["TypeScript (hono .d.ts)", () => readTree(join(NM, "hono/dist/types"), [".d.ts"], 200_000)],
  ["TypeScript (lib.es5.d.ts)", () => read(join(NM, "typescript/lib/lib.es5.d.ts"))],
  ["JavaScript (hono dist)", () => readTree(join(NM, "hono/dist"), [".js"], 200_000)],
  ["JSON (shared/fixtures)", () => readTree(join(SHARED_DIR, "fixtures"), [".json", ".jsonl"])],
  ["SSE (shared/fixtures)", () => readTree(join(SHARED_DIR, "fixtures"), [".sse"])],
  ["Chinese", () => CHINESE],
  ["Japanese", () => JAPANESE],
  ["Russian", () => RUSSIAN],
  ["Arabic", () => ARABIC],
  ["Korean", () => KOREAN],
  ["Hindi", () => HINDI],
  ["Greek", () => GREEK],
  ["German / French / Spanish", () => EUROPEAN],
  ["Numbers", numbers],
  ["Whitespace-heavy code", whitespaceHeavy],
];

const MIN_RATIO = 0.98;
const MAX_RATIO = 1.2;

describe("countTextTokens accuracy against o200k_base", () => {
  const rows = CATEGORIES.map(([name, make]) => {
    const text = make();
    const real = encode(text).length;
    const estimate = countTextTokens(text);
    return { name, chars: text.length, real, estimate, ratio: estimate / real };
  });

  it("prints the table", () => {
    const lines = rows.map(
      (r) =>
        `${r.name.padEnd(50)} ${String(r.chars).padStart(8)} ${String(r.real).padStart(7)} ` +
        `${String(r.estimate).padStart(7)} ${r.ratio.toFixed(3)}`,
    );
    console.log(
      [`${"category".padEnd(50)} ${"chars".padStart(8)} ${"o200k".padStart(7)} ${"est".padStart(7)} ratio`]
        .concat(lines)
        .join("\n"),
    );
    expect(rows.every((r) => r.real > 50)).toBe(true);
  });

  it.each(rows.map((r) => [r.name, r] as const))("%s: within [0.98, 1.20] of the real count", (_, r) => {
    expect(r.ratio).toBeGreaterThanOrEqual(MIN_RATIO);
    expect(r.ratio).toBeLessThanOrEqual(MAX_RATIO);
  });

  it("over-counts random data (base64, hex) rather than under-counting it", () => {
    let seed = 42;
    const bytes = Uint8Array.from({ length: 20_000 }, () => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return seed >>> 24;
    });
    for (const text of [Buffer.from(bytes).toString("base64"), Buffer.from(bytes).toString("hex")]) {
      expect(countTextTokens(text) / encode(text).length).toBeGreaterThanOrEqual(MIN_RATIO);
    }
  });

  it("counts edge cases sensibly", () => {
    expect(countTextTokens("")).toBe(0);
    expect(countTextTokens("hello")).toBeGreaterThanOrEqual(1);
    expect(countTextTokens("😀")).toBeGreaterThanOrEqual(encode("😀").length);
    expect(countTextTokens("-".repeat(1000))).toBeLessThan(150);
  });
});
