/**
 * From the sealed rows a key record is read with to the credentials routing uses. Runs in the
 * key cache's cold load only, never per request.
 */
import type { SealedCredential } from "../db/queries/byok";
import type { ByokCredential } from "./credential";
import { byokCipherKey, decryptSecret } from "./crypto";

/**
 * The account's credentials, decrypted; undefined when there are none usable — no rows, no (or a
 * malformed) BYOK_ENCRYPTION_KEY — so the key record carries nothing and routing skips BYOK. A row
 * that does not decrypt under the current secret (rotated, tampered) is left out and named in the
 * log by id only, never with any of its key.
 */
export async function unsealCredentials(
  sealed: readonly SealedCredential[],
  secret: unknown,
): Promise<ByokCredential[] | undefined> {
  if (sealed.length === 0) return undefined;
  const cipherKey = byokCipherKey(secret);
  if (!cipherKey) return undefined;
  const key = await cipherKey;
  const opened: ByokCredential[] = [];
  for (const row of sealed) {
    const apiKey = await decryptSecret(key, row.key_ciphertext);
    if (apiKey === undefined) {
      console.warn(
        `byok: credential ${row.id} does not decrypt with the current BYOK_ENCRYPTION_KEY; skipped`,
      );
      continue;
    }
    opened.push({
      id: row.id,
      provider: row.provider,
      apiKey,
      isFallback: row.is_fallback,
      isRequired: row.is_required,
      isByokOnly: row.is_byok_only,
      sortOrder: row.sort_order,
      allowedModels: row.allowed_models,
      allowedApiKeyHashes: row.allowed_api_key_hashes,
      allowedUserIds: row.allowed_user_ids,
      declaredZdr: row.declared_zdr,
    });
  }
  return opened.length > 0 ? opened : undefined;
}
