/**
 * OAuth PKCE authorization codes (src/db/schema.ts `authCodes`). An exchange is decided by one
 * conditional UPDATE of the code's row: it compares the verifier with the stored challenge, counts
 * a failure or marks the code used, and skips codes that are used, expired or already failed
 * MAX_FAILED_EXCHANGES times. Postgres runs concurrent UPDATEs of one row one after another, each
 * re-reading the row the previous one left (READ COMMITTED re-checks the WHERE clause), so:
 * - exactly one right exchange can win, and a failed key insert (same transaction) leaves the code unused;
 * - no more than MAX_FAILED_EXCHANGES wrong verifiers are ever compared, however many arrive at once,
 *   and a right one arriving after them finds the code dead.
 * Checking the verifier in the isolate and counting afterwards would let a burst of guesses all be
 * checked against a count of zero.
 */
import { and, eq, gt, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import {
  AUTH_CODE_TTL_MINUTES,
  type CodeChallengeMethod,
  MAX_FAILED_EXCHANGES,
  type VerifierChallenges,
} from "../../auth/pkce";
import type { Db } from "../client";
import { apiKeys, authCodes } from "../schema";
import type { ApiKeyRow } from "./keys";

export type NewAuthCode = Omit<
  typeof authCodes.$inferInsert,
  "expiresAt" | "usedAt" | "failedAttempts" | "createdAt"
>;

/** Stores a code that expires AUTH_CODE_TTL_MINUTES from now (the database's clock); drops long-dead ones. */
export async function insertAuthCode(db: Db, code: NewAuthCode): Promise<{ createdAt: Date }> {
  await sweepAuthCodes(db);
  const [row] = await db
    .insert(authCodes)
    .values({ ...code, expiresAt: sql`now() + make_interval(mins => ${AUTH_CODE_TTL_MINUTES})` })
    .returning({ createdAt: authCodes.createdAt });
  return row!;
}

/** Codes are kept a day past their expiry (for a clear "expired" answer), then deleted. */
const KEEP_EXPIRED = sql`interval '1 day'`;

/**
 * Deleted per sweep at most, so one request never pays for a large backlog: each request that
 * writes the table (making a code, exchanging one) first removes up to this many dead codes, so
 * they are removed far faster than codes can be made and cannot pile up. No cron: plain workerd
 * (`npm run serve`) has no scheduler, and nothing on the chat path touches this table.
 */
export const SWEEP_BATCH = 100;

/**
 * Deletes up to SWEEP_BATCH codes that expired more than a day ago (used ones included: every code
 * expires AUTH_CODE_TTL_MINUTES after it was made); returns how many. `skip locked`: concurrent
 * sweeps take different rows instead of waiting on each other.
 */
export async function sweepAuthCodes(db: Db): Promise<number> {
  const dead = db
    .select({ codeHash: authCodes.codeHash })
    .from(authCodes)
    .where(lt(authCodes.expiresAt, sql`now() - ${KEEP_EXPIRED}`))
    .limit(SWEEP_BATCH)
    .for("update", { skipLocked: true });
  const deleted = await db
    .delete(authCodes)
    .where(inArray(authCodes.codeHash, dead))
    .returning({ codeHash: authCodes.codeHash });
  return deleted.length;
}

/** What an exchange presents besides the code. */
export interface ExchangeProof {
  /** The challenge the verifier answers under each method (`challengesFor`); null without a verifier. */
  challenges: VerifierChallenges | null;
  /** The method the client says the code was made with; null when it did not say. */
  method: CodeChallengeMethod | null;
}

/** The key a redeemed code creates: the secret's hash and rendering (the rest comes from the code). */
export interface RedeemedKey {
  hash: string;
  label: string;
}

/**
 * Why an exchange was refused. `invalid` is an unknown code, a wrong or missing verifier, a wrong
 * method, and a code dead from too many of those: one answer, so a guesser cannot tell a wrong
 * guess from a code that no longer takes any.
 */
export type ExchangeRefusal = "invalid" | "used" | "expired" | "approver_inactive" | "key_expired";

export type ExchangeOutcome = { ok: true; key: ApiKeyRow } | { ok: false; reason: ExchangeRefusal };

const approverActive = and(
  eq(apiKeys.disabled, false),
  or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)),
);
const approverStillActive = sql`exists (select 1 from ${apiKeys} where ${apiKeys.hash} = ${authCodes.approvedByKeyHash} and ${approverActive})`;
const newKeyUnexpired = sql`(${authCodes.keyExpiresAt} is null or ${authCodes.keyExpiresAt} > now())`;

/**
 * Whether the proof answers the code's challenge: always for a code made without one; otherwise
 * the method, when given, must be the code's, and the verifier's challenge under the code's method
 * must be the stored one. A plain `=`, not a constant-time compare: a guesser gets
 * MAX_FAILED_EXCHANGES tries, too few for a timing side channel to tell anything.
 */
function proofMatches({ challenges, method }: ExchangeProof): SQL {
  const s256 = challenges?.S256 ?? null;
  const plain = challenges?.plain ?? null;
  return sql`(${authCodes.codeChallenge} is null or (
    (${method}::text is null or ${method}::text = ${authCodes.codeChallengeMethod})
    and (case ${authCodes.codeChallengeMethod}
      when 'S256' then ${authCodes.codeChallenge} = ${s256}::text
      when 'plain' then ${authCodes.codeChallenge} = ${plain}::text
    end) is true))`;
}

/**
 * Exchanges a code for a new key on the code's account, or says why not. A refusal for the proof
 * is counted (and committed: the outcome is returned, not thrown, so the transaction keeps it).
 */
export async function exchangeAuthCode(
  db: Db,
  codeHash: string,
  proof: ExchangeProof,
  key: RedeemedKey,
): Promise<ExchangeOutcome> {
  // Here too, not only when codes are made: exchanges (a guesser's included) go on after the
  // last code was made, and each leaves fewer dead rows than it found.
  await sweepAuthCodes(db);
  const proofOk = proofMatches(proof);
  return db.transaction(async (tx): Promise<ExchangeOutcome> => {
    const [code] = await tx
      .update(authCodes)
      .set({
        failedAttempts: sql`${authCodes.failedAttempts} + (case when ${proofOk} then 0 else 1 end)`,
        usedAt: sql`case when ${proofOk} and ${approverStillActive} and ${newKeyUnexpired} then now() end`,
      })
      .where(
        and(
          eq(authCodes.codeHash, codeHash),
          isNull(authCodes.usedAt),
          gt(authCodes.expiresAt, sql`now()`),
          lt(authCodes.failedAttempts, MAX_FAILED_EXCHANGES),
        ),
      )
      .returning({
        accountId: authCodes.accountId,
        keyName: authCodes.keyName,
        keyLimit: authCodes.keyLimit,
        keyLimitReset: authCodes.keyLimitReset,
        keyExpiresAt: authCodes.keyExpiresAt,
        redeemed: sql<boolean>`${authCodes.usedAt} is not null`,
        proofOk: sql<boolean>`${proofOk}`,
        approverActive: sql<boolean>`${approverStillActive}`,
      });
    if (!code) return { ok: false, reason: await whyNotExchangeable(tx, codeHash) };
    if (!code.redeemed) {
      if (!code.proofOk) return { ok: false, reason: "invalid" };
      return { ok: false, reason: code.approverActive ? "key_expired" : "approver_inactive" };
    }
    const [row] = await tx
      .insert(apiKeys)
      .values({
        hash: key.hash,
        label: key.label,
        name: code.keyName,
        accountId: code.accountId,
        limit: code.keyLimit,
        limitReset: code.keyLimitReset,
        expiresAt: code.keyExpiresAt,
      })
      .returning();
    return { ok: true, key: row! };
  });
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Why the UPDATE skipped a code: unknown, used, expired, or dead from failed exchanges. */
async function whyNotExchangeable(tx: Tx, codeHash: string): Promise<ExchangeRefusal> {
  const [row] = await tx
    .select({ usedAt: authCodes.usedAt, live: sql<boolean>`${authCodes.expiresAt} > now()` })
    .from(authCodes)
    .where(eq(authCodes.codeHash, codeHash));
  if (!row) return "invalid";
  if (row.usedAt !== null) return "used";
  if (!row.live) return "expired";
  return "invalid";
}
