/**
 * The pre-flight money check (API.md b9 402, b12 limits): free endpoints pass unless the
 * balance is negative; an unaffordable max_tokens is a 402 with OpenRouter's message; without
 * max_tokens the completion is clamped to what the balance covers; a key's limit counts spend
 * in its limit_reset period (BYOK list-price spend only with include_byok_in_limit); what requests in flight hold counts as spent. And applySpend, the
 * in-isolate view of spend between refreshes.
 */
import { describe, expect, it } from "vitest";
import type { KeyMoney, KeyRecord } from "../../../src/db/queries/keys";
import { GatewayError } from "../../../src/errors";
import { endpointPrices } from "../../../src/usage/cost";
import { formatDecimal, parseDecimal } from "../../../src/usage/decimal";
import {
  applyByokSpend,
  applySpend,
  checkSpend,
  REALISTIC_COMPLETION_TOKENS,
  spendable,
} from "../../../src/usage/spend";
import { endpointRow } from "../routing/catalog-rows";

/** A key's fields, with its money written as the decimal strings the database returns. */
type MoneyField = Exclude<keyof KeyMoney, "account"> | "accountCredits" | "accountUsage";
type KeyFields = Partial<Omit<KeyRecord, "money">> & { [K in MoneyField]?: string };

function key(fields: KeyFields = {}): KeyRecord {
  const at = new Date("2025-01-01T00:00:00Z");
  const {
    limit,
    accountCredits = "10",
    accountUsage = "0",
    usage = "0",
    usageDaily = "0",
    usageWeekly = "0",
    usageMonthly = "0",
    byokUsage = "0",
    byokUsageDaily = "0",
    byokUsageWeekly = "0",
    byokUsageMonthly = "0",
    ...rest
  } = fields;
  return {
    hash: "h",
    accountId: "00000000-0000-0000-0000-000000000000",
    name: "test",
    label: "sk-sy-v1-abc…xyz",
    isManagement: false,
    limitReset: null,
    includeByokInLimit: false,
    disabled: false,
    expiresAt: null,
    createdAt: at,
    updatedAt: at,
    ...rest,
    money: {
      limit: limit === undefined ? null : parseDecimal(limit),
      account: { credits: parseDecimal(accountCredits), usage: parseDecimal(accountUsage) },
      usage: parseDecimal(usage),
      usageDaily: parseDecimal(usageDaily),
      usageWeekly: parseDecimal(usageWeekly),
      usageMonthly: parseDecimal(usageMonthly),
      byokUsage: parseDecimal(byokUsage),
      byokUsageDaily: parseDecimal(byokUsageDaily),
      byokUsageWeekly: parseDecimal(byokUsageWeekly),
      byokUsageMonthly: parseDecimal(byokUsageMonthly),
    },
  };
}

/** $1 per million in, $2 per million out: 1,000 prompt tokens cost $0.001, each output token $0.000002. */
const paid = endpointPrices(endpointRow("m/x", { provider: "p", prompt: 1, completion: 2 }));
const free = endpointPrices(endpointRow("m/x", { provider: "p", prompt: 0, completion: 0 }));
const withFee = endpointPrices(
  endpointRow("m/x", { provider: "p", prompt: 1, completion: 2, priceRequest: "0.004" }),
);
const promptOnly = endpointPrices(endpointRow("m/x", { provider: "p", prompt: 1, completion: 0 }));

describe("spendable", () => {
  it.each<[string, KeyFields, string]>([
    ["no limit: the account balance", { accountCredits: "10", accountUsage: "2.5" }, "7.5"],
    ["a negative balance", { accountCredits: "1", accountUsage: "1.2" }, "-0.2"],
    ["a lifetime limit below the balance", { limit: "3", usage: "1" }, "2"],
    ["a limit above the balance: the balance", { limit: "100", usage: "1", accountUsage: "9" }, "1"],
    [
      "daily limit counts today's spend",
      { limit: "1", limitReset: "daily", usageDaily: "0.25", usage: "50" },
      "0.75",
    ],
    [
      "weekly limit counts this week's spend",
      { limit: "5", limitReset: "weekly", usageWeekly: "4", usageDaily: "0" },
      "1",
    ],
    [
      "monthly limit counts this month's spend",
      { limit: "5", limitReset: "monthly", usageMonthly: "5" },
      "0",
    ],
    [
      "BYOK list-price spend is not the limit's by default (b12)",
      { limit: "5", limitReset: "daily", usageDaily: "1", byokUsageDaily: "3" },
      "4",
    ],
    [
      "…unless include_byok_in_limit",
      { limit: "5", limitReset: "daily", usageDaily: "1", byokUsageDaily: "3", includeByokInLimit: true },
      "1",
    ],
    [
      "…for a lifetime limit too",
      { limit: "5", usage: "1", byokUsage: "3.5", includeByokInLimit: true },
      "0.5",
    ],
  ])("%s", (_name, fields, expected) => {
    expect(formatDecimal(spendable(key(fields)))).toBe(expected);
  });
});

const ok = (r: ReturnType<typeof checkSpend>) => {
  if (r instanceof GatewayError) throw new Error(`unexpected ${r.status}: ${r.message}`);
  return r;
};
/** A passing check without its reservation: `{}`, or the clamp it made. */
const passed = (r: ReturnType<typeof checkSpend>) => {
  const { reserve: _reserve, ...rest } = ok(r);
  return rest;
};
const refused = (r: ReturnType<typeof checkSpend>) => {
  if (!(r instanceof GatewayError)) throw new Error(`expected a 402, got ${JSON.stringify(r)}`);
  expect(r.status).toBe(402);
  expect(r.type).toBe("payment_required");
  return r;
};

describe("checkSpend: free endpoints", () => {
  it.each<[string, KeyFields]>([
    ["a positive balance", {}],
    ["a zero balance", { accountCredits: "0" }],
    ["an exhausted key limit", { limit: "1", usage: "1" }],
  ])("pass with %s", (_name, fields) => {
    expect(passed(checkSpend(key(fields), free, true, 100_000, 100_000, null))).toEqual({});
  });

  it("are refused when the balance is negative (b12)", () => {
    const err = refused(
      checkSpend(key({ accountCredits: "1", accountUsage: "1.01" }), free, true, 10, undefined, null),
    );
    expect(err.message).toMatch(/balance is negative/);
  });
});

describe("checkSpend: with max_tokens", () => {
  // $0.01 available, 1,000 prompt tokens ($0.001): $0.009 left = 4,500 output tokens.
  const account = key({ accountCredits: "0.01" });

  it.each([1, 1024, 4500])("max_tokens %i is affordable", (maxTokens) => {
    expect(passed(checkSpend(account, paid, false, 1000, maxTokens, null))).toEqual({});
  });

  it("one token more is a 402 with OpenRouter's message and the amount available", () => {
    const err = refused(checkSpend(account, paid, false, 1000, 4501, null));
    expect(err.message).toBe(
      "This request requires more credits, or fewer max_tokens. You requested up to 4501 tokens, but can only afford 4500.",
    );
    expect(err.toErrorObject().metadata).toMatchObject({ available_usd: "0.01" });
  });

  it("the per-request fee is reserved too", () => {
    // $0.01 − $0.001 prompt − $0.004 fee = $0.005 = 2,500 tokens.
    expect(passed(checkSpend(account, withFee, false, 1000, 2500, null))).toEqual({});
    expect(refused(checkSpend(account, withFee, false, 1000, 2501, null)).message).toContain(
      "can only afford 2500",
    );
  });

  it("a prompt that alone exceeds the balance affords 0 tokens", () => {
    expect(refused(checkSpend(account, paid, false, 20_000, 1, null)).message).toContain("can only afford 0");
  });

  it("free output: any max_tokens is affordable once the prompt is", () => {
    expect(passed(checkSpend(account, promptOnly, false, 1000, 1_000_000, null))).toEqual({});
  });
});

describe("checkSpend: without max_tokens", () => {
  it.each<[string, string, number, number | null, { clampMaxTokens?: number } | "402"]>([
    ["plenty: nothing to do", "10", 1000, null, {}],
    [`exactly ${REALISTIC_COMPLETION_TOKENS} tokens: nothing to do`, "0.003048", 1000, null, {}],
    ["fewer than 1,024 affordable: clamped to what is", "0.002", 1000, null, { clampMaxTokens: 500 }],
    ["the endpoint's own cap lowers the realistic reserve", "0.002", 1000, 256, {}],
    ["16 tokens is the least worth sending", "0.001032", 1000, null, { clampMaxTokens: 16 }],
    ["fewer than 16: 402", "0.00103", 1000, null, "402"],
  ])("%s", (_name, credits, promptTokens, endpointMax, expected) => {
    const result = checkSpend(
      key({ accountCredits: credits }),
      paid,
      false,
      promptTokens,
      undefined,
      endpointMax,
    );
    if (expected === "402") expect(refused(result).message).toMatch(/Insufficient credits for this request/);
    else expect(passed(result)).toEqual(expected);
  });
});

describe("checkSpend: nothing left to spend", () => {
  it.each<[string, KeyFields, RegExp]>([
    ["a zero balance", { accountCredits: "5", accountUsage: "5" }, /^Insufficient credits/],
    ["a negative balance", { accountCredits: "5", accountUsage: "6" }, /^Insufficient credits/],
    ["a lifetime limit used up", { limit: "2", usage: "2" }, /spending limit is exhausted/],
    [
      "a daily limit used up today",
      { limit: "1", limitReset: "daily", usageDaily: "1", usage: "1" },
      /spending limit/,
    ],
    ["a weekly limit used up", { limit: "1", limitReset: "weekly", usageWeekly: "1.5" }, /spending limit/],
    ["a monthly limit used up", { limit: "1", limitReset: "monthly", usageMonthly: "1" }, /spending limit/],
    [
      "an empty account behind an unused limit",
      { limit: "10", accountCredits: "0" },
      /^Insufficient credits/,
    ],
  ])("%s → 402", (_name, fields, message) => {
    expect(refused(checkSpend(key(fields), paid, false, 10, 10, null)).message).toMatch(message);
  });

  it.each<[string, KeyFields]>([
    [
      "yesterday's spend does not count against a daily limit",
      { limit: "1", limitReset: "daily", usageDaily: "0", usage: "30" },
    ],
    [
      "last month's spend does not count against a monthly limit",
      { limit: "1", limitReset: "monthly", usageMonthly: "0.5", usage: "30" },
    ],
  ])("%s", (_name, fields) => {
    expect(passed(checkSpend(key(fields), paid, false, 10, 10, null))).toEqual({});
  });
});

describe("checkSpend: the reservation (the most the request is expected to cost)", () => {
  const reserveOf = (r: ReturnType<typeof checkSpend>) => formatDecimal(ok(r).reserve);

  it("is the prompt, the fee and max_tokens of output", () => {
    // $0.001 prompt + $0.004 fee + 100 × $0.000002.
    expect(reserveOf(checkSpend(key(), withFee, false, 1000, 100, null))).toBe("0.0052");
  });

  it(`is ${REALISTIC_COMPLETION_TOKENS} tokens of output without max_tokens`, () => {
    expect(reserveOf(checkSpend(key(), paid, false, 1000, undefined, null))).toBe("0.003048");
  });

  it("is the clamped output when the balance clamped it", () => {
    expect(reserveOf(checkSpend(key({ accountCredits: "0.002" }), paid, false, 1000, undefined, null))).toBe(
      "0.002",
    );
  });

  it("is nothing on a free endpoint", () => {
    expect(ok(checkSpend(key(), free, true, 1000, 100, null)).reserve).toBe(0n);
  });
});

describe("checkSpend: what requests in flight hold", () => {
  const held = (account: string, keyHeld = "0") => ({
    account: parseDecimal(account),
    key: parseDecimal(keyHeld),
  });

  it("counts against the balance", () => {
    // $0.01, of which $0.006 is held: $0.004 − $0.001 prompt = 1,500 tokens.
    const account = key({ accountCredits: "0.01" });
    expect(passed(checkSpend(account, paid, false, 1000, 1500, null, held("0.006", "0.006")))).toEqual({});
    expect(
      refused(checkSpend(account, paid, false, 1000, 1501, null, held("0.006", "0.006"))).message,
    ).toContain("can only afford 1500");
  });

  it("by other keys of the account count against the balance, not against this key's limit", () => {
    const limited = key({ accountCredits: "10", limit: "0.01" });
    // Another key holds $9.995 of the account: $0.005 left, below the limit's $0.01.
    expect(refused(checkSpend(limited, paid, false, 1000, 2001, null, held("9.995"))).message).toContain(
      "can only afford 2000",
    );
    // This key's own $0.006 in flight counts against its limit: $0.004 left.
    expect(
      refused(checkSpend(limited, paid, false, 1000, 1501, null, held("0.006", "0.006"))).message,
    ).toContain("can only afford 1500");
  });

  it("a balance held in full is a 402 that says it is held, not spent", () => {
    const account = key({ accountCredits: "0.01" });
    const err = refused(checkSpend(account, paid, false, 10, 10, null, held("0.01", "0.01")));
    expect(err.message).toBe(
      "Insufficient credits: the rest of the balance is held by requests still in flight",
    );
    const limited = key({ limit: "0.01" });
    expect(refused(checkSpend(limited, paid, false, 10, 10, null, held("0.01", "0.01"))).message).toBe(
      "This key's spending limit is held by its requests still in flight",
    );
  });

  it("do not block free endpoints", () => {
    expect(passed(checkSpend(key({ accountCredits: "0.01" }), free, true, 10, 10, null, held("5")))).toEqual(
      {},
    );
  });
});

describe("applySpend", () => {
  it("adds the cost to the balance's usage and every period, exactly", () => {
    const k = key({
      accountUsage: "1.5",
      usage: "0.1",
      usageDaily: "0",
      usageWeekly: "0.02",
      usageMonthly: "0.3",
    });
    applySpend(k, parseDecimal("0.0000000375"));
    expect(k.money).toEqual({
      limit: null,
      account: { credits: parseDecimal("10"), usage: parseDecimal("1.5000000375") },
      usage: parseDecimal("0.1000000375"),
      usageDaily: parseDecimal("0.0000000375"),
      usageWeekly: parseDecimal("0.0200000375"),
      usageMonthly: parseDecimal("0.3000000375"),
      byokUsage: 0n,
      byokUsageDaily: 0n,
      byokUsageWeekly: 0n,
      byokUsageMonthly: 0n,
    });
  });

  it("a BYOK generation's list price moves the BYOK periods only; with include_byok_in_limit the limit sees it", () => {
    const k = key({ limit: "1", limitReset: "weekly", includeByokInLimit: true, byokUsageWeekly: "0.2" });
    applyByokSpend(k, parseDecimal("0.3"));
    expect(k.money).toMatchObject({
      usage: 0n,
      usageWeekly: 0n,
      account: { usage: 0n },
      byokUsage: parseDecimal("0.3"),
      byokUsageDaily: parseDecimal("0.3"),
      byokUsageWeekly: parseDecimal("0.5"),
      byokUsageMonthly: parseDecimal("0.3"),
    });
    expect(formatDecimal(spendable(k))).toBe("0.5");
  });

  it("a zero cost changes nothing", () => {
    const k = key({ accountUsage: "1.50", usageDaily: "0.25" });
    const before = structuredClone(k.money);
    applySpend(k, 0n);
    expect(k.money).toEqual(before);
  });

  it("the next check sees the spend at once", () => {
    const k = key({ accountCredits: "0.01" });
    expect(passed(checkSpend(k, paid, false, 1000, 4500, null))).toEqual({});
    applySpend(k, parseDecimal("0.002"));
    expect(refused(checkSpend(k, paid, false, 1000, 4500, null)).message).toContain("can only afford 3500");
  });

  it("a limited key's period spend counts at once too", () => {
    const k = key({ limit: "0.005", limitReset: "daily", usageDaily: "0.001" });
    expect(formatDecimal(spendable(k))).toBe("0.004");
    applySpend(k, parseDecimal("0.003"));
    expect(formatDecimal(spendable(k))).toBe("0.001");
  });
});
