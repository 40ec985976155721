/**
 * The routing plan as a specification (API.md b3 provider preferences, b4 model ids and
 * variants, b5.2 context selection with compression, b10 default price-weighted routing).
 * Attempts are written `model@provider`, in the order the gateway would try them.
 */
import { describe, expect, it } from "vitest";
import type { CatalogSnapshot } from "../../../src/catalog/snapshot";
import { buildSnapshot } from "../../../src/catalog/snapshot";
import { GatewayError } from "../../../src/errors";
import { type PlanInput, parseModelId, planRoute, requestedModels } from "../../../src/routing/plan";
import type { ChatRequest } from "../../../src/schema/chat-request";
import { catalogOf, chat, statsRow } from "./catalog-rows";

/** `random = 0` always draws the first (cheapest healthy) endpoint, so default order is by price. */
function plan(
  request: Partial<ChatRequest>,
  catalog: CatalogSnapshot,
  opts: Partial<Omit<PlanInput, "request" | "catalog">> = {},
) {
  const result = planRoute({
    request: chat(request),
    catalog,
    promptTokens: opts.promptTokens ?? 100,
    compression: opts.compression ?? (() => false),
    random: opts.random ?? (() => 0),
    health: opts.health,
    now: opts.now,
  });
  return {
    attempts: result.attempts.map((a) => `${a.modelId}@${a.provider.slug}`),
    excluded: result.excluded,
  };
}
const attemptsOf = (...args: Parameters<typeof plan>) => plan(...args).attempts;

/** A seeded PRNG (mulberry32) so the statistical tests are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("model ids", () => {
  it.each([
    ["author/slug", "author/slug", undefined],
    ["author/slug:free", "author/slug", "free"],
    ["author/slug:floor", "author/slug", "floor"],
    ["author/slug:nitro", "author/slug", "nitro"],
    ["author/slug:thinking", "author/slug", "thinking"],
    ["author/slug:turbo", "author/slug:turbo", undefined],
    ["ollama/llama3:8b", "ollama/llama3:8b", undefined],
    [":free", ":free", undefined],
  ])("%s → base %s, variant %s", (id, base, variant) => {
    expect(parseModelId(id)).toEqual({ base, variant });
  });

  it.each<[string, Partial<ChatRequest>, string[]]>([
    ["model alone", { model: "a/x" }, ["a/x"]],
    ["models alone, in order", { models: ["a/y", "a/x"] }, ["a/y", "a/x"]],
    ["model first, then models", { model: "a/x", models: ["a/y", "a/z"] }, ["a/x", "a/y", "a/z"]],
    ["model repeated in models", { model: "a/x", models: ["a/y", "a/x"] }, ["a/x", "a/y"]],
    ["repeats inside models", { models: ["a/y", "a/y", "a/x", "a/y"] }, ["a/y", "a/x"]],
    ["a variant is another model id", { model: "a/x", models: ["a/x:free"] }, ["a/x", "a/x:free"]],
  ])("%s", (_name, request, expected) => {
    expect(requestedModels(chat(request))).toEqual(expected);
  });
});

describe("models and fallback order", () => {
  const catalog = catalogOf({
    "a/x": [{ provider: "p1" }],
    "a/y": [{ provider: "p2" }],
    "a/z": [{ provider: "p3" }],
  });

  it.each<[string, Partial<ChatRequest>, string[]]>([
    ["model", { model: "a/x" }, ["a/x@p1"]],
    ["models, in the given order", { models: ["a/z", "a/x"] }, ["a/z@p3", "a/x@p1"]],
    ["model before models, no repeats", { model: "a/y", models: ["a/x", "a/y"] }, ["a/y@p2", "a/x@p1"]],
  ])("%s", (_name, request, expected) => {
    expect(attemptsOf(request, catalog)).toEqual(expected);
  });

  it.each<[string, Partial<ChatRequest>, string]>([
    ["unknown model", { model: "nope/nothing" }, "nope/nothing"],
    ["unknown fallback model", { model: "a/x", models: ["a/y", "nope/late"] }, "nope/late"],
    ["unknown variant suffix", { model: "a/x:turbo" }, "a/x:turbo"],
  ])("%s → 400 naming it", (_name, request, named) => {
    let thrown: unknown;
    try {
      plan(request, catalog);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    const err = thrown as GatewayError;
    expect(err.status).toBe(400);
    expect(err.message).toContain(named);
    const body = err.toErrorObject();
    expect(body.availability).toMatchObject({ code: "model_not_found", requested_models: [named] });
    expect(body.metadata).not.toHaveProperty("availability");
  });
});

describe("variants (b4)", () => {
  const catalog = catalogOf({
    "m/mixed": [
      { provider: "paid-cheap", prompt: 1, completion: 1 },
      { provider: "paid-dear", prompt: 5, completion: 5 },
      { provider: "free-a", prompt: 0, completion: 0 },
      { provider: "free-b", prompt: 0, completion: 0 },
    ],
    "m/allfree": [
      { provider: "free-a", prompt: 0, completion: 0 },
      { provider: "free-b", prompt: 0, completion: 0 },
    ],
    "m/paid": [{ provider: "paid-cheap" }],
  });

  it.each<[string, string, string[]]>([
    [
      ":free serves only zero-priced endpoints",
      "m/mixed:free",
      ["m/mixed:free@free-a", "m/mixed:free@free-b"],
    ],
    ["the plain id prefers paid endpoints", "m/mixed", ["m/mixed@paid-cheap", "m/mixed@paid-dear"]],
    [
      "the plain id uses free endpoints when all are free",
      "m/allfree",
      ["m/allfree@free-a", "m/allfree@free-b"],
    ],
    [":free of a model with no free endpoint is empty", "m/paid:free", []],
  ])("%s", (_name, model, expected) => {
    expect(attemptsOf({ model }, catalog)).toEqual(expected);
  });

  describe("web search (:online, the web plugin) is not offered: never an answer that only looks searched", () => {
    it(":online leaves no endpoint, and says why", () => {
      expect(plan({ model: "m/paid:online" }, catalog)).toEqual({
        attempts: [],
        excluded: { web_search: ["m/paid@paid-cheap"] },
      });
    });

    it("the web plugin likewise, unless it is disabled", () => {
      expect(attemptsOf({ model: "m/paid", plugins: [{ id: "web" }] }, catalog)).toEqual([]);
      expect(attemptsOf({ model: "m/paid", plugins: [{ id: "web", enabled: false }] }, catalog)).toEqual([
        "m/paid@paid-cheap",
      ]);
    });

    it("models falls back from an :online model to the next", () => {
      expect(attemptsOf({ models: ["m/mixed:online", "m/paid"] }, catalog)).toEqual(["m/paid@paid-cheap"]);
    });
  });

  it(":free records the paid endpoints it left out", () => {
    expect(plan({ model: "m/mixed:free" }, catalog).excluded).toEqual({
      free_variant: ["m/mixed@paid-cheap", "m/mixed@paid-dear"],
    });
  });

  const sorted = catalogOf({
    "m/s": [
      { provider: "mid", prompt: 2, completion: 2 },
      { provider: "dear", prompt: 9, completion: 9 },
      { provider: "cheap", prompt: 1, completion: 1 },
      { provider: "down", prompt: 0.5, completion: 0.5, status: -2 },
    ],
  });
  it.each([
    ["m/s:floor", ["cheap", "mid", "dear", "down"]],
    ["m/s:nitro", ["cheap", "mid", "dear", "down"]],
  ])("%s sorts (no load balancing, degraded last) whatever the draw", (model, providers) => {
    for (const r of [0, 0.5, 0.999]) {
      expect(attemptsOf({ model }, sorted, { random: () => r })).toEqual(
        providers.map((p) => `${model}@${p}`),
      );
    }
  });
});

describe("provider.only / provider.ignore (b3)", () => {
  const catalog = catalogOf(
    {
      "m/x": [
        { provider: "deepinfra", prompt: 1 },
        { provider: "deepinfra/turbo", prompt: 2 },
        { provider: "together", prompt: 3 },
        { provider: "google-vertex", prompt: 4 },
      ],
    },
    { "google-vertex": { name: "Google Vertex" } },
  );

  it.each<[string, NonNullable<ChatRequest["provider"]>, string[]]>([
    [
      "only a base slug: the provider and its variants",
      { only: ["deepinfra"] },
      ["deepinfra", "deepinfra/turbo"],
    ],
    ["only a variant slug: just that variant", { only: ["deepinfra/turbo"] }, ["deepinfra/turbo"]],
    ["only, case-insensitive", { only: ["DeepInfra/Turbo", "TOGETHER"] }, ["deepinfra/turbo", "together"]],
    ["only by display name", { only: ["google vertex"] }, ["google-vertex"]],
    ["only a slug nobody serves", { only: ["groq"] }, []],
    ["ignore a base slug drops its variants", { ignore: ["deepinfra"] }, ["together", "google-vertex"]],
    [
      "ignore a variant keeps the base",
      { ignore: ["deepinfra/turbo"] },
      ["deepinfra", "together", "google-vertex"],
    ],
    ["ignore, case-insensitive", { ignore: ["Together"] }, ["deepinfra", "deepinfra/turbo", "google-vertex"]],
    [
      "only and ignore together",
      { only: ["deepinfra", "together"], ignore: ["deepinfra/turbo"] },
      ["deepinfra", "together"],
    ],
    ["a base slug does not match a longer slug", { only: ["deep"] }, []],
  ])("%s", (_name, provider, expected) => {
    expect(attemptsOf({ model: "m/x", provider }, catalog)).toEqual(expected.map((p) => `m/x@${p}`));
  });

  it("records the left-out endpoints as allowed_providers", () => {
    expect(plan({ model: "m/x", provider: { only: ["together"] } }, catalog).excluded).toEqual({
      allowed_providers: ["m/x@deepinfra", "m/x@deepinfra/turbo", "m/x@google-vertex"],
    });
  });
});

describe("hard filters (b3)", () => {
  const catalog = catalogOf(
    {
      "m/x": [
        { provider: "a", prompt: 1, completion: 2, quantization: "fp8" },
        { provider: "b", prompt: 1.01, completion: 2, quantization: "bf16" },
        { provider: "c", prompt: 0.5, completion: 2.01, quantization: "fp8", priceRequest: "0.3" },
        { provider: "d", prompt: 0.25, completion: 0.5, quantization: "int4", priceRequest: "0.31" },
      ],
    },
    {
      a: { dataPolicy: { training: true, retainsPrompts: true } },
      b: { dataPolicy: { training: false, retainsPrompts: true, retentionDays: 30 } },
    },
  );
  type Prefs = NonNullable<ChatRequest["provider"]>;

  it.each<[string, Prefs, string[], string]>([
    ["quantizations", { quantizations: ["fp8"] }, ["c", "a"], "quantization"],
    ["quantizations, several", { quantizations: ["int4", "bf16"] }, ["d", "b"], "quantization"],
    [
      "max_price.prompt (USD per million, inclusive)",
      { max_price: { prompt: 1 } },
      ["d", "c", "a"],
      "max_price",
    ],
    ["max_price.completion", { max_price: { completion: 2 } }, ["d", "a", "b"], "max_price"],
    [
      "max_price.request (USD per request, inclusive)",
      { max_price: { request: 0.3 } },
      ["c", "a", "b"],
      "max_price",
    ],
    ["max_price, all at once", { max_price: { prompt: 1, completion: 2, request: 0.3 } }, ["a"], "max_price"],
    [
      "data_collection: deny drops providers that train on or store prompts",
      { data_collection: "deny" },
      ["d", "c"],
      "data_policy:training",
    ],
    ["zdr drops providers that retain prompts", { zdr: true }, ["d", "c"], "data_policy:zdr"],
  ])("%s", (_name, provider, kept, reason) => {
    const { attempts, excluded } = plan({ model: "m/x", provider }, catalog);
    expect(attempts).toEqual(kept.map((p) => `m/x@${p}`));
    const left = ["a", "b", "c", "d"].filter((p) => !kept.includes(p)).map((p) => `m/x@${p}`);
    expect(excluded).toEqual({ [reason]: left });
  });

  it.each<[string, Prefs]>([
    ["data_collection: allow", { data_collection: "allow" }],
    ["zdr: false", { zdr: false }],
    ["empty lists", { only: [], ignore: [], quantizations: [] }],
    ["generous max_price", { max_price: { prompt: 100, completion: 100, request: 1 } }],
  ])("%s filters nothing", (_name, provider) => {
    expect(plan({ model: "m/x", provider }, catalog)).toEqual({
      attempts: ["m/x@d", "m/x@c", "m/x@a", "m/x@b"],
      excluded: {},
    });
  });
});

describe("parameters: require_parameters (hard) and the tools/response_format/verbosity preference (soft)", () => {
  const catalog = catalogOf({
    "m/x": [
      { provider: "plain", prompt: 1, supportedParameters: ["max_tokens", "temperature"] },
      { provider: "tools", prompt: 2, supportedParameters: ["max_tokens", "tools", "tool_choice"] },
      {
        provider: "json",
        prompt: 3,
        supportedParameters: ["max_tokens", "response_format", "structured_outputs"],
      },
    ],
    "m/none": [{ provider: "plain", supportedParameters: ["max_tokens"] }],
  });
  const tools = [{ type: "function" as const, function: { name: "f", parameters: { type: "object" } } }];

  it.each<[string, Partial<ChatRequest>, string[]]>([
    ["no special parameters: all", {}, ["plain", "tools", "json"]],
    ["tools prefer tool-capable endpoints", { tools }, ["tools"]],
    [
      "response_format prefers endpoints that support it",
      { response_format: { type: "json_object" } },
      ["json"],
    ],
    ["temperature alone is no preference", { temperature: 0.2 }, ["plain", "tools", "json"]],
    [
      "require_parameters: temperature only where supported",
      { temperature: 0.2, provider: { require_parameters: true } },
      ["plain"],
    ],
    [
      "require_parameters: json_schema needs structured_outputs",
      {
        response_format: { type: "json_schema", json_schema: { name: "s", schema: { type: "object" } } },
        provider: { require_parameters: true },
      },
      ["json"],
    ],
    [
      "require_parameters with nothing set keeps all",
      { provider: { require_parameters: true } },
      ["plain", "tools", "json"],
    ],
  ])("%s", (_name, request, expected) => {
    expect(attemptsOf({ model: "m/x", ...request }, catalog)).toEqual(expected.map((p) => `m/x@${p}`));
  });

  it("require_parameters records what it left out", () => {
    expect(plan({ model: "m/x", tools, provider: { require_parameters: true } }, catalog).excluded).toEqual({
      require_parameters: ["m/x@plain", "m/x@json"],
    });
  });

  it("require_parameters can empty a model; the soft preference never does", () => {
    expect(attemptsOf({ model: "m/none", tools, provider: { require_parameters: true } }, catalog)).toEqual(
      [],
    );
    expect(attemptsOf({ model: "m/none", tools }, catalog)).toEqual(["m/none@plain"]);
  });

  it("verbosity is a soft preference too (API.md b3), named as the catalog names it", () => {
    const verbose = catalogOf({
      "m/v": [
        { provider: "plain", prompt: 1, supportedParameters: ["max_tokens"] },
        { provider: "verbose", prompt: 2, supportedParameters: ["max_tokens", "verbosity"] },
      ],
    });
    expect(attemptsOf({ model: "m/v", verbosity: "low" }, verbose)).toEqual(["m/v@verbose"]);
    expect(attemptsOf({ model: "m/none", verbosity: "low" }, catalog)).toEqual(["m/none@plain"]);
  });

  it("the soft preference applies after the hard filters, so it never empties a model", () => {
    // The only tool-capable endpoint cannot produce 4,000 tokens; the plain one can and must stay.
    const capped = catalogOf({
      "m/x": [
        { provider: "tools", supportedParameters: ["tools", "max_tokens"], maxCompletionTokens: 1000 },
        { provider: "plain", supportedParameters: ["max_tokens"], maxCompletionTokens: 8000 },
      ],
    });
    expect(attemptsOf({ model: "m/x", tools, max_tokens: 4000 }, capped)).toEqual(["m/x@plain"]);
    expect(attemptsOf({ model: "m/x", tools, max_tokens: 500 }, capped)).toEqual(["m/x@tools"]);
  });
});

describe("max_tokens over an endpoint's max completion", () => {
  const catalog = catalogOf({
    "m/x": [
      { provider: "small", prompt: 1, maxCompletionTokens: 4096 },
      { provider: "large", prompt: 2, maxCompletionTokens: 32_768 },
      { provider: "uncapped", prompt: 3, maxCompletionTokens: null },
    ],
  });

  it.each<[string, Partial<ChatRequest>, string[]]>([
    ["no max_tokens", {}, ["small", "large", "uncapped"]],
    ["max_tokens at the cap", { max_tokens: 4096 }, ["small", "large", "uncapped"]],
    ["max_tokens above a cap", { max_tokens: 4097 }, ["large", "uncapped"]],
    ["max_completion_tokens counts too", { max_completion_tokens: 40_000 }, ["uncapped"]],
    ["null max_tokens is none", { max_tokens: null }, ["small", "large", "uncapped"]],
  ])("%s", (_name, request, expected) => {
    expect(attemptsOf({ model: "m/x", ...request }, catalog)).toEqual(expected.map((p) => `m/x@${p}`));
  });

  it("records max_tokens exclusions", () => {
    expect(plan({ model: "m/x", max_tokens: 5000 }, catalog).excluded).toEqual({ max_tokens: ["m/x@small"] });
  });
});

describe("context length, with and without compression (b5.2)", () => {
  const catalog = catalogOf({
    "m/x": [
      { provider: "ctx4k", prompt: 1, contextLength: 4096 },
      { provider: "ctx8k", prompt: 2, contextLength: 8192 },
      { provider: "ctx16k", prompt: 3, contextLength: 16_384 },
    ],
  });
  const all = () => true;
  const smallOnly = (context: number) => context <= 8192;

  it.each<[string, number, number | undefined, PlanInput["compression"], string[]]>([
    ["everything fits", 1000, undefined, () => false, ["ctx4k", "ctx8k", "ctx16k"]],
    ["prompt + max_tokens must fit", 3000, 2000, () => false, ["ctx8k", "ctx16k"]],
    ["no compression: only windows that hold the request", 10_000, undefined, () => false, ["ctx16k"]],
    ["too long everywhere without compression", 20_000, undefined, () => false, []],
    [
      "compression: windows holding half the request join, after those that fit",
      10_000,
      undefined,
      all,
      ["ctx16k", "ctx8k"],
    ],
    ["compression: exactly half counts", 8192, undefined, all, ["ctx8k", "ctx16k", "ctx4k"]],
    ["compression, none holds half: only the largest window", 40_000, undefined, all, ["ctx16k"]],
    [
      "compression only where allowed (≤ 8k), none holds half: largest of those",
      40_000,
      undefined,
      smallOnly,
      ["ctx8k"],
    ],
    ["max_tokens counts toward the half", 6000, 3000, all, ["ctx16k", "ctx8k"]],
  ])("%s", (_name, promptTokens, max_tokens, compression, expected) => {
    const request = { model: "m/x", ...(max_tokens ? { max_tokens } : {}) };
    expect(attemptsOf(request, catalog, { promptTokens, compression })).toEqual(
      expected.map((p) => `m/x@${p}`),
    );
  });

  it("records context_length exclusions", () => {
    expect(plan({ model: "m/x" }, catalog, { promptTokens: 10_000 }).excluded).toEqual({
      context_length: ["m/x@ctx4k", "m/x@ctx8k"],
    });
  });
});

describe("an endpoint that fits beats one that must compress (b5.2)", () => {
  const all = () => true;
  const catalog = catalogOf({
    "m/mixed": [
      { provider: "small", prompt: 0.1, contextLength: 8192 },
      { provider: "big", prompt: 10, contextLength: 128_000 },
    ],
    "m/small": [{ provider: "small", prompt: 0.1, contextLength: 8192 }],
    "m/big": [{ provider: "big", prompt: 10, contextLength: 128_000 }],
  });

  it("leaves out a cheaper window below half the request when another endpoint fits", () => {
    const result = plan({ model: "m/mixed" }, catalog, { promptTokens: 33_000, compression: all });
    expect(result.attempts).toEqual(["m/mixed@big"]);
    expect(result.excluded).toEqual({ context_length: ["m/mixed@small"] });
  });

  it("applies across the models of a fallback chain", () => {
    const result = plan({ models: ["m/small", "m/big"] }, catalog, {
      promptTokens: 33_000,
      compression: all,
    });
    expect(result.attempts).toEqual(["m/big@big"]);
    expect(result.excluded).toEqual({ context_length: ["m/small@small"] });
  });

  it("fits first among the rest, but the client's own provider.order stays as given", () => {
    // 10k tokens: the 8k window holds more than half, so it may compress; the 128k one fits.
    const cheapFirst = plan({ model: "m/mixed" }, catalog, { promptTokens: 10_000, compression: all });
    expect(cheapFirst.attempts).toEqual(["m/mixed@big", "m/mixed@small"]);
    const ordered = plan({ model: "m/mixed", provider: { order: ["small", "big"] } }, catalog, {
      promptTokens: 10_000,
      compression: all,
    });
    expect(ordered.attempts).toEqual(["m/mixed@small", "m/mixed@big"]);
  });

  it("falls back to the single largest window only when nothing fits or holds half", () => {
    const result = plan({ models: ["m/small", "m/mixed"] }, catalog, {
      promptTokens: 300_000,
      compression: all,
    });
    expect(result.attempts).toEqual(["m/mixed@big"]);
  });
});

describe("provider.order and allow_fallbacks (b3)", () => {
  const catalog = catalogOf({
    "m/x": [
      { provider: "a", prompt: 4 },
      { provider: "b", prompt: 3 },
      { provider: "c", prompt: 2 },
      { provider: "d", prompt: 1 },
      { provider: "e/fast", prompt: 0.5 },
    ],
  });
  type Prefs = NonNullable<ChatRequest["provider"]>;

  it.each<[string, Prefs, string[]]>([
    ["order first, then the rest by price", { order: ["b", "a"] }, ["b", "a", "e/fast", "d", "c"]],
    [
      "order is case-insensitive and a base slug matches variants",
      { order: ["E", "C"] },
      ["e/fast", "c", "d", "b", "a"],
    ],
    ["unknown slugs in order are ignored", { order: ["zzz", "a"] }, ["a", "e/fast", "d", "c", "b"]],
    [
      "allow_fallbacks: false keeps only the ordered ones",
      { order: ["b", "a"], allow_fallbacks: false },
      ["b", "a"],
    ],
    ["allow_fallbacks: false without order: only the drawn endpoint", { allow_fallbacks: false }, ["a"]],
    ["order combines with ignore", { order: ["b", "a"], ignore: ["a"] }, ["b", "e/fast", "d", "c"]],
  ])("%s", (_name, provider, expected) => {
    // random 0.999 would pick the dearest endpoint under load balancing: order disables it.
    expect(attemptsOf({ model: "m/x", provider }, catalog, { random: () => 0.999 })).toEqual(
      expected.map((p) => `m/x@${p}`),
    );
  });
});

describe("sort, partition and route: sort", () => {
  // Model m1 is dear, m2 cheap: partition decides whether m1 still goes first.
  const catalog = catalogOf({
    "m/one": [
      { provider: "p", prompt: 5 },
      { provider: "q", prompt: 3 },
    ],
    "m/two": [
      { provider: "r", prompt: 4 },
      { provider: "s", prompt: 1 },
    ],
  });
  const models = ["m/one", "m/two"];

  it.each<[string, Partial<ChatRequest>, string[]]>([
    [
      'sort "price": per model, primary model first',
      { provider: { sort: "price" } },
      ["m/one@q", "m/one@p", "m/two@s", "m/two@r"],
    ],
    [
      'sort {by: "price"} defaults to partition "model"',
      { provider: { sort: { by: "price" } } },
      ["m/one@q", "m/one@p", "m/two@s", "m/two@r"],
    ],
    [
      'partition "none": all models\' endpoints in one price order',
      { provider: { sort: { by: "price", partition: "none" } } },
      ["m/two@s", "m/one@q", "m/two@r", "m/one@p"],
    ],
    ['route: "sort" sorts across models', { route: "sort" }, ["m/two@s", "m/one@q", "m/two@r", "m/one@p"]],
    [
      'route: "fallback" keeps model order and load balancing (this draw picks the dearer)',
      { route: "fallback" },
      ["m/one@p", "m/one@q", "m/two@r", "m/two@s"],
    ],
  ])("%s", (_name, request, expected) => {
    expect(attemptsOf({ models, ...request }, catalog, { random: () => 0.999 })).toEqual(expected);
  });

  it('partition "none" still puts degraded endpoints last', () => {
    const degraded = catalogOf({
      "m/one": [{ provider: "p", prompt: 5 }],
      "m/two": [
        { provider: "down", prompt: 0.1, status: -3 },
        { provider: "s", prompt: 1 },
      ],
    });
    expect(attemptsOf({ models, route: "sort" }, degraded)).toEqual(["m/two@s", "m/one@p", "m/two@down"]);
  });
});

describe("default routing: price-weighted choice (b10)", () => {
  const catalog = catalogOf({
    "m/two": [
      { provider: "dollar", prompt: 0.5, completion: 0.5 },
      { provider: "three", prompt: 1.5, completion: 1.5 },
    ],
    "m/three": [
      { provider: "one", prompt: 1, completion: 0 },
      { provider: "two", prompt: 2, completion: 0 },
      { provider: "four", prompt: 4, completion: 0 },
    ],
    "m/degraded": [
      { provider: "down", prompt: 0.1, completion: 0.1, status: -1 },
      { provider: "ok-dear", prompt: 3, completion: 3 },
      { provider: "ok-cheap", prompt: 1, completion: 1 },
    ],
    "m/solo": [{ provider: "only" }],
  });

  function firstChoices(model: string, draws: number, random: () => number) {
    const counts: Record<string, number> = {};
    for (let i = 0; i < draws; i++) {
      const first = attemptsOf({ model }, catalog, { random })[0]!;
      counts[first] = (counts[first] ?? 0) + 1;
    }
    return counts;
  }

  it("a $1 endpoint is chosen about 9× as often as a $3 one (1/price²)", () => {
    const counts = firstChoices("m/two", 10_000, seeded(42));
    const ratio = counts["m/two@dollar"]! / counts["m/two@three"]!;
    expect(ratio).toBeGreaterThan(8);
    expect(ratio).toBeLessThan(10);
  });

  it("three endpoints at $1, $2, $4 are drawn 16 : 4 : 1", () => {
    const counts = firstChoices("m/three", 21_000, seeded(7));
    // Expected 16,000 : 4,000 : 1,000; allow ±5 standard deviations.
    expect(counts["m/three@one"]).toBeGreaterThan(15_700);
    expect(counts["m/three@one"]).toBeLessThan(16_300);
    expect(counts["m/three@two"]).toBeGreaterThan(3_700);
    expect(counts["m/three@two"]).toBeLessThan(4_300);
    expect(counts["m/three@four"]).toBeGreaterThan(850);
    expect(counts["m/three@four"]).toBeLessThan(1_150);
  });

  it.each([
    [0, ["one", "two", "four"]],
    [16 / 21 - 0.001, ["one", "two", "four"]],
    [16 / 21 + 0.001, ["two", "one", "four"]],
    [20 / 21 + 0.001, ["four", "one", "two"]],
    [0.9999, ["four", "one", "two"]],
  ])("random %f: the drawn endpoint first, then the rest by price", (r, providers) => {
    expect(attemptsOf({ model: "m/three" }, catalog, { random: () => r })).toEqual(
      providers.map((p) => `m/three@${p}`),
    );
  });

  it("a degraded endpoint is never drawn and goes last, however cheap", () => {
    const counts = firstChoices("m/degraded", 2_000, seeded(3));
    expect(counts["m/degraded@down"]).toBeUndefined();
    for (const r of [0, 0.5, 0.99]) {
      expect(attemptsOf({ model: "m/degraded" }, catalog, { random: () => r }).at(-1)).toBe(
        "m/degraded@down",
      );
    }
  });

  it("a single endpoint needs no draw", () => {
    let calls = 0;
    const random = () => {
      calls++;
      return 0.5;
    };
    expect(attemptsOf({ model: "m/solo" }, catalog, { random })).toEqual(["m/solo@only"]);
    expect(calls).toBe(0);
  });

  it("each model of models[] is balanced on its own, in model order", () => {
    expect(attemptsOf({ models: ["m/solo", "m/two"] }, catalog, { random: () => 0.999 })).toEqual([
      "m/solo@only",
      "m/two@three",
      "m/two@dollar",
    ]);
  });
});

describe("outage-aware routing: an endpoint failing in the last 30 s goes last (b10)", () => {
  const catalog = catalogOf({
    "m/x": [
      { provider: "cheap", prompt: 1, completion: 1 },
      { provider: "mid", prompt: 2, completion: 2 },
      { provider: "dear", prompt: 4, completion: 4 },
    ],
  });
  const idOf = (slug: string) =>
    catalog.endpointsByModel.get("m/x")!.find((e) => e.providerSlug === slug)!.id;
  const now = 1_000_000;
  const failing = (...slugs: string[]) => {
    const ids = new Set(slugs.map(idOf));
    return { failing: (id: number, at: number) => at === now && ids.has(id) };
  };

  it("is never drawn first and goes behind the healthy endpoints, however cheap", () => {
    for (const r of [0, 0.5, 0.999]) {
      const attempts = attemptsOf({ model: "m/x" }, catalog, {
        random: () => r,
        health: failing("cheap"),
        now,
      });
      expect(attempts.at(-1)).toBe("m/x@cheap");
      expect(attempts).toHaveLength(3);
    }
  });

  it("stays a fallback: with every endpoint failing, all are still tried, by the draw", () => {
    expect(attemptsOf({ model: "m/x" }, catalog, { health: failing("cheap", "mid", "dear"), now })).toEqual([
      "m/x@cheap",
      "m/x@mid",
      "m/x@dear",
    ]);
  });

  it("goes last in a sorted order too", () => {
    expect(
      attemptsOf({ model: "m/x", provider: { sort: "price" } }, catalog, { health: failing("cheap"), now }),
    ).toEqual(["m/x@mid", "m/x@dear", "m/x@cheap"]);
  });

  it("keeps its place in the client's own provider.order", () => {
    expect(
      attemptsOf({ model: "m/x", provider: { order: ["cheap", "dear"] } }, catalog, {
        health: failing("cheap"),
        now,
      }),
    ).toEqual(["m/x@cheap", "m/x@dear", "m/x@mid"]);
  });

  it("is asked at the request's time", () => {
    expect(attemptsOf({ model: "m/x" }, catalog, { health: failing("cheap"), now: now + 1 })[0]).toBe(
      "m/x@cheap",
    );
  });
});

describe("preferred_max_latency / preferred_min_throughput (b3): soft, over the last 5 minutes", () => {
  const catalog = catalogOf({
    "m/p": [
      // The cheapest is slow to its first token and slow to write; the others are quick.
      {
        provider: "cheap",
        prompt: 1,
        completion: 1,
        measured: { recentLatency: { p50: 4_000, p90: 9_000 }, recentThroughput: { p50: 8, p90: 5 } },
      },
      {
        provider: "mid",
        prompt: 2,
        completion: 2,
        measured: { recentLatency: { p50: 400, p90: 2_500 }, recentThroughput: { p50: 90, p90: 60 } },
      },
      { provider: "unmeasured", prompt: 3, completion: 3 },
    ],
  });
  const attempts = (provider: Record<string, unknown>, r = 0) =>
    attemptsOf({ model: "m/p", provider }, catalog, { random: () => r });

  it("moves an endpoint slower than preferred_max_latency (seconds, p50) behind the rest, not out", () => {
    expect(attempts({ preferred_max_latency: 1 })).toEqual(["m/p@mid", "m/p@unmeasured", "m/p@cheap"]);
  });

  it("moves an endpoint below preferred_min_throughput (tokens/s, p50) behind the rest, not out", () => {
    expect(attempts({ preferred_min_throughput: 50 })).toEqual(["m/p@mid", "m/p@unmeasured", "m/p@cheap"]);
  });

  it("reads each percentile given, and only those", () => {
    // mid's p90 latency (2.5 s) is over 2 s: both measured endpoints are behind now.
    expect(attempts({ preferred_max_latency: { p90: 2 } })).toEqual([
      "m/p@unmeasured",
      "m/p@cheap",
      "m/p@mid",
    ]);
    expect(attempts({ preferred_max_latency: { p90: 10 } })[0]).toBe("m/p@cheap");
  });

  it("holds back no unmeasured endpoint, and draws only among those meeting the preference", () => {
    for (const r of [0, 0.5, 0.999])
      expect(attempts({ preferred_max_latency: 1 }, r).at(-1)).toBe("m/p@cheap");
  });

  it("comes before price in a sort, and after health", () => {
    expect(attempts({ sort: "price", preferred_min_throughput: 50 })).toEqual([
      "m/p@mid",
      "m/p@unmeasured",
      "m/p@cheap",
    ]);
  });

  it("without a preference, the measurements change nothing", () => {
    expect(attempts({ sort: "price" })).toEqual(["m/p@cheap", "m/p@mid", "m/p@unmeasured"]);
  });
});

describe("sort by measured latency and throughput (b3): the endpoint_stats p50s over 30 minutes", () => {
  // Price order: half, cheap, mid, dear, three. Latency order: mid, dear, cheap.
  // Throughput order: cheap, dear, mid. `half` and `three` have no measurements.
  const catalog = catalogOf({
    "m/x": [
      { provider: "cheap", prompt: 1, completion: 1, measured: { latency: 900, throughput: 150 } },
      { provider: "mid", prompt: 2, completion: 2, measured: { latency: 300, throughput: 40 } },
      { provider: "dear", prompt: 4, completion: 4, measured: { latency: 500, throughput: 80 } },
      { provider: "half", prompt: 0.5, completion: 0.5 },
      { provider: "three", prompt: 3, completion: 3 },
    ],
  });
  const byLatency = ["mid", "dear", "cheap", "half", "three"];
  const byThroughput = ["cheap", "dear", "mid", "half", "three"];
  const byPrice = ["half", "cheap", "mid", "three", "dear"];

  it.each<[string, Partial<ChatRequest>, string[]]>([
    ['sort "latency": lowest p50 time to first token first', { provider: { sort: "latency" } }, byLatency],
    ['sort {by: "latency"}', { provider: { sort: { by: "latency" } } }, byLatency],
    ['sort "throughput": most tokens per second first', { provider: { sort: "throughput" } }, byThroughput],
    [":nitro sorts by throughput", { model: "m/x:nitro" }, byThroughput],
    ["an explicit sort wins over :nitro", { model: "m/x:nitro", provider: { sort: "price" } }, byPrice],
    ['sort "price" ignores the measurements', { provider: { sort: "price" } }, byPrice],
    [":floor sorts by price", { model: "m/x:floor" }, byPrice],
    ['sort "exacto" with no tool calls measured is price order', { provider: { sort: "exacto" } }, byPrice],
  ])("%s", (_name, request, expected) => {
    const model = request.model ?? "m/x";
    expect(attemptsOf({ model: "m/x", ...request }, catalog)).toEqual(expected.map((p) => `${model}@${p}`));
  });

  it("leaves the default draw to price: measurements order only a sort", () => {
    expect(attemptsOf({ model: "m/x" }, catalog, { random: () => 0 })).toEqual(
      byPrice.map((p) => `m/x@${p}`),
    );
  });

  it("puts an endpoint measured for the other metric only among the unmeasured, by price", () => {
    // `streamed` served only non-streamed answers: a throughput, no time to first token.
    const partly = catalogOf({
      "m/p": [
        { provider: "streamed", prompt: 9, measured: { latency: 2000, throughput: 10 } },
        { provider: "batch", prompt: 1, measured: { throughput: 500 } },
        { provider: "unknown", prompt: 2 },
      ],
    });
    expect(attemptsOf({ model: "m/p", provider: { sort: "latency" } }, partly)).toEqual([
      "m/p@streamed",
      "m/p@batch",
      "m/p@unknown",
    ]);
    expect(attemptsOf({ model: "m/p", provider: { sort: "throughput" } }, partly)).toEqual([
      "m/p@batch",
      "m/p@streamed",
      "m/p@unknown",
    ]);
  });

  it("breaks a tie of p50s (the same histogram bin) by price", () => {
    const tied = catalogOf({
      "m/t": [
        { provider: "dear", prompt: 5, measured: { latency: 197.4 } },
        { provider: "cheap", prompt: 1, measured: { latency: 197.4 } },
      ],
    });
    expect(attemptsOf({ model: "m/t", provider: { sort: "latency" } }, tied)).toEqual([
      "m/t@cheap",
      "m/t@dear",
    ]);
  });

  it("still puts degraded and failing endpoints last, however fast", () => {
    const withDown = catalogOf({
      "m/d": [
        { provider: "fastest-degraded", status: -1, measured: { latency: 50, throughput: 900 } },
        { provider: "fastest-failing", measured: { latency: 60, throughput: 800 } },
        { provider: "slow", measured: { latency: 800, throughput: 20 } },
        { provider: "unmeasured", prompt: 0.1 },
      ],
    });
    const failingId = withDown.endpointsByModel
      .get("m/d")!
      .find((e) => e.providerSlug === "fastest-failing")!.id;
    const health = { failing: (id: number) => id === failingId };
    for (const sort of ["latency", "throughput"] as const) {
      expect(attemptsOf({ model: "m/d", provider: { sort } }, withDown, { health })).toEqual([
        "m/d@slow",
        "m/d@unmeasured",
        // Behind the healthy ones, in the same order among themselves.
        "m/d@fastest-degraded",
        "m/d@fastest-failing",
      ]);
    }
  });

  it('partition "none" sorts every model\'s endpoints by the measurement together', () => {
    const two = catalogOf({
      "m/one": [{ provider: "p", prompt: 1, measured: { latency: 700 } }],
      "m/two": [
        { provider: "q", prompt: 5, measured: { latency: 100 } },
        { provider: "r", prompt: 0.1 },
      ],
    });
    expect(
      attemptsOf(
        { models: ["m/one", "m/two"], provider: { sort: { by: "latency", partition: "none" } } },
        two,
      ),
    ).toEqual(["m/two@q", "m/one@p", "m/two@r"]);
  });

  it("keeps the client's own provider.order as given", () => {
    expect(
      attemptsOf({ model: "m/x", provider: { order: ["dear", "cheap"], sort: "latency" } }, catalog),
    ).toEqual(["m/x@dear", "m/x@cheap", "m/x@half", "m/x@mid", "m/x@three"]);
  });
});

describe("measured uptime: an endpoint in an outage across the gateway goes last (b10)", () => {
  const withUptime = (successes: number, failures: number) =>
    catalogOf({
      "m/u": [
        { provider: "cheap", prompt: 1, completion: 1, measured: { successes, failures } },
        { provider: "dear", prompt: 3, completion: 3, measured: { successes: 50 } },
      ],
    });

  it.each<[string, number, number, boolean]>([
    ["2 of 12 served: down", 2, 10, true],
    ["7 of 10 served: down", 7, 3, true],
    ["8 of 10 served (80 %): not down", 8, 2, false],
    ["none of 9 served: not down (too few attempts to tell)", 0, 9, false],
    ["all served: not down", 40, 0, false],
    ["nothing attempted: not down", 0, 0, false],
  ])("%s", (_name, successes, failures, down) => {
    const catalog = withUptime(successes, failures);
    for (const r of [0, 0.5]) {
      const first = attemptsOf({ model: "m/u" }, catalog, { random: () => r })[0];
      // r = 0 draws the cheapest healthy endpoint.
      if (down) expect(first).toBe("m/u@dear");
      else if (r === 0) expect(first).toBe("m/u@cheap");
    }
    expect(attemptsOf({ model: "m/u", provider: { sort: "price" } }, catalog)).toEqual(
      down ? ["m/u@dear", "m/u@cheap"] : ["m/u@cheap", "m/u@dear"],
    );
  });

  it("stays a fallback, and keeps its place in a client's provider.order", () => {
    const catalog = withUptime(0, 20);
    expect(attemptsOf({ model: "m/u" }, catalog)).toEqual(["m/u@dear", "m/u@cheap"]);
    expect(attemptsOf({ model: "m/u", provider: { order: ["cheap"] } }, catalog)).toEqual([
      "m/u@cheap",
      "m/u@dear",
    ]);
  });

  it("is matched to the endpoint by model and provider; rows of endpoints not in the catalog are ignored", () => {
    const catalog = catalogOf({ "m/k": [{ provider: "p" }] });
    const snapshot = buildSnapshot(
      {
        providers: [...catalog.providers.values()],
        models: [...catalog.models.values()],
        endpoints: [...catalog.endpointsByModel.values()].flat(),
      },
      [
        statsRow("m/k", "p", { latency: 5, successes: 0, failures: 10 }),
        statsRow("m/gone", "p", { latency: 1 }),
      ],
    );
    const id = catalog.endpointsByModel.get("m/k")![0]!.id;
    expect([...snapshot.measured.byEndpoint.keys()]).toEqual([id]);
    expect([...snapshot.measured.unreliable]).toEqual([id]);
  });
});

describe("exclusions across models", () => {
  it("collects every reason, per model and provider, and leaves an empty plan when nothing is left", () => {
    const catalog = catalogOf(
      {
        "m/a": [
          { provider: "trainer", prompt: 1 },
          { provider: "tiny", prompt: 1, contextLength: 1000 },
        ],
        "m/b": [{ provider: "pricey", prompt: 50 }],
      },
      { trainer: { dataPolicy: { training: true, retainsPrompts: false } } },
    );
    const result = plan(
      { models: ["m/a", "m/b"], provider: { data_collection: "deny", max_price: { prompt: 10 } } },
      catalog,
      { promptTokens: 2000 },
    );
    expect(result).toEqual({
      attempts: [],
      excluded: {
        "data_policy:training": ["m/a@trainer"],
        context_length: ["m/a@tiny"],
        max_price: ["m/b@pricey"],
      },
    });
  });
});

describe('tool-call quality: sort "exacto", :exacto and Auto Exacto (b3, b4)', () => {
  const tools: ChatRequest["tools"] = [{ type: "function", function: { name: "get_weather" } }];
  // Error rates over the last day: cheap 30 %, mid 2 %, dear 0 %; `few` has too few calls (< 20)
  // to be measured, `unmeasured` none at all; `degraded` is the best at tool calls but degraded.
  const catalog = catalogOf({
    "m/t": [
      { provider: "cheap", prompt: 1, completion: 1, measured: { toolCalls: 100, toolCallErrors: 30 } },
      { provider: "mid", prompt: 2, completion: 2, measured: { toolCalls: 100, toolCallErrors: 2 } },
      { provider: "dear", prompt: 4, completion: 4, measured: { toolCalls: 40, toolCallErrors: 0 } },
      { provider: "few", prompt: 0.5, completion: 0.5, measured: { toolCalls: 19, toolCallErrors: 0 } },
      { provider: "unmeasured", prompt: 3, completion: 3 },
      {
        provider: "degraded",
        prompt: 5,
        completion: 5,
        status: -1,
        measured: { toolCalls: 100, toolCallErrors: 0 },
      },
    ],
  });
  const byQuality = ["dear", "mid", "cheap", "few", "unmeasured", "degraded"];
  const byPrice = ["few", "cheap", "mid", "unmeasured", "dear", "degraded"];

  it.each<[string, Partial<ChatRequest>, string[]]>([
    [
      'sort "exacto": fewest broken tool calls first, the unmeasured after by price, degraded last',
      { provider: { sort: "exacto" } },
      byQuality,
    ],
    [":exacto is the same sort", { model: "m/t:exacto" }, byQuality],
    [":exacto with tools: the same sort, no draw", { model: "m/t:exacto", tools }, byQuality],
    ["an explicit sort wins over :exacto", { model: "m/t:exacto", provider: { sort: "price" } }, byPrice],
    [
      "Auto Exacto: with tools, the markedly worse endpoint (30 % against 0 %) goes behind the draw",
      { tools },
      ["few", "mid", "unmeasured", "dear", "cheap", "degraded"],
    ],
    ["an explicit price sort opts out of Auto Exacto", { tools, provider: { sort: "price" } }, byPrice],
    [":floor (a price sort) opts out of Auto Exacto", { model: "m/t:floor", tools }, byPrice],
    [
      "the client's own order opts out of Auto Exacto",
      { tools, provider: { order: ["cheap"] } },
      ["cheap", "few", "mid", "unmeasured", "dear", "degraded"],
    ],
    ["without tools the price draw is unchanged", {}, byPrice],
    ["with an empty tools list the price draw is unchanged", { tools: [] }, byPrice],
  ])("%s", (_name, request, expected) => {
    const model = request.model ?? "m/t";
    expect(attemptsOf({ model: "m/t", ...request }, catalog)).toEqual(expected.map((p) => `${model}@${p}`));
  });

  it("keeps the draw price-weighted among the endpoints Auto Exacto leaves in front", () => {
    const random = seeded(7);
    const first = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const [head] = attemptsOf({ model: "m/t", tools }, catalog, { random });
      first.set(head!, (first.get(head!) ?? 0) + 1);
    }
    // 1/price²: few (0.5) outweighs mid (2) 16 to 1; cheap (1) is never drawn, being behind.
    expect(first.get("m/t@cheap")).toBeUndefined();
    expect(first.get("m/t@few")!).toBeGreaterThan(first.get("m/t@mid")! * 8);
  });

  /** `cheap` against a dearer `best`, both with 100 calls: is cheap held back behind best? */
  it.each<[string, number, number, boolean]>([
    ["2 % against 1 %: twice as bad but 1 point, noise", 1, 2, false],
    ["18 % against 10 %: 8 points but under twice", 10, 18, false],
    ["20 % against 10 %: twice and 10 points", 10, 20, true],
    ["5 % against 0 %: 5 points above a flawless one", 0, 5, true],
    ["4 % against 0 %: under 5 points", 0, 4, false],
  ])("demotes by ratio AND margin: %s", (_name, bestErrors, cheapErrors, demoted) => {
    const two = catalogOf({
      "m/r": [
        { provider: "cheap", prompt: 1, measured: { toolCalls: 100, toolCallErrors: cheapErrors } },
        { provider: "best", prompt: 2, measured: { toolCalls: 100, toolCallErrors: bestErrors } },
      ],
    });
    expect(attemptsOf({ model: "m/r", tools }, two)[0]).toBe(demoted ? "m/r@best" : "m/r@cheap");
  });

  it("sets no bar from an endpoint that is down, and holds back no endpoint with too few calls", () => {
    const some = catalogOf({
      "m/d": [
        { provider: "cheap", prompt: 1, measured: { toolCalls: 100, toolCallErrors: 30 } },
        { provider: "down", prompt: 2, status: -1, measured: { toolCalls: 100, toolCallErrors: 0 } },
        { provider: "sparse", prompt: 0.9, measured: { toolCalls: 10, toolCallErrors: 10 } },
      ],
    });
    // `cheap` is the only measured endpoint up: nothing to compare it with.
    expect(attemptsOf({ model: "m/d", tools }, some)).toEqual(["m/d@sparse", "m/d@cheap", "m/d@down"]);
  });
});
