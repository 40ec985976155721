/**
 * The pre-flight money check (402 before any provider is called) and the in-isolate view of
 * spend between database refreshes.
 *
 * The reservation is realistic rather than the model's whole output limit (API.md §c.11): the
 * prompt at its price plus `max_tokens` when the client set it; without `max_tokens`, up to
 * 1,024 completion tokens — and when the balance cannot cover that, `max_tokens` is clamped to
 * what it can cover (at least 16) instead of refusing a "hello". That reservation is held while
 * the request runs (./in-flight.ts) and counts as spent for the requests beside it.
 */
import type { KeyRecord } from "../db/queries/keys";
import { GatewayError } from "../errors";
import type { Prices } from "./cost";
import { type Fixed, formatDecimal, times } from "./decimal";
import { type Held, NOTHING_HELD } from "./in-flight";

export const REALISTIC_COMPLETION_TOKENS = 1024;
const MIN_COMPLETION_TOKENS = 16;

/**
 * Spend that counts against the key's limit: the current period's when the limit resets, else
 * lifetime. BYOK list-price spend counts too with `include_byok_in_limit` (API.md b12); the BYOK
 * fee is ordinary spend and always counts.
 */
export function limitPeriodUsage(key: KeyRecord): Fixed {
  const m = key.money;
  const byok = key.includeByokInLimit;
  switch (key.limitReset) {
    case "daily":
      return byok ? m.usageDaily + m.byokUsageDaily : m.usageDaily;
    case "weekly":
      return byok ? m.usageWeekly + m.byokUsageWeekly : m.usageWeekly;
    case "monthly":
      return byok ? m.usageMonthly + m.byokUsageMonthly : m.usageMonthly;
    default:
      return byok ? m.usage + m.byokUsage : m.usage;
  }
}

/** What is left of the key's limit in the current period (may be negative); null without a limit. */
export function limitLeft(key: KeyRecord): Fixed | null {
  return key.money.limit === null ? null : key.money.limit - limitPeriodUsage(key);
}

/** The account's credits less its spend (may be negative). */
export function balance(key: KeyRecord): Fixed {
  return key.money.account.credits - key.money.account.usage;
}

/**
 * USD the key may still spend: the lower of the account balance and the key's limit in its
 * period, less what requests in flight hold against each.
 */
export function spendable(key: KeyRecord, held: Held = NOTHING_HELD): Fixed {
  const balanceLeft = balance(key) - held.account;
  const left = limitLeft(key);
  if (left === null) return balanceLeft;
  const remaining = left - held.key;
  if (remaining < balanceLeft) return remaining; // bigints: Math.min does not take them
  return balanceLeft;
}

export interface SpendCheck {
  /** Set when the completion had to be clamped to what the balance covers. */
  clampMaxTokens?: number | undefined;
  /** The most the request is expected to cost: held against the balance while it runs. */
  reserve: Fixed;
}

export function checkSpend(
  key: KeyRecord,
  prices: Prices,
  free: boolean,
  promptTokens: number,
  requestedMaxTokens: number | undefined,
  endpointMaxTokens: number | null,
  held: Held = NOTHING_HELD,
): SpendCheck | GatewayError {
  const available = spendable(key, held);
  if (free) {
    // A negative balance blocks free models too (API.md b12).
    if (balance(key) < 0n) {
      return new GatewayError(
        402,
        "payment_required",
        "Your account balance is negative; add credits to continue",
      );
    }
    return { reserve: 0n };
  }
  // The limit is what stops the key only when it is below the balance; an empty account is a
  // credits problem even behind an unused limit.
  const limitHit = key.money.limit !== null && available < balance(key) - held.account;
  if (available <= 0n) {
    // Spent, or held by requests still running: the client can tell which (and wait for the latter).
    const heldInFlight = spendable(key) > 0n;
    return new GatewayError(402, "payment_required", exhaustedMessage(limitHit, heldInFlight));
  }
  const promptCost = times(prices.prompt, promptTokens) + prices.request;
  const worstCase = (completionTokens: number): Fixed =>
    promptCost + times(prices.completion, completionTokens);
  const left = available - promptCost;
  const affordable =
    prices.completion === 0n ? Number.MAX_SAFE_INTEGER : left <= 0n ? 0 : Number(left / prices.completion);
  if (requestedMaxTokens !== undefined) {
    if (requestedMaxTokens <= affordable) return { reserve: worstCase(requestedMaxTokens) };
    return new GatewayError(
      402,
      "payment_required",
      `This request requires more credits, or fewer max_tokens. You requested up to ${requestedMaxTokens} tokens, but can only afford ${affordable}.`,
      { extra: { available_usd: formatDecimal(available, 8) } },
    );
  }
  const realistic = Math.min(REALISTIC_COMPLETION_TOKENS, endpointMaxTokens ?? REALISTIC_COMPLETION_TOKENS);
  if (affordable >= realistic) return { reserve: worstCase(realistic) };
  if (affordable >= MIN_COMPLETION_TOKENS)
    return { clampMaxTokens: affordable, reserve: worstCase(affordable) };
  return new GatewayError(
    402,
    "payment_required",
    `Insufficient credits for this request: it needs about $${formatDecimal(promptCost + times(prices.completion, MIN_COMPLETION_TOKENS), 8)}, the key can spend $${formatDecimal(available, 8)}`,
  );
}

function exhaustedMessage(limitHit: boolean, heldInFlight: boolean): string {
  if (limitHit) {
    return heldInFlight
      ? "This key's spending limit is held by its requests still in flight"
      : "This key's spending limit is exhausted";
  }
  return heldInFlight
    ? "Insufficient credits: the rest of the balance is held by requests still in flight"
    : "Insufficient credits: add credits to your account to continue";
}

/**
 * Moves the cached key record by a request's cost at once, so the next request in this isolate
 * sees it before the database does (the record is replaced by the next refresh, ≤ 10 s later).
 */
export function applySpend(key: KeyRecord, cost: Fixed): void {
  const money = key.money;
  money.account.usage += cost; // shared by the account's keys in this isolate
  money.usage += cost;
  money.usageDaily += cost;
  money.usageWeekly += cost;
  money.usageMonthly += cost;
}

/** `applySpend` for a BYOK generation's list price: what the user's own key was billed. */
export function applyByokSpend(key: KeyRecord, upstream: Fixed): void {
  const money = key.money;
  money.byokUsage += upstream;
  money.byokUsageDaily += upstream;
  money.byokUsageWeekly += upstream;
  money.byokUsageMonthly += upstream;
}
