/**
 * BYOK credentials (`byok_credentials`): the management API's reads and writes, and the sealed
 * (still encrypted) rows that come with a key record into the isolate's cache.
 */
import { type AnyColumn, and, asc, count, eq, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../client";
import { byokCredentials } from "../schema";

export type ByokRow = typeof byokCredentials.$inferSelect;
export type NewByokRow = typeof byokCredentials.$inferInsert;
export type ByokPatch = Partial<
  Omit<NewByokRow, "id" | "accountId" | "provider" | "createdAt" | "updatedAt">
>;

/**
 * What routing needs of one enabled credential, as the key-record query aggregates it: zod-checked
 * on the way in, because it arrives as JSON that the schema's types do not cover.
 */
export const sealedCredentialSchema = z.object({
  id: z.string(),
  provider: z.string(),
  key_ciphertext: z.string(),
  is_fallback: z.boolean(),
  is_required: z.boolean(),
  is_byok_only: z.boolean(),
  sort_order: z.number().int(),
  allowed_models: z.array(z.string()).nullable(),
  allowed_api_key_hashes: z.array(z.string()).nullable(),
  allowed_user_ids: z.array(z.string()).nullable(),
  declared_zdr: z.boolean().nullable(),
});
export type SealedCredential = z.infer<typeof sealedCredentialSchema>;
export const sealedCredentialsSchema = z.array(sealedCredentialSchema).nullable();

/**
 * A correlated subquery for the key-record read: the account's enabled credentials as one jsonb
 * array in sort order (null when it has none), so the cold key load stays one round trip.
 */
export function sealedCredentialsColumn(accountId: AnyColumn): SQL<unknown> {
  const b = byokCredentials;
  return sql`(select jsonb_agg(jsonb_build_object(
      'id', ${b.id}, 'provider', ${b.provider}, 'key_ciphertext', ${b.keyCiphertext},
      'is_fallback', ${b.isFallback}, 'is_required', ${b.isRequired}, 'is_byok_only', ${b.isByokOnly},
      'sort_order', ${b.sortOrder}, 'allowed_models', ${b.allowedModels},
      'allowed_api_key_hashes', ${b.allowedApiKeyHashes}, 'allowed_user_ids', ${b.allowedUserIds},
      'declared_zdr', ${b.declaredZdr}) order by ${b.sortOrder}, ${b.createdAt})
    from ${b} where ${b.accountId} = ${accountId} and not ${b.disabled})`;
}

export interface ByokFilter {
  accountId: string;
  provider?: string | undefined;
  offset: number;
  limit: number;
}

/** A page of an account's credentials (by provider, then sort order) and how many match in all. */
export async function listByok(db: Db, filter: ByokFilter): Promise<{ rows: ByokRow[]; total: number }> {
  const where = and(
    eq(byokCredentials.accountId, filter.accountId),
    filter.provider === undefined ? undefined : eq(byokCredentials.provider, filter.provider),
  );
  const [rows, totals] = await Promise.all([
    db
      .select()
      .from(byokCredentials)
      .where(where)
      .orderBy(asc(byokCredentials.provider), asc(byokCredentials.sortOrder), asc(byokCredentials.createdAt))
      .offset(filter.offset)
      .limit(filter.limit),
    db.select({ n: count() }).from(byokCredentials).where(where),
  ]);
  return { rows, total: totals[0]?.n ?? 0 };
}

export async function findByok(db: Db, id: string): Promise<ByokRow | null> {
  const [row] = await db.select().from(byokCredentials).where(eq(byokCredentials.id, id)).limit(1);
  return row ?? null;
}

/** The next `sort_order` for a provider of an account: a new credential goes last. */
export async function nextSortOrder(db: Db, accountId: string, provider: string): Promise<number> {
  const [row] = await db
    .select({ next: sql<number>`coalesce(max(${byokCredentials.sortOrder}) + 1, 0)::int` })
    .from(byokCredentials)
    .where(and(eq(byokCredentials.accountId, accountId), eq(byokCredentials.provider, provider)));
  return row?.next ?? 0;
}

export async function insertByok(db: Db, row: NewByokRow): Promise<ByokRow> {
  const [inserted] = await db.insert(byokCredentials).values(row).returning();
  if (!inserted) throw new Error("insert into byok_credentials returned no row");
  return inserted;
}

/** Changes a credential in one statement; null when there is none with this id. */
export async function updateByok(db: Db, id: string, patch: ByokPatch): Promise<ByokRow | null> {
  const [row] = await db
    .update(byokCredentials)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(byokCredentials.id, id))
    .returning();
  return row ?? null;
}

export async function deleteByok(db: Db, id: string): Promise<boolean> {
  const rows = await db
    .delete(byokCredentials)
    .where(eq(byokCredentials.id, id))
    .returning({ id: byokCredentials.id });
  return rows.length > 0;
}
