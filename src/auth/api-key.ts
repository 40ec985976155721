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
