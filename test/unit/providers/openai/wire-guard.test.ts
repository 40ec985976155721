/**
 * The hand-written guards in wire.ts stand in for zod on the hot path, so they must agree with
 * it: a guard may say "yes" only where zod says yes and returns the same data, and it should say
 * "yes" to everything well-formed (else the fast path is lost, silently). Checked against every
 * OpenAI-dialect recording, and against generated chunks and bodies with each field wrong in turn.
 */
import { readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  isWireChunk,
  isWireCompletion,
  parseWireChunk,
  parseWireCompletion,
  wireChunkSchema,
  wireCompletionSchema,
} from "../../../../src/providers/openai/wire";
import { createSseDecoder } from "../../../../src/sse/decode";
import { FIXTURES_DIR, fixtureBytes, fixtureJson, fixtureText } from "../../../conformance/fixtures";

const DIALECT = ["openai", "groq", "deepseek", "mistral", "xai", "ollama", "openrouter"];

/** The JSON payloads of one recording: each stream event's data, or the body (error bodies included). */
function payloadsOf(path: string): unknown[] {
  if (path.endsWith(".sse")) {
    const decoder = createSseDecoder();
    const data = [...decoder.push(fixtureBytes(path)), ...decoder.end()].map((e) => e.data.trim());
    return data.filter((d) => d !== "[DONE]" && d !== "").map((d) => JSON.parse(d));
  }
  if (path.endsWith(".chunks.jsonl")) {
    const lines = fixtureText(path).split("\n");
    return lines.filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  }
  if (path.endsWith(".http.json")) return [(fixtureJson(path) as { body: unknown }).body];
  if (path.endsWith(".headers.json")) return [];
  return [fixtureJson(path)];
}

const recordings = DIALECT.flatMap((dir) => readdirSync(FIXTURES_DIR + dir).map((f) => `${dir}/${f}`))
  .map((path) => ({ path, payloads: payloadsOf(path) }))
  .filter((r) => r.payloads.length > 0);

const hasError = (v: unknown) => typeof v === "object" && v !== null && "error" in v && v.error != null;

/**
 * The contract, for one input: the parse result equals zod's (same success, same data); when the
 * guard says yes, zod says yes with the same data; and the guard says no only where zod does, or
 * where it defers to zod on purpose (`deferred`: the chunk guard's in-band errors).
 */
function expectAgreement<T>(
  json: unknown,
  deferred: (v: unknown) => boolean,
  guard: (v: unknown) => boolean,
  parse: (v: unknown) => z.ZodSafeParseResult<T>,
  schema: { safeParse: (v: unknown) => z.ZodSafeParseResult<T> },
) {
  const byZod = schema.safeParse(json);
  const ours = parse(json);
  expect(ours.success).toBe(byZod.success);
  if (byZod.success) expect(ours.data).toStrictEqual(byZod.data);
  if (guard(json)) {
    expect(byZod.success).toBe(true);
    expect(json).toStrictEqual(byZod.data);
  } else if (byZod.success) {
    expect(deferred(json), "a well-formed shape missed the fast path").toBe(true);
  }
}

const chunkContract = (json: unknown) =>
  expectAgreement(json, hasError, isWireChunk, parseWireChunk, wireChunkSchema);
const completionContract = (json: unknown) =>
  expectAgreement(json, () => false, isWireCompletion, parseWireCompletion, wireCompletionSchema);

describe("wire guards on the recordings", () => {
  it("finds them", () => {
    expect(recordings.flatMap((r) => r.payloads).length).toBeGreaterThan(300);
  });

  it.each(recordings)("$path: both guards agree with zod on every payload", ({ payloads }) => {
    for (const json of payloads) {
      chunkContract(json);
      completionContract(json);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Generated inputs. Two kinds: well-formed values with exactly one value somewhere replaced by
// junk (each named field gets its turn), and values where any field may be missing, null or wrong.

/** Values of the wrong type for some field, and near misses: a float or unsafe index, NaN, Infinity. */
const junk = fc.constantFrom<unknown>(
  null,
  undefined,
  true,
  "",
  "7",
  0,
  -1,
  1.5,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  {},
  [],
  [null],
  { type: 1 },
);
const nullish = fc.constantFrom(null, undefined);
/** Keys the schemas do not name, which a loose object keeps as they are. */
const extras = fc.dictionary(
  fc.constantFrom("object", "model", "created", "obfuscation", "x"),
  fc.jsonValue(),
  {
    maxKeys: 2,
  },
);
const str = fc.string({ maxLength: 4 });
const int = fc.integer({ min: 0, max: 3 });
const count = fc.oneof(fc.nat(1000), fc.double({ noNaN: true, noDefaultInfinity: true }));
const list = <T>(item: fc.Arbitrary<T>) => fc.array(item, { maxLength: 3 });
/** Every named key may be missing but those listed in `required`; unnamed keys come along. */
const loose = (shape: Record<string, fc.Arbitrary<unknown>>, required: string[] = []) =>
  fc
    .tuple(fc.record(shape, { requiredKeys: required }), extras)
    .map(([named, extra]) => ({ ...extra, ...named }));

/** Chunks and bodies whose every field is well-typed, null, or (with `junkWeight` > 0) junk. */
function shapes(junkWeight: number) {
  const field = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
    junkWeight === 0
      ? fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: nullish, weight: 1 })
      : fc.oneof(
          { arbitrary: valid, weight: 6 },
          { arbitrary: nullish, weight: 1 },
          { arbitrary: junk, weight: junkWeight },
        );
  const usage = field(
    loose({
      prompt_tokens: field(count),
      completion_tokens: field(count),
      total_tokens: field(count),
      prompt_cache_hit_tokens: field(count),
      prompt_tokens_details: field(
        loose({ cached_tokens: field(count), cache_write_tokens: field(count), audio_tokens: field(count) }),
      ),
      completion_tokens_details: field(loose({ reasoning_tokens: field(count), audio_tokens: field(count) })),
    }),
  );
  const toolCall = loose({
    index: field(int),
    id: field(str),
    type: field(fc.constant("function")),
    function: field(loose({ name: field(str), arguments: field(str) })),
  });
  const kind = fc.constantFrom("text", "thinking");
  const typedText = loose({ type: kind, text: field(str) }, ["type"]);
  const contentPart = loose({ type: kind, text: field(str), thinking: field(list(typedText)) }, ["type"]);
  const message = loose({
    role: field(fc.constant("assistant")),
    content: field(fc.oneof(str, list(contentPart))),
    refusal: field(str),
    reasoning_content: field(str),
    reasoning: field(str),
    reasoning_details: field(list(loose({ type: str }, ["type"]))),
    tool_calls: field(list(toolCall)),
    annotations: field(list(fc.jsonValue())),
  });
  const finishReason = field(fc.constantFrom("stop", "length", "tool_calls"));
  const logprobs = fc.oneof(nullish, fc.jsonValue());
  const chunk = loose({
    id: field(str),
    system_fingerprint: field(str),
    choices: field(
      list(loose({ index: field(int), delta: field(message), finish_reason: finishReason, logprobs })),
    ),
    usage,
    x_groq: field(loose({ usage })),
    error: fc.oneof({ arbitrary: nullish, weight: 6 }, { arbitrary: loose({ message: str }), weight: 1 }),
  });
  const completion = loose(
    {
      id: field(str),
      system_fingerprint: field(str),
      service_tier: field(str),
      choices: list(
        loose({ index: field(int), message, finish_reason: finishReason, logprobs }, ["message"]),
      ),
      usage,
    },
    ["choices"],
  );
  return { chunk, completion };
}

/** Every place in a value: [parent, key] pairs, depth first. */
function places(value: unknown, out: [Record<string | number, unknown>, string | number][] = []) {
  if (typeof value !== "object" || value === null) return out;
  const parent = value as Record<string | number, unknown>;
  for (const key of Object.keys(parent)) {
    out.push([parent, key]);
    places(parent[key], out);
  }
  return out;
}

/** A well-formed value with the value at one place (any depth) replaced by junk. */
const oneFault = (valid: fc.Arbitrary<unknown>) =>
  fc.tuple(valid, fc.nat(), junk).map(([value, n, bad]) => {
    const copy = structuredClone(value);
    const all = places(copy);
    const target = all[n % Math.max(all.length, 1)];
    if (!target) return bad;
    target[0][target[1]] = bad;
    return copy;
  });

const wellFormed = shapes(0);
const anyFault = shapes(1);

describe("wire guards on generated near-valid inputs", () => {
  const runs = { numRuns: 1500 };

  it("chunks with one wrong value: the guard accepts only what zod accepts, the same data, and all of it", () => {
    fc.assert(fc.property(oneFault(wellFormed.chunk), chunkContract), runs);
  }, 60_000);

  it("bodies with one wrong value: the guard accepts only what zod accepts, the same data, and all of it", () => {
    fc.assert(fc.property(oneFault(wellFormed.completion), completionContract), runs);
  }, 60_000);

  it("chunks and bodies with any field wrong, missing or null: the same", () => {
    fc.assert(fc.property(anyFault.chunk, chunkContract), runs);
    fc.assert(fc.property(anyFault.completion, completionContract), runs);
  }, 60_000);

  it("well-formed chunks and bodies all take the fast path", () => {
    fc.assert(fc.property(wellFormed.chunk, (v) => hasError(v) || isWireChunk(v)));
    fc.assert(fc.property(wellFormed.completion, isWireCompletion));
  });

  it("the one-fault generators reach both answers", () => {
    const answers = (arb: fc.Arbitrary<unknown>, guard: (v: unknown) => boolean) =>
      new Set(fc.sample(arb, { numRuns: 500, seed: 1 }).map(guard));
    expect(answers(oneFault(wellFormed.chunk), isWireChunk)).toEqual(new Set([true, false]));
    expect(answers(oneFault(wellFormed.completion), isWireCompletion)).toEqual(new Set([true, false]));
  });
});
