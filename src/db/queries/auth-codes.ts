/**
 * OAuth PKCE authorization codes (src/db/schema.ts `authCodes`). A code is redeemed by one
 * conditional UPDATE (unused, unexpired, approving key still enabled), in the same transaction as
 * the key it creates: of two concurrent exchanges exactly one wins, and a failed key insert leaves
 * the code unused.
 */
import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { AUTH_CODE_TTL_MINUTES } from "../../auth/pkce";
import type { Db } from "../client";
import { apiKeys, authCodes } from "../schema";
import type { ApiKeyRow } from "./keys";

export type AuthCodeRow = typeof authCodes.$inferSelect;
export type NewAuthCode = Omit<typeof authCodes.$inferInsert, "expiresAt" | "usedAt" | "createdAt">;

/** Codes are kept a day past their expiry (for a clear "expired" answer), then deleted. */
const KEEP_EXPIRED = sql`interval '1 day'`;

/** Stores a code that expires AUTH_CODE_TTL_MINUTES from now (the database's clock); drops long-dead ones. */
export async function insertAuthCode(db: Db, code: NewAuthCode): Promise<{ createdAt: Date }> {
  await db.delete(authCodes).where(lt(authCodes.expiresAt, sql`now() - ${KEEP_EXPIRED}`));
  const [row] = await db
    .insert(authCodes)
    .values({ ...code, expiresAt: sql`now() + make_interval(mins => ${AUTH_CODE_TTL_MINUTES})` })
    .returning({ createdAt: authCodes.createdAt });
  return row!;
}

/** A code as the exchange sees it: its row, whether it is still live, and its approving key's state. */
export interface AuthCodeState {
  code: AuthCodeRow;
  /** Unexpired by the database's clock (the one the redeeming UPDATE uses). */
  live: boolean;
  /** The key that approved it is still enabled and unexpired. */
  approverActive: boolean;
  /** The key it would create has no expiry, or one still ahead. */
  keyUnexpired: boolean;
}

const approverActive = and(
  eq(apiKeys.disabled, false),
  or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)),
);

export async function findAuthCode(db: Db, codeHash: string): Promise<AuthCodeState | null> {
  const [row] = await db
    .select({
      code: authCodes,
      live: sql<boolean>`${authCodes.expiresAt} > now()`,
      approverActive: sql<boolean>`coalesce(${approverActive}, false)`,
      keyUnexpired: sql<boolean>`${authCodes.keyExpiresAt} is null or ${authCodes.keyExpiresAt} > now()`,
    })
    .from(authCodes)
    .leftJoin(apiKeys, eq(apiKeys.hash, authCodes.approvedByKeyHash))
    .where(eq(authCodes.codeHash, codeHash));
  return row ?? null;
}

/** The key a redeemed code creates: the secret's hash and rendering (the rest comes from the code). */
export interface RedeemedKey {
  hash: string;
  label: string;
}

/**
 * Marks the code used and creates its key on the code's account, atomically; null (and nothing
 * written) when the code is unknown, used, expired, or its approving key is no longer active.
 */
export async function redeemAuthCode(db: Db, codeHash: string, key: RedeemedKey): Promise<ApiKeyRow | null> {
  return db.transaction(async (tx) => {
    const [code] = await tx
      .update(authCodes)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(authCodes.codeHash, codeHash),
          isNull(authCodes.usedAt),
          gt(authCodes.expiresAt, sql`now()`),
          sql`exists (select 1 from ${apiKeys} where ${apiKeys.hash} = ${authCodes.approvedByKeyHash} and ${approverActive})`,
        ),
      )
      .returning();
    if (!code) return null;
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
    return row!;
  });
}
