/**
 * Encryption at rest of users' provider keys (BYOK): AES-256-GCM through WebCrypto, under the
 * Worker secret BYOK_ENCRYPTION_KEY (base64 of 32 random bytes). A stored value is base64 of
 * IV (12 bytes) ‖ ciphertext ‖ tag, so each credential carries its own random IV and the tag
 * makes a tampered or foreign-key row fail to decrypt instead of yielding garbage.
 */

const IV_BYTES = 12;
const KEY_BYTES = 32;

/** The name of the secret, for messages and scripts. */
export const BYOK_SECRET_NAME = "BYOK_ENCRYPTION_KEY";

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text.trim());
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Imported keys by secret text: importKey costs more than a decryption, and the secret rarely changes. */
const imported = new Map<string, Promise<CryptoKey>>();

/**
 * The AES key the secret names, or undefined when the secret is absent or not base64 of 32 bytes
 * (the caller then refuses BYOK writes and routing ignores BYOK; the secret is never echoed).
 */
export function byokCipherKey(secret: unknown): Promise<CryptoKey> | undefined {
  if (typeof secret !== "string" || secret.length === 0) return undefined;
  const known = imported.get(secret);
  if (known) return known;
  const raw = fromBase64(secret);
  if (!raw || raw.length !== KEY_BYTES) return undefined;
  const key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  imported.set(secret, key);
  return key;
}

export async function encryptSecret(key: CryptoKey, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext)),
  );
  const out = new Uint8Array(IV_BYTES + sealed.length);
  out.set(iv);
  out.set(sealed, IV_BYTES);
  return toBase64(out);
}

/** The plaintext, or undefined when the value was not sealed with this key (rotated secret, tampering). */
export async function decryptSecret(key: CryptoKey, stored: string): Promise<string | undefined> {
  const bytes = fromBase64(stored);
  if (!bytes || bytes.length <= IV_BYTES) return undefined;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES) },
      key,
      bytes.subarray(IV_BYTES),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return undefined;
  }
}

/**
 * The masked snippet shown instead of the key (OpenRouter's `label`): its first three and last
 * four characters (`sk-...AbCd`); a key too short to hide anything shows none of it.
 */
export function maskKey(key: string): string {
  if (key.length < 16) return "...";
  return `${key.slice(0, 3)}...${key.slice(-4)}`;
}

/** A fresh secret for BYOK_ENCRYPTION_KEY (scripts and tests). */
export function generateByokSecret(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(KEY_BYTES)));
}
