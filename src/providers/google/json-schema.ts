/**
 * OpenAI tool `parameters` are JSON Schema; Gemini's `FunctionDeclaration.parameters` is an
 * OpenAPI 3.0 subset that rejects the whole request ("Invalid JSON payload received. Unknown
 * name …") on keys it does not know. We drop those keys and rewrite two common idioms.
 *
 * Dropped: `$schema`, `$id`, `$comment`, `$defs`, `definitions`, `additionalProperties`,
 * `unevaluatedProperties`, `patternProperties`, `propertyNames`, `dependentRequired`,
 * `dependentSchemas`, `if`/`then`/`else`, `not`, `allOf`, `oneOf`, `contains`, `examples`,
 * `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`, `readOnly`, `writeOnly`, `deprecated`,
 * `strict`, and anything else outside the allow-list below.
 * Rewritten: `const: x` → `enum: [x]`; `type: ["string","null"]` → `type: "string", nullable: true`.
 *
 * @see https://ai.google.dev/api/caching#Schema
 */

/** Keys Gemini's Schema accepts; everything else is dropped. */
const KEPT = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "anyOf",
  "propertyOrdering",
  "default",
  "items",
  "minimum",
  "maximum",
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Returns a copy of `schema` that Gemini accepts. Walks only schema positions, so a property named `default` survives. */
export function toGeminiSchema(schema: unknown): unknown {
  if (!isRecord(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "const") {
      out.enum = [value];
    } else if (key === "type" && Array.isArray(value)) {
      const types = value.filter((t) => t !== "null");
      if (types.length < value.length) out.nullable = true;
      if (types[0] !== undefined) out.type = types[0];
    } else if (key === "properties" && isRecord(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toGeminiSchema(v)]));
    } else if (key === "items") {
      out.items = toGeminiSchema(value);
    } else if (key === "anyOf" && Array.isArray(value)) {
      out.anyOf = value.map(toGeminiSchema);
    } else if (KEPT.has(key)) {
      out[key] = value;
    }
  }
  // Gemini takes `enum` on strings only; JSON Schema allows any value (`const: 1`). An untyped
  // enum becomes a string enum; a typed non-string one is dropped rather than mistyped.
  if (Array.isArray(out.enum)) {
    if (out.type === undefined) {
      out.enum = out.enum.map(String);
      out.type = "string";
    } else if (!out.enum.every((v) => typeof v === "string")) {
      delete out.enum;
    }
  }
  return out;
}
