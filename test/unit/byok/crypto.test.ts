/**
 * Users' provider keys at rest (BYOK): sealed with AES-256-GCM under BYOK_ENCRYPTION_KEY, readable
 * only with that secret, and shown only as a masked label.
 */
import { describe, expect, it } from "vitest";
import {
  byokCipherKey,
  decryptSecret,
  encryptSecret,
  generateByokSecret,
  maskKey,
} from "../../../src/byok/crypto";

const PROVIDER_KEY = "sk-proj-UserOwnKey0123456789abcdefAbCd";

async function keyOf(secret: string): Promise<CryptoKey> {
  const key = byokCipherKey(secret);
  if (!key) throw new Error("expected a usable secret");
  return key;
}

describe("BYOK encryption", () => {
  it("round-trips a key, and the stored value contains none of it", async () => {
    const key = await keyOf(generateByokSecret());
    const sealed = await encryptSecret(key, PROVIDER_KEY);
    expect(sealed).not.toContain(PROVIDER_KEY.slice(3, 15));
    expect(await decryptSecret(key, sealed)).toBe(PROVIDER_KEY);
  });

  it("seals the same key differently each time (a fresh IV per credential)", async () => {
    const key = await keyOf(generateByokSecret());
    expect(await encryptSecret(key, PROVIDER_KEY)).not.toBe(await encryptSecret(key, PROVIDER_KEY));
  });

  it("cannot be read under another secret, nor after tampering", async () => {
    const key = await keyOf(generateByokSecret());
    const sealed = await encryptSecret(key, PROVIDER_KEY);
    expect(await decryptSecret(await keyOf(generateByokSecret()), sealed)).toBeUndefined();
    const bytes = Uint8Array.from(atob(sealed), (c) => c.charCodeAt(0));
    bytes[bytes.length - 1]! ^= 1;
    expect(await decryptSecret(key, btoa(String.fromCharCode(...bytes)))).toBeUndefined();
    expect(await decryptSecret(key, "not base64!")).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ["absent", undefined],
    ["empty", ""],
    ["not base64", "%%%"],
    ["16 bytes, not 32", btoa("0123456789abcdef")],
    ["not a string", 42],
  ])("has no key when the secret is %s (BYOK is then off)", (_what, secret) => {
    expect(byokCipherKey(secret)).toBeUndefined();
  });
});

describe("the masked label", () => {
  it.each([
    [PROVIDER_KEY, "sk-...AbCd"],
    ["AIzaSyA-0123456789-wxyz", "AIz...wxyz"],
    ["short-key", "..."],
  ])("%s is shown as %s", (key, label) => {
    expect(maskKey(key)).toBe(label);
  });
});
