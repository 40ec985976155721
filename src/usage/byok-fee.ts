/**
 * What a BYOK generation costs (API.md b12): the user pays the provider with their own key, and
 * the gateway charges 5% of what the same tokens cost at the endpoint's list price. Charging
 * and reserving with fee-scaled prices keeps every spend check (balance, key limit, in-flight
 * holds) in the currency that is actually charged.
 */
import type { Prices } from "./cost";
import type { Fixed } from "./decimal";

/** The BYOK fee, in percent of the list price. */
export const BYOK_FEE_PERCENT = 5n;

const scaled = new WeakMap<Prices, Prices>();

function fee(price: Fixed): Fixed {
  return (price * BYOK_FEE_PERCENT) / 100n;
}

/** The endpoint's prices scaled to the fee; cached per (already cached) list-price object. */
export function byokFeePrices(list: Prices): Prices {
  const known = scaled.get(list);
  if (known) return known;
  const prices: Prices = {
    prompt: fee(list.prompt),
    completion: fee(list.completion),
    request: fee(list.request),
    cacheRead: fee(list.cacheRead),
    cacheWrite: fee(list.cacheWrite),
    internalReasoning: list.internalReasoning === undefined ? undefined : fee(list.internalReasoning),
  };
  scaled.set(list, prices);
  return prices;
}
