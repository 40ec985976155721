import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCatalogText } from "../../../src/catalog/parse";

const FILE = "catalog/default.json";
const catalog = parseCatalogText(readFileSync(new URL(`../../../${FILE}`, import.meta.url), "utf8"), FILE);

describe("catalog/default.json", () => {
  it("holds at least 40 models", () => {
    expect(catalog.models.length).toBeGreaterThanOrEqual(40);
  });

  it.each([
    ["openai", "openai"],
    ["anthropic", "anthropic"],
    ["google-ai-studio", "google"],
    ["google-vertex", "google"],
    ["azure", "azure"],
    ["amazon-bedrock", "bedrock"],
    ["mistral", "openai"],
    ["groq", "openai"],
    ["together", "openai"],
    ["deepinfra", "openai"],
    ["fireworks", "openai"],
    ["deepseek", "openai"],
    ["xai", "openai"],
    ["ollama", "openai"],
  ])("has provider %s on the %s adapter", (slug, adapter) => {
    const provider = catalog.providers.find((p) => p.slug === slug);
    expect(provider?.adapter).toBe(adapter);
    expect(provider?.privacyPolicyUrl).toMatch(/^https:\/\//);
  });

  it("configures the providers whose adapters need settings", () => {
    const bySlug = new Map(catalog.providers.map((p) => [p.slug, p]));
    expect(bySlug.get("google-vertex")?.config).toMatchObject({ vertex: true });
    expect(bySlug.get("azure")?.config?.apiVersion).toMatch(/^\d{4}-\d{2}-\d{2}/);
    expect(bySlug.get("amazon-bedrock")).toMatchObject({
      apiKeyEnv: "AWS_ACCESS_KEY_ID",
      config: { region: "us-east-1", secretAccessKeyEnv: "AWS_SECRET_ACCESS_KEY" },
    });
    expect(bySlug.get("ollama")).toMatchObject({ baseUrl: "http://127.0.0.1:11434/v1" });
    expect(bySlug.get("ollama")?.apiKeyEnv).toBeUndefined();
  });

  it("has at least 5 models served by 3 or more providers", () => {
    const perModel = new Map<string, number>();
    for (const e of catalog.endpoints) perModel.set(e.model, (perModel.get(e.model) ?? 0) + 1);
    expect([...perModel.values()].filter((n) => n >= 3).length).toBeGreaterThanOrEqual(5);
  });

  it("prices every endpoint with decimal strings (per token, not per million)", () => {
    for (const e of catalog.endpoints) {
      for (const value of Object.values(e.pricing)) {
        expect(typeof value).toBe("string");
        expect(value).toMatch(/^\d+(\.\d{1,12})?$/);
        // No real price is $1 or more per token: catches a per-million figure pasted unconverted.
        expect(Number(value)).toBeLessThan(0.001);
      }
    }
  });

  it("offers free endpoints (the :free variants), from Ollama and a real free tier", () => {
    const free = catalog.endpoints.filter((e) => e.pricing.prompt === "0" && e.pricing.completion === "0");
    expect(free.some((e) => e.provider === "ollama")).toBe(true);
    expect(free.some((e) => e.provider !== "ollama")).toBe(true);
    expect(catalog.endpoints.filter((e) => e.provider === "ollama").every((e) => free.includes(e))).toBe(
      true,
    );
  });

  it("serves Claude on Anthropic and Bedrock, GPT on OpenAI and Azure, Gemini on AI Studio and Vertex", () => {
    const providersOf = (model: string) =>
      catalog.endpoints.filter((e) => e.model === model).map((e) => e.provider);
    expect(providersOf("anthropic/claude-sonnet-4.5")).toEqual(
      expect.arrayContaining(["anthropic", "amazon-bedrock"]),
    );
    expect(providersOf("openai/gpt-4o-mini")).toEqual(expect.arrayContaining(["openai", "azure"]));
    expect(providersOf("google/gemini-2.5-flash")).toEqual(
      expect.arrayContaining(["google-ai-studio", "google-vertex"]),
    );
  });

  it("gives every model at least one endpoint and uses OpenRouter-style ids", () => {
    const served = new Set(catalog.endpoints.map((e) => e.model));
    for (const m of catalog.models) {
      expect(served.has(m.id), m.id).toBe(true);
      expect(m.id).toMatch(/^[a-z0-9-]+\/[a-z0-9.:-]+$/);
    }
  });

  it("never lets an endpoint promise more context than its model has", () => {
    const ctx = new Map(catalog.models.map((m) => [m.id, m.contextLength]));
    for (const e of catalog.endpoints)
      expect(e.contextLength, e.model).toBeLessThanOrEqual(ctx.get(e.model)!);
  });

  it("publishes cache prices where the provider does", () => {
    const sonnet = catalog.endpoints.find(
      (e) => e.model === "anthropic/claude-sonnet-4.5" && e.provider === "anthropic",
    );
    expect(sonnet?.pricing).toMatchObject({ inputCacheRead: "0.0000003", inputCacheWrite: "0.00000375" });
    const mini = catalog.endpoints.find((e) => e.model === "openai/gpt-4o-mini" && e.provider === "openai");
    expect(mini?.pricing.inputCacheRead).toBe("0.000000075");
  });
});
