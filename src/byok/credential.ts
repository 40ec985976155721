/**
 * A user's provider credential as routing sees it: decrypted, with only what decides where it
 * applies. Held in the isolate's key cache with the key record (never logged, never serialised).
 */
export interface ByokCredential {
  id: string;
  /** Catalog provider slug. */
  provider: string;
  /** The user's provider key, decrypted. */
  apiKey: string;
  isFallback: boolean;
  isRequired: boolean;
  isByokOnly: boolean;
  sortOrder: number;
  allowedModels: readonly string[] | null;
  allowedApiKeyHashes: readonly string[] | null;
  allowedUserIds: readonly string[] | null;
  declaredZdr: boolean | null;
}

/** Who is asking and for what: the parts of a request a credential's allowlists look at. */
export interface ByokRequestContext {
  /** SHA-256 hex of the calling API key. */
  apiKeyHash: string;
  /** The caller's user id (`user_<account id>`, as OAuth's exchange and error bodies name it). */
  userId: string;
  /** The request asked for zero data retention (`provider.zdr`). */
  zdr: boolean;
}

/**
 * Whether the credential may serve this caller at all (any model): disabled credentials never
 * reach the cache, so this checks the key and user allowlists, and refuses a credential its
 * owner declared non-ZDR for a request that requires ZDR.
 */
export function appliesToCaller(credential: ByokCredential, ctx: ByokRequestContext): boolean {
  if (credential.allowedApiKeyHashes && !credential.allowedApiKeyHashes.includes(ctx.apiKeyHash))
    return false;
  if (credential.allowedUserIds && !credential.allowedUserIds.includes(ctx.userId)) return false;
  if (ctx.zdr && credential.declaredZdr === false) return false;
  return true;
}

/**
 * Whether the credential covers this model: `allowed_models` names model ids, matched with or
 * without a variant suffix (`openai/gpt-4o` covers `openai/gpt-4o:nitro`).
 */
export function appliesToModel(credential: ByokCredential, modelId: string, baseModelId: string): boolean {
  const allowed = credential.allowedModels;
  return allowed === null || allowed.includes(baseModelId) || allowed.includes(modelId);
}
