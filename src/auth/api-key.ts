/**
 * API keys: random, shown once, stored as SHA-256 hex. Lookups go by hash, so the secret
 * itself is never compared byte by byte (no timing signal about its content).
 */
export const KEY_PREFIX = "sk-sy-v1-";
export const MANAGEMENT_KEY_PREFIX = "sk-sy-mgmt-v1-";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** 256 random bits, hex-encoded behind a recognisable prefix. */
export function generateApiKey(management = false): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return (management ? MANAGEMENT_KEY_PREFIX : KEY_PREFIX) + hex(bytes);
}

export async function hashApiKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return hex(new Uint8Array(digest));
}

/** Our keys are 73–78 characters; a longer bearer is hashed every time rather than remembered. */
const MAX_MEMO_KEY_LENGTH = 256;

/**
 * A memo of `hash` holding at most `maxEntries` keys: when full, the oldest entry is forgotten
 * (a Map iterates in insertion order). Safe because hashing is pure; bounded in count and key
 * length so that a flood of made-up keys costs at most ~maxEntries × 320 bytes of strings.
 */
export function memoizeKeyHash(
  hash: (key: string) => Promise<string>,
  maxEntries: number,
): (key: string) => Promise<string> {
  const hashes = new Map<string, string>();
  return async (key) => {
    const known = hashes.get(key);
    if (known !== undefined) return known;
    const computed = await hash(key);
    if (key.length > MAX_MEMO_KEY_LENGTH) return computed;
    if (hashes.size >= maxEntries) {
      const oldest = hashes.keys().next();
      if (!oldest.done) hashes.delete(oldest.value);
    }
    hashes.set(key, computed);
    return computed;
  };
}

/**
 * The hash of a caller's bearer key. Memoized because every request needs it and SHA-256
 * through crypto.subtle (plus the hex) was ~4% of a request's CPU; the same few keys repeat.
 */
export const hashBearerKey = memoizeKeyHash(hashApiKey, 10_000);

/** The non-secret rendering shown in listings: `sk-sy-v1-1a2…f9e`. */
export function keyLabel(key: string): string {
  return `${key.slice(0, key.lastIndexOf("-") + 4)}…${key.slice(-3)}`;
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
