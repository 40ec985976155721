/**
 * Which catalog provider a BYOK credential is for. OpenRouter's SDK names providers by its own
 * slugs (`BYOKProviderSlug`); the catalog uses the same slugs, but for a few SDK variants of one
 * provider, mapped here. A provider this gateway does not serve, or cannot call with a single
 * user key, is refused when the credential is made, not when a request would use it.
 */
import type { CatalogSnapshot } from "../catalog/snapshot";

/** SDK slugs that name a catalog provider under another slug. */
const SDK_ALIASES: Readonly<Record<string, string>> = {
  "anthropic/2": "anthropic",
  "claude-on-aws": "amazon-bedrock",
  "amazon-bedrock/claude-on-aws": "amazon-bedrock",
};

/**
 * Adapters whose requests one key cannot authorise: Bedrock signs with a key id *and* a secret,
 * and an Azure key only opens the operator's own resource (its URL comes from the catalog).
 */
const SINGLE_KEY_UNSUPPORTED = new Set(["bedrock", "azure"]);

export type ProviderResolution = { ok: true; slug: string } | { ok: false; message: string };

export function resolveByokProvider(requested: string, catalog: CatalogSnapshot): ProviderResolution {
  const lower = requested.toLowerCase();
  const slug = SDK_ALIASES[lower] ?? lower;
  const provider = catalog.providers.get(slug);
  if (!provider) {
    return {
      ok: false,
      message: `Provider ${requested} is not served by this gateway (see GET /api/v1/providers)`,
    };
  }
  if (SINGLE_KEY_UNSUPPORTED.has(provider.adapter)) {
    return {
      ok: false,
      message: `Bring-your-own-key is not supported for ${provider.name}: its requests need more than a single API key`,
    };
  }
  if (!provider.apiKeyEnv) {
    return { ok: false, message: `${provider.name} is called without a key: there is nothing to bring` };
  }
  return { ok: true, slug };
}
