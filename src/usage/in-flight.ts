/**
 * Money held by requests this isolate is serving now: each paid request reserves its worst case
 * (the prompt, the fee and the completion it may produce) before the provider is called and
 * releases it when it is priced. Without this, thirty parallel requests on credits for three all
 * passed the pre-flight check against the same cached balance and all were served.
 *
 * Exact within an isolate, which is what `npm run serve` runs; across Cloudflare's isolates each
 * sees only its own, until the key's record is refreshed (≤ 10 s). A database-held reservation
 * belongs with the credits ledger on the roadmap; this one costs no round trip.
 */
import type { Fixed } from "./decimal";

/** What the other requests in flight hold against a key's account balance and its own limit. */
export interface Held {
  account: Fixed;
  key: Fixed;
}

export const NOTHING_HELD: Held = { account: 0n, key: 0n };

/** One request's hold; releasing it twice releases it once. */
export interface Reservation {
  readonly accountId: string;
  readonly keyHash: string;
  readonly amount: Fixed;
  released: boolean;
}

export class InFlightSpend {
  private readonly byAccount = new Map<string, Fixed>();
  private readonly byKey = new Map<string, Fixed>();

  /** `maxIdleEntries`: how many accounts or keys at zero are kept before they are swept. */
  constructor(private readonly maxIdleEntries = 10_000) {}

  /** Accounts with an entry, held or idle (for tests of the sweep). */
  get accountEntries(): number {
    return this.byAccount.size;
  }

  held(accountId: string, keyHash: string): Held {
    const account = this.byAccount.get(accountId) ?? 0n;
    const key = this.byKey.get(keyHash) ?? 0n;
    return account === 0n && key === 0n ? NOTHING_HELD : { account, key };
  }

  reserve(accountId: string, keyHash: string, amount: Fixed): Reservation {
    this.add(this.byAccount, accountId, amount);
    this.add(this.byKey, keyHash, amount);
    return { accountId, keyHash, amount, released: false };
  }

  release(reservation: Reservation): void {
    if (reservation.released) return;
    reservation.released = true;
    this.add(this.byAccount, reservation.accountId, -reservation.amount);
    this.add(this.byKey, reservation.keyHash, -reservation.amount);
  }

  /**
   * Totals at zero stay (deleting a Map's last entry shrinks its table, which the next request
   * grows again: an allocation per request) until there are many; then they are swept.
   */
  private add(totals: Map<string, Fixed>, id: string, amount: Fixed): void {
    totals.set(id, (totals.get(id) ?? 0n) + amount);
    if (totals.size > this.maxIdleEntries) {
      for (const [entry, total] of totals) if (total === 0n) totals.delete(entry);
    }
  }
}

/** The isolate's one ledger of requests in flight. */
export const inFlightSpend = new InFlightSpend();
