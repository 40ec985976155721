/**
 * The keys of one account share its balance in the isolate's key cache: what one key spends the
 * others see at once (a refresh of any of them brings the newest read to all), so two keys cannot
 * each spend the balance until their own records refresh.
 */
import { describe, expect, it } from "vitest";
import { shareAccountMoney } from "../../../src/cache/routing-data";
import type { KeyRecord } from "../../../src/db/queries/keys";
import { parseDecimal } from "../../../src/usage/decimal";
import { applySpend, balance } from "../../../src/usage/spend";

function record(accountId: string, hash: string, credits: string, usage: string): KeyRecord {
  return {
    accountId,
    hash,
    money: {
      limit: null,
      account: { credits: parseDecimal(credits), usage: parseDecimal(usage) },
      usage: 0n,
      usageDaily: 0n,
      usageWeekly: 0n,
      usageMonthly: 0n,
    },
  } as unknown as KeyRecord;
}

describe("shareAccountMoney", () => {
  it("a spend through one key is seen by the account's other keys at once", () => {
    const first = shareAccountMoney(record("acct-share", "k1", "10", "0"));
    const second = shareAccountMoney(record("acct-share", "k2", "10", "0"));
    applySpend(first, parseDecimal("4"));
    expect(balance(second)).toBe(parseDecimal("6"));
  });

  it("the newest read of any key is every key's view", () => {
    const first = shareAccountMoney(record("acct-fresh", "k1", "10", "1"));
    shareAccountMoney(record("acct-fresh", "k2", "12", "2"));
    expect(balance(first)).toBe(parseDecimal("10"));
  });

  it("leaves other accounts alone", () => {
    const mine = shareAccountMoney(record("acct-a", "k1", "10", "0"));
    const theirs = shareAccountMoney(record("acct-b", "k2", "10", "0"));
    applySpend(mine, parseDecimal("4"));
    expect(balance(theirs)).toBe(parseDecimal("10"));
  });
});
