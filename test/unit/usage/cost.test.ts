/**
 * Pricing a request per token class from the endpoint's catalog prices: uncached input, cache
 * reads and writes, output, reasoning at the internal-reasoning price when the endpoint has
 * one, and a per-request fee — in exact decimals.
 */
import { describe, expect, it } from "vitest";
import type { Usage } from "../../../src/schema/chat-completion";
import { endpointPrices, isFree, priceUsage } from "../../../src/usage/cost";
import { formatDecimal } from "../../../src/usage/decimal";
import { endpointRow, perToken } from "../routing/catalog-rows";

/** Claude-like prices: $3 in, $15 out, cache reads $0.30, cache writes $3.75 per million. */
const claude = endpointRow("m/x", {
  provider: "p",
  prompt: 3,
  completion: 15,
  priceInputCacheRead: perToken(0.3),
  priceInputCacheWrite: perToken(3.75),
});
const reasoner = endpointRow("m/x", {
  provider: "p",
  prompt: 1,
  completion: 4,
  priceInternalReasoning: perToken(2),
});
const withFee = endpointRow("m/x", { provider: "p", prompt: 1, completion: 1, priceRequest: "0.005" });
const plain = endpointRow("m/x", { provider: "p", prompt: 3, completion: 15 });

const usage = (
  prompt: number,
  completion: number,
  details: { cached?: number; write?: number; reasoning?: number } = {},
): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  prompt_tokens_details: { cached_tokens: details.cached ?? 0, cache_write_tokens: details.write ?? 0 },
  completion_tokens_details: { reasoning_tokens: details.reasoning ?? 0 },
});

describe("priceUsage", () => {
  it.each<[string, ReturnType<typeof endpointRow>, Usage, string, string, string]>([
    ["plain input and output", claude, usage(1000, 200), "0.003", "0.003", "0.006"],
    [
      "cache reads at the cache-read price",
      claude,
      usage(1000, 200, { cached: 400 }),
      "0.00192",
      "0.003",
      "0.00492",
    ],
    [
      "cache writes at the cache-write price",
      claude,
      usage(1000, 200, { write: 100 }),
      "0.003075",
      "0.003",
      "0.006075",
    ],
    [
      "reads, writes and uncached together",
      claude,
      usage(1000, 200, { cached: 400, write: 100 }),
      "0.001995",
      "0.003",
      "0.004995",
    ],
    [
      "no cache prices: cached tokens at the prompt price",
      plain,
      usage(1000, 200, { cached: 400 }),
      "0.003",
      "0.003",
      "0.006",
    ],
    [
      "reasoning at the internal-reasoning price",
      reasoner,
      usage(100, 300, { reasoning: 100 }),
      "0.0001",
      "0.001",
      "0.0011",
    ],
    [
      "no internal price: reasoning billed as output",
      claude,
      usage(0, 300, { reasoning: 100 }),
      "0",
      "0.0045",
      "0.0045",
    ],
    ["a per-request fee is added once", withFee, usage(1000, 1000), "0.001", "0.006", "0.007"],
    ["a per-request fee with no tokens", withFee, usage(0, 0), "0", "0.005", "0.005"],
    [
      "cached more than prompt never goes negative",
      claude,
      usage(100, 0, { cached: 150 }),
      "0.000045",
      "0",
      "0.000045",
    ],
  ])("%s", (_name, endpoint, u, prompt, completion, total) => {
    const cost = priceUsage(u, endpointPrices(endpoint));
    expect({
      prompt: formatDecimal(cost.prompt, 18),
      completion: formatDecimal(cost.completion, 18),
      total: formatDecimal(cost.total, 18),
    }).toEqual({ prompt, completion, total });
    expect(cost.total).toBe(cost.prompt + cost.completion);
  });

  it("tiny prices stay exact: one token at $0.0375 per million is 0.0000000375", () => {
    const cheap = endpointRow("m/x", { provider: "p", prompt: 0.0375, completion: 0.0375 });
    expect(formatDecimal(priceUsage(usage(1, 0), endpointPrices(cheap)).total, 18)).toBe("0.0000000375");
    expect(formatDecimal(priceUsage(usage(1, 1), endpointPrices(cheap)).total, 18)).toBe("0.000000075");
  });

  it("usage without details prices everything as plain input and output", () => {
    const bare: Usage = { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };
    expect(formatDecimal(priceUsage(bare, endpointPrices(claude)).total, 18)).toBe("0.00018");
  });
});

describe("isFree", () => {
  it.each([
    ["zero prompt, completion and request", { prompt: 0, completion: 0 }, true],
    ["a prompt price", { prompt: 0.1, completion: 0 }, false],
    ["a completion price", { prompt: 0, completion: 0.1 }, false],
    ["a request fee", { prompt: 0, completion: 0, priceRequest: "0.001" }, false],
  ])("%s → %s", (_name, spec, free) => {
    expect(isFree(endpointPrices(endpointRow("m/x", { provider: "p", ...spec })))).toBe(free);
  });
});
