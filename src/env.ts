/**
 * The Worker's bindings. Provider secrets are read by the names the catalog gives
 * (`apiKeyEnv`), so they are looked up dynamically and typed as an index signature.
 */
export interface Bindings {
  HYPERDRIVE: Hyperdrive;
  /** Seconds the in-isolate catalog/key cache serves data before refreshing it. */
  CACHE_TTL_SECONDS?: string;
  /** Milliseconds to wait for an upstream's first byte before falling back. */
  FIRST_BYTE_TIMEOUT_MS?: string;
  /** Milliseconds before a database read is abandoned (and stale data served, if any). */
  DB_TIMEOUT_MS?: string;
  /**
   * Secret: base64 of 32 random bytes, the AES-256-GCM key users' BYOK provider keys are
   * encrypted under. Without it, adding a credential is refused and routing ignores BYOK.
   */
  BYOK_ENCRYPTION_KEY?: string;
  /** Optional Cloudflare Queue for usage records; without it records are written in waitUntil. */
  USAGE_QUEUE?: Queue<unknown>;
  [secret: string]: unknown;
}

export type AppEnv = { Bindings: Bindings };
