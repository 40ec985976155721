/**
 * The price of one request from the endpoint's catalog prices and the provider's token counts,
 * per token class: uncached input, cache reads, cache writes, output (reasoning billed as output
 * unless the endpoint prices internal reasoning separately), plus a per-request fee.
 */
import type { EndpointRow } from "../db/queries/catalog";
import type { Usage } from "../schema/chat-completion";
import { type Fixed, parseDecimal, times, ZERO } from "./decimal";

export interface Prices {
  prompt: Fixed;
  completion: Fixed;
  request: Fixed;
  cacheRead: Fixed;
  cacheWrite: Fixed;
  internalReasoning: Fixed | undefined;
}

/** Parsed once per catalog row: the snapshot keeps its rows until the next refresh. */
const parsed = new WeakMap<EndpointRow, Prices>();

export function endpointPrices(endpoint: EndpointRow): Prices {
  const cached = parsed.get(endpoint);
  if (cached) return cached;
  const prompt = parseDecimal(endpoint.pricePrompt);
  const prices: Prices = {
    prompt,
    completion: parseDecimal(endpoint.priceCompletion),
    request: parseDecimal(endpoint.priceRequest),
    cacheRead: endpoint.priceInputCacheRead === null ? prompt : parseDecimal(endpoint.priceInputCacheRead),
    cacheWrite: endpoint.priceInputCacheWrite === null ? prompt : parseDecimal(endpoint.priceInputCacheWrite),
    internalReasoning:
      endpoint.priceInternalReasoning === null ? undefined : parseDecimal(endpoint.priceInternalReasoning),
  };
  parsed.set(endpoint, prices);
  return prices;
}

export function isFree(prices: Prices): boolean {
  return prices.prompt === ZERO && prices.completion === ZERO && prices.request === ZERO;
}

/** Cache reads priced below input: a provider's prompt cache saves money, so sticky routing pays (b10). */
export function readsCacheCheaper(prices: Prices): boolean {
  return prices.cacheRead < prices.prompt;
}

export interface Cost {
  total: Fixed;
  prompt: Fixed;
  completion: Fixed;
}

export function priceUsage(usage: Usage, prices: Prices): Cost {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const cacheWrite = usage.prompt_tokens_details?.cache_write_tokens ?? 0;
  const uncached = Math.max(0, usage.prompt_tokens - cached - cacheWrite);
  const prompt =
    times(prices.prompt, uncached) + times(prices.cacheRead, cached) + times(prices.cacheWrite, cacheWrite);

  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? 0;
  const completion =
    prices.internalReasoning === undefined
      ? times(prices.completion, usage.completion_tokens)
      : times(prices.internalReasoning, reasoning) +
        times(prices.completion, Math.max(0, usage.completion_tokens - reasoning));
  return { total: prompt + completion + prices.request, prompt, completion: completion + prices.request };
}
