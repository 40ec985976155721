/**
 * Router metadata (`X-OpenRouter-Metadata: enabled`, API.md b1/b7): the opt-in, the strategy a
 * request maps to, and the object built from a real plan, the attempt log and middle-out's
 * report. Every object is checked against OpenRouter's own SDK schema (the wire contract) and
 * ours (the OpenAPI document's).
 */
import { OpenRouterMetadata$inboundSchema } from "@openrouter/sdk/models";
import { describe, expect, it } from "vitest";
import type { GenerationAttempt } from "../../../src/db/schema";
import { type Attempt, planRoute } from "../../../src/routing/plan";
import {
  buildRouterMetadata,
  type RouterMetadataInput,
  routerMetadataRequested,
  routingStrategy,
} from "../../../src/routing/router-metadata";
import type { ChatRequest } from "../../../src/schema/chat-request";
import { type RouterMetadata, routerMetadataSchema } from "../../../src/schema/router-metadata";
import { fitToContext } from "../../../src/transforms";
import { catalogOf, chat } from "./catalog-rows";

describe("routerMetadataRequested", () => {
  it.each<[string, Record<string, string>, boolean]>([
    ["no header", {}, false],
    ["X-OpenRouter-Metadata: enabled", { "X-OpenRouter-Metadata": "enabled" }, true],
    ["any case of the value", { "x-openrouter-metadata": "ENABLED" }, true],
    ["mixed case", { "X-OpenRouter-Metadata": "Enabled" }, true],
    ["the experimental header", { "X-OpenRouter-Experimental-Metadata": "enabled" }, true],
    ["disabled", { "X-OpenRouter-Metadata": "disabled" }, false],
    ["an empty value", { "X-OpenRouter-Metadata": "" }, false],
    ["true", { "X-OpenRouter-Metadata": "true" }, false],
    ["a misspelling", { "X-OpenRouter-Metadata": "enable" }, false],
    ["a longer value", { "X-OpenRouter-Metadata": "enabled,x" }, false],
    [
      "the current header's disabled wins over the experimental one",
      { "X-OpenRouter-Metadata": "disabled", "X-OpenRouter-Experimental-Metadata": "enabled" },
      false,
    ],
  ])("%s → %s", (_name, headers, expected) => {
    expect(routerMetadataRequested(new Headers(headers))).toBe(expected);
  });
});

describe("routingStrategy", () => {
  it.each<[string, Partial<ChatRequest>, string]>([
    ["one model", { model: "m/a" }, "direct"],
    ["a models list of one", { models: ["m/a"] }, "direct"],
    ["model repeated in models", { model: "m/a", models: ["m/a"] }, "direct"],
    ["a models list", { models: ["m/a", "m/b"] }, "fallback"],
    ["model and another in models", { model: "m/a", models: ["m/b"] }, "fallback"],
    ["a :free model", { model: "m/a:free" }, "free"],
    ["a models list starting with :free", { models: ["m/a:free", "m/b"] }, "fallback"],
    ["another variant", { model: "m/a:nitro" }, "direct"],
  ])("%s → %s", (_name, fields, expected) => {
    expect(routingStrategy(chat(fields))).toBe(expected);
  });
});

const catalog = catalogOf(
  {
    // p1 is the cheapest, so `sort: price` puts it first.
    "m/a": [
      { provider: "p1", prompt: 1 },
      { provider: "p2", prompt: 2 },
      { provider: "p3", prompt: 3 },
    ],
    "m/b": [{ provider: "p2" }],
  },
  { p1: { name: "Provider One" }, p2: { name: "Provider Two" }, p3: { name: "Provider Three" } },
);

function planOf(fields: Partial<ChatRequest>): Attempt[] {
  return planRoute({
    request: chat({ provider: { sort: "price" }, ...fields }),
    catalog,
    promptTokens: 10,
    compression: () => false,
  }).attempts;
}

const logOf = (...entries: [Attempt, number][]): GenerationAttempt[] =>
  entries.map(([a, status]) => ({ provider: a.provider.slug, model: a.modelId, status, latencyMs: 5 }));

function build(overrides: Partial<RouterMetadataInput> & Pick<RouterMetadataInput, "candidates" | "served">) {
  const metadata = buildRouterMetadata({
    requested: "m/a",
    strategy: "direct",
    log: logOf([overrides.served, 200]),
    compression: undefined,
    generationTimeMs: 1234,
    ...overrides,
  });
  // What OpenRouter's SDK accepts, and our own schema (strict: nothing beyond it).
  expect(() => OpenRouterMetadata$inboundSchema.parse(metadata)).not.toThrow();
  expect(routerMetadataSchema.strict().parse(metadata)).toEqual(metadata);
  return metadata;
}

describe("buildRouterMetadata", () => {
  it("one model served by its first endpoint: every candidate listed, only the first selected", () => {
    const candidates = planOf({ model: "m/a" });
    const metadata = build({ candidates, served: candidates[0]! });
    expect(metadata).toEqual<RouterMetadata>({
      requested: "m/a",
      strategy: "direct",
      region: null,
      summary: "available=3, selected=Provider One",
      attempt: 1,
      is_byok: false,
      endpoints: {
        total: 3,
        available: [
          { provider: "Provider One", model: "m/a", selected: true },
          { provider: "Provider Two", model: "m/a", selected: false },
          { provider: "Provider Three", model: "m/a", selected: false },
        ],
      },
      attempts: [{ provider: "Provider One", model: "m/a", status: 200 }],
      pipeline: [],
      generation_time: 1234,
    });
  });

  it("after a fallback: both attempts with their statuses, the second selected and counted as attempt 2", () => {
    const candidates = planOf({ model: "m/a" });
    const [first, second] = candidates as [Attempt, Attempt];
    const metadata = build({ candidates, served: second, log: logOf([first, 500], [second, 200]) });
    expect(metadata.attempt).toBe(2);
    expect(metadata.attempts).toEqual([
      { provider: "Provider One", model: "m/a", status: 500 },
      { provider: "Provider Two", model: "m/a", status: 200 },
    ]);
    expect(metadata.endpoints.available.map((e) => e.selected)).toEqual([false, true, false]);
    expect(metadata.summary).toBe("available=3, selected=Provider Two");
  });

  it("a models list: the endpoints of every model, the second model's selected after the first's failed", () => {
    const request = { models: ["m/a", "m/b"] };
    const candidates = planOf(request);
    const served = candidates.find((c) => c.modelId === "m/b")!;
    const failed = candidates.filter((c) => c.modelId === "m/a");
    const metadata = build({
      candidates,
      served,
      strategy: routingStrategy(chat(request)),
      log: logOf(...failed.map((a): [Attempt, number] => [a, 502]), [served, 200]),
    });
    expect(metadata.strategy).toBe("fallback");
    expect(metadata.endpoints.total).toBe(4);
    expect(metadata.endpoints.available.filter((e) => e.selected)).toEqual([
      { provider: "Provider Two", model: "m/b", selected: true },
    ]);
    expect(metadata.attempt).toBe(4);
    expect(metadata.attempts.map((a) => [a.model, a.status])).toEqual([
      ["m/a", 502],
      ["m/a", 502],
      ["m/a", 502],
      ["m/b", 200],
    ]);
  });

  it("middle-out that cut the prompt is a context_compression stage with its counts", () => {
    const request = chat({
      model: "m/a",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "first" },
        ...Array.from({ length: 40 }, (_, i) => ({
          role: i % 2 ? ("user" as const) : ("assistant" as const),
          content: `turn ${i} ${"words ".repeat(200)}`,
        })),
        { role: "user", content: "last" },
      ],
    });
    const fit = fitToContext(request, { contextLength: 4_096 });
    expect(fit.report).toBeDefined();
    const report = fit.report!;
    const candidates = planOf({ model: "m/a" });
    const metadata = build({ candidates, served: candidates[0]!, compression: report });
    expect(metadata.pipeline).toEqual([
      {
        type: "context_compression",
        name: "context-compression",
        summary: `middle-out: messages 43->${report.messagesOut}, tokens ${report.tokensIn}->${report.tokensOut}`,
        data: {
          engine: "middle-out",
          input_type: "messages",
          original_count: 43,
          compressed_count: report.messagesOut,
          original_tokens: report.tokensIn,
          compressed_tokens: report.tokensOut,
          truncated_messages: report.truncatedMessages,
        },
      },
    ]);
    expect(report.messagesOut).toBeLessThan(43);
  });

  it("response healing that found the answer was not JSON is a response_healing stage, after compression", () => {
    const candidates = planOf({ model: "m/a" });
    const compression = {
      engine: "middle-out" as const,
      messagesIn: 9,
      messagesOut: 5,
      tokensIn: 900,
      tokensOut: 500,
      truncatedMessages: 0,
    };
    const metadata = build({
      candidates,
      served: candidates[0]!,
      compression,
      healing: { healed: 1, unrepairable: 1, choices: 2, repairs: ["code_fence", "trailing_comma"] },
    });
    expect(metadata.pipeline.map((stage) => stage.type)).toEqual(["context_compression", "response_healing"]);
    expect(metadata.pipeline[1]).toEqual({
      type: "response_healing",
      name: "response-healing",
      summary: "repaired 1 of 2 choices (code_fence, trailing_comma); could not repair 1 of 2 choices",
      data: { healed_choices: 1, unrepairable_choices: 1, repairs: ["code_fence", "trailing_comma"] },
    });
  });

  it("names providers and models only: no base URL, no slug-only internals, and a whole-millisecond time", () => {
    const candidates = planOf({ model: "m/a" });
    const metadata = build({ candidates, served: candidates[0]!, generationTimeMs: 12.6 });
    expect(JSON.stringify(metadata)).not.toMatch(/example\/v1|https?:/);
    expect(metadata.generation_time).toBe(13);
  });
});
