/**
 * Validators for what we emit, built from OpenAI's own OpenAPI document (../shared/spec). The
 * document says 3.1 but still writes 3.0's `nullable: true`; that is rewritten to JSON Schema's
 * `type: [T, "null"]` before Ajv (draft 2020-12) compiles it.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";

const SPEC = fileURLToPath(new URL("../../../shared/spec/openai-openapi.yml", import.meta.url));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function rewriteNullable(node: Json): Json {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (node === null || typeof node !== "object") return node;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) out[k] = rewriteNullable(v);
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === "string") out.type = [out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    if (out.type === undefined && (out.$ref !== undefined || out.allOf || out.oneOf || out.anyOf)) {
      return { anyOf: [out, { type: "null" }] };
    }
  }
  return out;
}

/** The chat-completion schemas we validate against, and everything they reference. */
const ROOTS = ["CreateChatCompletionResponse", "CreateChatCompletionStreamResponse"];

/**
 * Parsing the 3 MB YAML takes seconds, so the reachable part is cached as JSON beside the
 * system temp files, keyed by the spec's size and mtime.
 */
function chatSchemas(): { [k: string]: Json } {
  const stat = statSync(SPEC);
  const cache = join(
    tmpdir(),
    `switchyard-openai-chat-schemas-${stat.size}-${Math.floor(stat.mtimeMs)}.json`,
  );
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, "utf8")) as { [k: string]: Json };
  const doc = parse(readFileSync(SPEC, "utf8")) as { components: { schemas: { [k: string]: Json } } };
  const all = doc.components.schemas;
  const picked: { [k: string]: Json } = {};
  const visit = (node: Json): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== "object") return;
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith("#/components/schemas/")) {
        const name = v.slice("#/components/schemas/".length);
        if (!(name in picked) && all[name] !== undefined) {
          picked[name] = rewriteNullable(all[name]);
          visit(all[name]);
        }
      } else visit(v);
    }
  };
  for (const root of ROOTS) visit({ $ref: `#/components/schemas/${root}` });
  writeFileSync(cache, JSON.stringify(picked));
  return picked;
}

let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

/** A validator for `#/components/schemas/<name>` of OpenAI's document. */
export function openaiSchema(name: string): ValidateFunction {
  let fn = validators.get(name);
  if (fn) return fn;
  if (!ajv) {
    ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: "openai", components: { schemas: chatSchemas() } });
  }
  fn = ajv.getSchema(`openai#/components/schemas/${name}`);
  if (!fn) throw new Error(`no schema ${name} in the OpenAI document`);
  validators.set(name, fn);
  return fn;
}

/** Asserts `value` conforms to the named OpenAI schema, with a readable failure. */
export function expectOpenAiShape(name: string, value: unknown): void {
  const validate = openaiSchema(name);
  if (!validate(value)) {
    const errors = (validate.errors ?? [])
      .slice(0, 5)
      .map((e: ErrorObject) => `${e.instancePath} ${e.message}`);
    throw new Error(`not a valid ${name}: ${errors.join("; ")}\n${JSON.stringify(value).slice(0, 800)}`);
  }
}
