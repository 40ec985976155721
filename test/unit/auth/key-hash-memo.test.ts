/**
 * The bearer → hash memo: the hash of a key seen before comes back without hashing again (so a
 * warm request does no SHA-256), it is the same hash, and the memo never holds more than its
 * bound, forgetting the oldest key first.
 */
import { describe, expect, it, vi } from "vitest";
import { hashApiKey, hashBearerKey, memoizeKeyHash } from "../../../src/auth/api-key";

function counted() {
  const hash = vi.fn(async (key: string) => `h(${key})`);
  return hash;
}

describe("memoizeKeyHash", () => {
  it("hashes a key once, then answers from memory", async () => {
    const hash = counted();
    const memo = memoizeKeyHash(hash, 10);
    expect(await memo("a")).toBe("h(a)");
    expect(await memo("a")).toBe("h(a)");
    expect(await memo("b")).toBe("h(b)");
    expect(hash).toHaveBeenCalledTimes(2);
  });

  it("holds at most maxEntries keys and forgets the oldest first", async () => {
    const hash = counted();
    const memo = memoizeKeyHash(hash, 2);
    await memo("a");
    await memo("b");
    await memo("c"); // full: "a" goes
    hash.mockClear();
    await memo("b");
    await memo("c");
    expect(hash).not.toHaveBeenCalled();
    await memo("a");
    expect(hash).toHaveBeenCalledWith("a");
  });

  it("does not remember an oversized bearer, but still hashes it", async () => {
    const hash = counted();
    const memo = memoizeKeyHash(hash, 10);
    const long = "x".repeat(1000);
    expect(await memo(long)).toBe(`h(${long})`);
    expect(await memo(long)).toBe(`h(${long})`);
    expect(hash).toHaveBeenCalledTimes(2);
  });
});

describe("hashBearerKey", () => {
  it("is hashApiKey, and a warm call does no crypto.subtle.digest", async () => {
    const key = "sk-sy-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    expect(await hashBearerKey(key)).toBe(await hashApiKey(key));
    const digest = vi.spyOn(crypto.subtle, "digest");
    try {
      expect(await hashBearerKey(key)).toBe(await hashApiKey(key));
      expect(digest).toHaveBeenCalledTimes(1); // hashApiKey's own, not the memo's
    } finally {
      digest.mockRestore();
    }
  });
});
