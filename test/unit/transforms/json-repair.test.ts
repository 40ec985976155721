/**
 * repairJson, the core of the response-healing plugin: each way models get JSON wrong, what it
 * becomes, and what it must never do (touch valid JSON, make data up, return text that does not
 * parse). The properties run it over random JSON documents, fenced, wrapped and cut anywhere.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type JsonRepair, repairJson } from "../../../src/transforms/json-repair.ts";

/** The repaired text and what had to change; fails the test if it was not repaired. */
function repair(text: string): { text: string; repairs: JsonRepair[] } {
  const result = repairJson(text);
  if (result.status !== "repaired")
    throw new Error(`expected a repair of ${JSON.stringify(text)}: ${result.status}`);
  return { text: result.text, repairs: result.repairs };
}

describe("valid JSON is left alone", () => {
  it.each([
    ['{"a":1}'],
    ['  { "city": "Paris", "country": "France" }\n'],
    ['[1, 2, {"b": null}]'],
    ['"a string"'],
    ["42"],
    ["true"],
    ['{"fence": "```json inside a string```", "comma": "a,}"}'],
  ])("%j is valid: the caller keeps it byte for byte", (text) => {
    expect(repairJson(text)).toEqual({ status: "valid" });
  });
});

describe("what models get wrong", () => {
  it.each<[string, string, string, JsonRepair[]]>([
    [
      "a markdown code fence",
      '```json\n{"name": "Bob", "age": 41}\n```',
      '{"name": "Bob", "age": 41}',
      ["code_fence"],
    ],
    ["a fence without a language", '```\n{"name": "Bob"}\n```', '{"name": "Bob"}', ["code_fence"]],
    ["a fence on one line", '```json {"name": "Bob"} ```', '{"name": "Bob"}', ["code_fence"]],
    [
      "prose around a fence",
      'Here you go:\n```json\n{"name": "Bob"}\n```\nAnything else?',
      '{"name": "Bob"}',
      ["code_fence", "surrounding_text"],
    ],
    [
      "prose before the object",
      'Here is the data you requested:\n{"name": "Charlie", "age": 25}',
      '{"name": "Charlie", "age": 25}',
      ["surrounding_text"],
    ],
    [
      "prose after the object",
      '{"name": "Charlie"}\n\nLet me know if you need anything else!',
      '{"name": "Charlie"}',
      ["surrounding_text"],
    ],
    [
      "a bracketed citation in the prose before the object",
      'As noted in [1], the answer is: {"a": 1, "b": [2]}',
      '{"a": 1, "b": [2]}',
      ["surrounding_text"],
    ],
    [
      "an array with prose around it",
      'The list: [{"a": 1}, {"a": 2}] — done.',
      '[{"a": 1}, {"a": 2}]',
      ["surrounding_text"],
    ],
    [
      "a trailing comma in an object",
      '{"name": "David", "age": 35,}',
      '{"name": "David", "age": 35}',
      ["trailing_comma"],
    ],
    ["a trailing comma in an array", '{"tags": ["x", "y",]}', '{"tags": ["x", "y"]}', ["trailing_comma"]],
    [
      "trailing commas on several levels, in a fence",
      '```json\n{"tags": ["x", "y",\n],\n}\n```',
      '{"tags": ["x", "y"\n]\n}',
      ["code_fence", "trailing_comma"],
    ],
    [
      "line and block comments",
      '{\n  "name": "x", // the name\n  /* the age */ "age": 3\n}',
      '{\n  "name": "x", \n   "age": 3\n}',
      ["comment"],
    ],
    [
      "a trailing comma after a URL (a `//` inside a string is not a comment)",
      '{"url": "https://example.com/a", }',
      '{"url": "https://example.com/a" }',
      ["trailing_comma"],
    ],
    [
      "a fence around JSON whose string holds a fence of its own",
      '```json\n{"readme": "```sh\\nnpm ci\\n```",}\n```',
      '{"readme": "```sh\\nnpm ci\\n```"}',
      ["code_fence", "trailing_comma"],
    ],
    ["unquoted keys", '{name: "Eve", age_years: 40}', '{"name": "Eve", "age_years": 40}', ["unquoted_key"]],
    [
      "raw newlines and tabs inside a string",
      '{"poem": "roses are red\n\tviolets are blue"}',
      '{"poem": "roses are red\\n\\tviolets are blue"}',
      ["control_character"],
    ],
  ])("%s", (_name, input, expected, repairs) => {
    expect(repair(input)).toEqual({ text: expected, repairs });
    expect(() => JSON.parse(expected)).not.toThrow();
  });
});

describe("an answer cut off (max_tokens): what is there is closed, nothing is added", () => {
  it.each<[string, string, string]>([
    ["an object missing its closing brace", '{"name": "Alice", "age": 30', '{"name": "Alice", "age": 30}'],
    ["a string cut in the middle", '{"name": "Ali', '{"name": "Ali"}'],
    ["nested arrays and objects", '{"a": [1, {"b": [true, "x', '{"a": [1, {"b": [true, "x"]}]}'],
    ["a dangling comma", '{"tags": ["x", "y", ', '{"tags": ["x", "y"]}'],
    ["a key cut before its value: the member goes", '{"name": "Alice", "ag', '{"name": "Alice"}'],
    ["a key and colon without a value: the member goes", '{"name": "Alice", "age":', '{"name": "Alice"}'],
    ["a cut `true` is dropped, not completed", '{"name": "Alice", "ok": tr', '{"name": "Alice"}'],
    ["a cut number (`3.`) is dropped", '{"a": [1, 2, 3.', '{"a": [1, 2]}'],
    ["a cut escape is dropped", '{"a": "caf\\u00', '{"a": "caf"}'],
    [
      "inside a fence that closed: the closing fence is not taken into the string",
      '```json\n{"city": "Paris", "note": "the Lou\n```\nDone.',
      '{"city": "Paris", "note": "the Lou"}',
    ],
    [
      "inside a fence that never closed",
      '```json\n{"city": "Paris", "sights": ["Louvre"',
      '{"city": "Paris", "sights": ["Louvre"]}',
    ],
  ])("%s", (_name, input, expected) => {
    const result = repair(input);
    expect(result.text).toBe(expected);
    expect(result.repairs).toContain("truncated");
  });
});

describe("what cannot be repaired is left for the caller to keep as it was", () => {
  it.each([
    ["no JSON at all", "I'm sorry, I can't help with that."],
    ["an empty answer", ""],
    ["a lone brace in prose is not made into {}", "Use the { key to open a block {"],
    ["a value cut before any member", '{"'],
    ["a key without any value", '{"a": -'],
    ["a bracket inside the key of an object cut before any member", '{"["'],
    ["a bracket inside a string of JSON that breaks later", '{"note": "see [1]" oops}'],
    ["a bare string cut off", '"just a string'],
    ["a leading zero", '{"a": 01}'],
    ["a missing comma between members", '{"a": "b" "c": 1}'],
    ["single-quoted strings", "{'a': 'b'}"],
    ["an unknown escape", '{"path": "C:\\Users"}'],
    ["nesting deeper than any model answer", `${"[".repeat(300)}1${"]".repeat(300)}x`],
  ])("%s", (_name, input) => {
    expect(repairJson(input)).toEqual({ status: "unrepairable" });
  });
});

describe("properties", () => {
  const document = fc.json({ depthSize: "small" });
  const spacing = fc.constantFrom(0, 2);

  it("any JSON text is valid, however it is spaced", () => {
    fc.assert(
      fc.property(document, spacing, (json, indent) => {
        const text = JSON.stringify(JSON.parse(json), null, indent);
        expect(repairJson(text)).toEqual({ status: "valid" });
      }),
    );
  });

  it("an object or array in a fence with prose around it comes back exactly as it was", () => {
    const container = fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue()));
    fc.assert(
      fc.property(container, spacing, fc.constantFrom("json", "JSON", ""), (value, indent, lang) => {
        const inner = JSON.stringify(value, null, indent);
        const result = repairJson(`Sure! Here it is:\n\`\`\`${lang}\n${inner}\n\`\`\`\nCheers.`);
        expect(result).toMatchObject({ status: "repaired", text: inner });
      }),
    );
  });

  it("JSON cut anywhere is repaired into text that parses, or left as unrepairable", () => {
    fc.assert(
      fc.property(document, spacing, fc.nat(), (json, indent, at) => {
        const text = JSON.stringify(JSON.parse(json), null, indent);
        const cut = text.slice(0, at % (text.length + 1));
        const result = repairJson(cut);
        if (result.status === "repaired") expect(() => JSON.parse(result.text)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  it("a cut object keeps only keys that were in it", () => {
    const object = fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue(), { minKeys: 1 });
    fc.assert(
      fc.property(object, fc.nat(), (value, at) => {
        const text = JSON.stringify(value);
        const result = repairJson(text.slice(0, at % text.length));
        if (result.status !== "repaired") return;
        const keys = Object.keys(JSON.parse(result.text) as object);
        for (const key of keys) expect(Object.keys(value)).toContain(key);
      }),
      { numRuns: 500 },
    );
  });
});
