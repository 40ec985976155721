import { describe, expect, it } from "vitest";
import { balanceUsd, limitRemaining, toDecimalString } from "../../../src/api/keys";
import { filterModels, modelSpeeds, modelViews, resolveModel, trimDecimal } from "../../../src/api/models";
import { buildSnapshot } from "../../../src/catalog/snapshot";
import type { EndpointRow, ModelRow } from "../../../src/db/queries/catalog";
import type { KeyRecord } from "../../../src/db/queries/keys";
import { parseDecimal } from "../../../src/usage/decimal";
import { catalogOf } from "../routing/catalog-rows";

describe("money on the wire", () => {
  it.each([
    [10, "10"],
    [0.1, "0.1"],
    [1e-7, "0.0000001"],
    [0, "0"],
    [123.456, "123.456"],
  ])("toDecimalString(%s) = %s", (n, s) => expect(toDecimalString(n)).toBe(s));

  it.each([
    ["0.000000150000", "0.00000015"],
    ["2.000", "2"],
    ["0.000000000000", "0"],
    ["15", "15"],
  ])("trimDecimal(%s) = %s", (a, b) => expect(trimDecimal(a)).toBe(b));

  const key = (over: {
    limit?: string | null;
    limitReset?: KeyRecord["limitReset"];
    credits?: string;
    spent?: string;
  }) =>
    ({
      limitReset: over.limitReset ?? null,
      money: {
        limit: over.limit === null ? null : parseDecimal(over.limit ?? "10"),
        account: { credits: parseDecimal(over.credits ?? "20"), usage: parseDecimal(over.spent ?? "8") },
        usage: parseDecimal("8"),
        usageDaily: parseDecimal("1"),
        usageWeekly: parseDecimal("2"),
        usageMonthly: parseDecimal("3"),
      },
    }) as KeyRecord;

  it("subtracts the balance exactly, rounding once", () => {
    expect(balanceUsd(key({ credits: "0.3", spent: "0.1" }))).toBe(0.2);
    expect(balanceUsd(key({ credits: "10.000000000000", spent: "2.500000000000" }))).toBe(7.5);
    expect(balanceUsd(key({ credits: "1", spent: "3" }))).toBe(-2);
  });

  it.each([
    [null, 2],
    ["daily", 9],
    ["weekly", 8],
    ["monthly", 7],
  ] as const)("limit_remaining with reset %s", (limitReset, left) => {
    expect(limitRemaining(key({ limitReset }))).toBe(left);
  });

  it("has no limit_remaining without a limit, and never a negative one", () => {
    expect(limitRemaining(key({ limit: null }))).toBeNull();
    expect(limitRemaining(key({ limit: "1" }))).toBe(0);
  });
});

describe("model views", () => {
  const model = (id: string, released: string, outputs = ["text"]): ModelRow =>
    ({
      id,
      canonicalSlug: id,
      name: id,
      releasedAt: new Date(released),
      description: "",
      contextLength: 1000,
      inputModalities: ["text"],
      outputModalities: outputs,
      tokenizer: "Other",
      instructType: null,
      reasoning: null,
      defaultParameters: null,
      expirationDate: null,
    }) as ModelRow;
  const endpoint = (
    modelId: string,
    providerSlug: string,
    prompt: string,
    params: string[] = [],
  ): EndpointRow =>
    ({
      modelId,
      providerSlug,
      contextLength: 1000,
      maxCompletionTokens: null,
      maxPromptTokens: null,
      pricePrompt: prompt,
      priceCompletion: prompt,
      priceRequest: "0",
      priceImage: "0",
      priceInputCacheRead: null,
      priceInputCacheWrite: null,
      priceInternalReasoning: null,
      supportedParameters: params,
      quantization: "unknown",
      status: 0,
      supportsImplicitCaching: false,
    }) as EndpointRow;

  const snapshot = buildSnapshot({
    providers: [],
    models: [model("a/old", "2020-01-01"), model("a/new", "2025-01-01"), model("a/none", "2024-01-01")],
    endpoints: [
      endpoint("a/old", "p1", "0.000002", ["tools"]),
      endpoint("a/old", "p2", "0.000001", ["seed"]),
      endpoint("a/new", "p1", "0", ["tools"]),
    ],
  });

  it("lists paid entries and :free variants, skipping models without endpoints, built once per snapshot", () => {
    const views = modelViews(snapshot);
    expect(views.map((m) => m.id)).toEqual(["a/new:free", "a/old"]);
    expect(views.find((m) => m.id === "a/old")?.pricing.prompt).toBe("0.000001");
    expect(views.find((m) => m.id === "a/old")?.supported_parameters).toEqual(["seed", "tools"]);
    expect(views.find((m) => m.id === "a/new:free")).toMatchObject({
      links: { details: "/api/v1/models/a/new:free/endpoints" },
      supported_voices: null,
    });
    expect(modelViews(snapshot)).toBe(views);
  });

  it("filters and sorts", () => {
    const views = modelViews(snapshot);
    expect(filterModels(views, { supported_parameters: "seed" }).map((m) => m.id)).toEqual(["a/old"]);
    expect(filterModels(views, { sort: "pricing-high-to-low" }).map((m) => m.id)).toEqual([
      "a/old",
      "a/new:free",
    ]);
    expect(filterModels(views, { output_modalities: "image" })).toEqual([]);
  });

  it("resolves ids and :free variants", () => {
    expect(resolveModel(snapshot, "a/old")?.endpoints).toHaveLength(2);
    expect(resolveModel(snapshot, "a/new:free")).toMatchObject({ free: true });
    expect(resolveModel(snapshot, "a/old:free")).toBeNull();
    // Free endpoints only: listed as a/new:free alone, so the plain id resolves to nothing.
    expect(resolveModel(snapshot, "a/new")).toBeNull();
    expect(resolveModel(snapshot, "a/none")).toBeNull();
    expect(resolveModel(snapshot, "b/x")).toBeNull();
  });
});

describe("/models sorted by measured speed", () => {
  // Each model's best endpoint counts: m/fast has one quick endpoint beside a slow one.
  const snapshot = catalogOf({
    "m/fast": [
      { provider: "slow", measured: { latency: 2_000, throughput: 10 } },
      { provider: "quick", measured: { latency: 150, throughput: 300 } },
    ],
    "m/mid": [{ provider: "p", measured: { latency: 600, throughput: 80 } }],
    "m/unmeasured": [{ provider: "p" }],
    "m/streamless": [{ provider: "p", measured: { throughput: 500 } }],
  });
  const ids = (sort: "throughput-high-to-low" | "latency-low-to-high") =>
    filterModels(modelViews(snapshot), { sort }, modelSpeeds(snapshot)).map((m) => m.id);

  it("throughput-high-to-low: by the model's best p50 tokens per second, unmeasured models after", () => {
    expect(ids("throughput-high-to-low").slice(0, 3)).toEqual(["m/streamless", "m/fast", "m/mid"]);
    expect(ids("throughput-high-to-low").at(-1)).toBe("m/unmeasured");
  });

  it("latency-low-to-high: by the model's best p50 time to first token, unmeasured models after", () => {
    expect(ids("latency-low-to-high").slice(0, 2)).toEqual(["m/fast", "m/mid"]);
    expect(ids("latency-low-to-high").slice(2).sort()).toEqual(["m/streamless", "m/unmeasured"]);
  });
});
