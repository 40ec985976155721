import { describe, expect, it } from "vitest";
import { CatalogError, formatPath, parseCatalog, parseCatalogText } from "../../../src/catalog/parse";

/** A small valid catalog; each bad case below breaks one thing in a fresh copy. */
function validCatalog() {
  return {
    providers: [
      {
        slug: "openai",
        name: "OpenAI",
        adapter: "openai",
        baseUrl: "https://api.openai.com/v1",
        apiKeyEnv: "OPENAI_API_KEY",
        dataPolicy: { training: false, retainsPrompts: true, retentionDays: 30 },
      },
    ],
    models: [
      {
        id: "openai/gpt-4o-mini",
        name: "OpenAI: GPT-4o-mini",
        created: "2024-07-18",
        contextLength: 128000,
        inputModalities: ["text", "image"],
        outputModalities: ["text"],
      },
      {
        id: "openai/gpt-4o",
        name: "OpenAI: GPT-4o",
        created: "2024-05-13",
        contextLength: 128000,
        inputModalities: ["text"],
        outputModalities: ["text"],
      },
    ],
    endpoints: [
      {
        model: "openai/gpt-4o-mini",
        provider: "openai",
        providerModelId: "gpt-4o-mini",
        contextLength: 128000,
        pricing: { prompt: "0.00000015", completion: "0.0000006" },
        supportedParameters: ["tools"],
      },
      {
        model: "openai/gpt-4o",
        provider: "openai",
        providerModelId: "gpt-4o",
        contextLength: 128000,
        pricing: { prompt: "0.0000025", completion: "0.00001" },
        supportedParameters: [],
      },
    ],
  };
}

type Cat = ReturnType<typeof validCatalog>;

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected an error");
}

describe("parseCatalog", () => {
  it("accepts a valid catalog and applies defaults", () => {
    const cat = parseCatalog(validCatalog(), "catalog/ok.json");
    expect(cat.endpoints[0]?.quantization).toBe("unknown");
    expect(cat.models[0]?.description).toBe("");
  });

  it.each<[string, (c: Cat) => void, string]>([
    [
      "a missing required field",
      (c) => {
        delete (c.models[1] as Partial<Cat["models"][number]>).name;
      },
      "catalog/bad.json: models[1].name: required",
    ],
    [
      "a float price",
      (c) => {
        (c.endpoints[1]!.pricing as Record<string, unknown>).prompt = 0.0000025;
      },
      'catalog/bad.json: endpoints[1].pricing.prompt: a non-negative decimal string such as "0.0000015"',
    ],
    [
      "a negative price",
      (c) => {
        c.endpoints[0]!.pricing.completion = "-1";
      },
      "catalog/bad.json: endpoints[0].pricing.completion: a non-negative decimal string",
    ],
    [
      "a price finer than the numeric columns keep",
      (c) => {
        c.endpoints[0]!.pricing.prompt = "0.0000000000001";
      },
      "catalog/bad.json: endpoints[0].pricing.prompt: at most 12 digits after the decimal point",
    ],
    [
      "an unknown provider in an endpoint",
      (c) => {
        c.endpoints[1]!.provider = "nope";
      },
      'catalog/bad.json: endpoints[1].provider: unknown provider "nope"',
    ],
    [
      "an unknown model in an endpoint",
      (c) => {
        c.endpoints[0]!.model = "openai/gpt-9";
      },
      'catalog/bad.json: endpoints[0].model: unknown model "openai/gpt-9"',
    ],
    [
      "a duplicate model",
      (c) => {
        c.models[1]!.id = "openai/gpt-4o-mini";
        c.endpoints[1]!.model = "openai/gpt-4o-mini";
        c.endpoints[1]!.provider = "openai";
      },
      'catalog/bad.json: models[1].id: duplicate model "openai/gpt-4o-mini"',
    ],
    [
      "a wrong adapter",
      (c) => {
        c.providers[0]!.adapter = "cohere";
      },
      "catalog/bad.json: providers[0].adapter: Invalid option",
    ],
    [
      "an unknown field",
      (c) => {
        (c.providers[0] as Record<string, unknown>).apiKey = "sk-secret";
      },
      'catalog/bad.json: providers[0]: unknown field "apiKey"',
    ],
    [
      "a bad release date",
      (c) => {
        c.models[0]!.created = "July 2024";
      },
      "catalog/bad.json: models[0].created:",
    ],
  ])("names file, path and field for %s", (_label, breakIt, expected) => {
    const cat = validCatalog();
    breakIt(cat);
    const message = messageOf(() => parseCatalog(cat, "catalog/bad.json"));
    expect(message).toContain(expected);
  });

  it("lists every problem, up to ten, and counts the rest", () => {
    const cat = validCatalog();
    const endpoint = cat.endpoints[0]!;
    cat.endpoints = Array.from({ length: 12 }, () => ({
      ...endpoint,
      pricing: { prompt: 1 as unknown as string, completion: "0" },
    }));
    const err = (() => {
      try {
        parseCatalog(cat, "catalog/many.json");
      } catch (e) {
        return e as CatalogError;
      }
      throw new Error("expected an error");
    })();
    expect(err).toBeInstanceOf(CatalogError);
    expect(err.issues).toHaveLength(12);
    expect(err.message).toContain("catalog/many.json: invalid catalog (12 problems)");
    expect(err.message).toContain("endpoints[9].pricing.prompt");
    expect(err.message).not.toContain("endpoints[10].pricing.prompt");
    expect(err.message).toContain("… and 2 more");
  });

  it("refuses what the database cannot store, so validate never passes a file load rejects", () => {
    const huge = validCatalog();
    huge.endpoints[0]!.contextLength = 3_000_000_000;
    expect(messageOf(() => parseCatalog(huge, "catalog/huge.json"))).toContain("endpoints[0].contextLength");
    const rich = validCatalog();
    rich.endpoints[0]!.pricing.prompt = `1${"0".repeat(30)}`;
    expect(messageOf(() => parseCatalog(rich, "catalog/rich.json"))).toContain(
      "at most 26 digits before the decimal point",
    );
    const nul = JSON.stringify(validCatalog()).replace('"name":"', '"name":"\\u0000');
    expect(messageOf(() => parseCatalogText(nul, "catalog/nul.json"))).toContain("NUL character");
    // An escaped backslash before "u0000" is text, not a NUL.
    const text = JSON.stringify(validCatalog()).replace('"name":"', '"name":"\\\\u0000');
    expect(() => parseCatalogText(text, "catalog/text.json")).not.toThrow();
  });

  it("names the file for text that is not JSON", () => {
    expect(messageOf(() => parseCatalogText("{ nope", "catalog/broken.json"))).toMatch(
      /^catalog\/broken\.json: invalid catalog[\s\S]*catalog\/broken\.json: not valid JSON/,
    );
  });
});

describe("formatPath", () => {
  it.each<[PropertyKey[], string]>([
    [["endpoints", 3, "pricing", "prompt"], "endpoints[3].pricing.prompt"],
    [["providers", 0], "providers[0]"],
    [[], "(root)"],
    [["models", 1, "weird key"], 'models[1]["weird key"]'],
  ])("%j → %s", (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});
