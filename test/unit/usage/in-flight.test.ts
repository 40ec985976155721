/**
 * The isolate's ledger of money held by requests in flight: per account and per key, released
 * once however often a request ends, and empty again when nothing runs.
 */
import { describe, expect, it } from "vitest";
import { InFlightSpend, NOTHING_HELD } from "../../../src/usage/in-flight";

describe("InFlightSpend", () => {
  it("holds nothing for an account or key with nothing in flight", () => {
    expect(new InFlightSpend().held("acct", "key")).toBe(NOTHING_HELD);
  });

  it("sums holds per account across its keys, and per key", () => {
    const ledger = new InFlightSpend();
    ledger.reserve("acct", "key-a", 5n);
    ledger.reserve("acct", "key-a", 3n);
    ledger.reserve("acct", "key-b", 2n);
    ledger.reserve("other", "key-c", 100n);
    expect(ledger.held("acct", "key-a")).toEqual({ account: 10n, key: 8n });
    expect(ledger.held("acct", "key-b")).toEqual({ account: 10n, key: 2n });
  });

  it("releases a reservation once, however often it is released", () => {
    const ledger = new InFlightSpend();
    const first = ledger.reserve("acct", "key", 5n);
    ledger.reserve("acct", "key", 7n);
    ledger.release(first);
    ledger.release(first);
    expect(ledger.held("acct", "key")).toEqual({ account: 7n, key: 7n });
  });

  it("holds nothing again once an account's last request ends", () => {
    const ledger = new InFlightSpend();
    const a = ledger.reserve("acct", "key", 5n);
    const b = ledger.reserve("acct", "key", 6n);
    ledger.release(b);
    ledger.release(a);
    expect(ledger.held("acct", "key")).toBe(NOTHING_HELD);
  });

  it("sweeps idle accounts and keys once there are more than it keeps", () => {
    const ledger = new InFlightSpend(3);
    const running = ledger.reserve("busy", "busy-key", 1n);
    for (let i = 0; i < 100; i++) ledger.release(ledger.reserve(`a${i}`, `k${i}`, 2n));
    expect(ledger.accountEntries).toBeLessThanOrEqual(3);
    expect(ledger.held("busy", "busy-key")).toEqual({ account: 1n, key: 1n });
    ledger.release(running);
  });
});
