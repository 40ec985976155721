/** `:free` endpoints: 20 requests per minute per key (API.md b4, b12), a sliding window with an injected clock. */
import { describe, expect, it } from "vitest";
import { FREE_REQUESTS_PER_MINUTE, freeTierLimiter } from "../../../src/usage/free-tier";

let keys = 0;
/** The limiter is module-global: every test uses its own key. */
const freshKey = () => `free-tier-test-${process.pid}-${keys++}`;

describe("freeTierLimiter", () => {
  it("allows 20 requests per minute, refuses the 21st", () => {
    const key = freshKey();
    const t0 = 1_000_000;
    const allowed = Array.from({ length: 25 }, (_, i) => freeTierLimiter.allow(key, t0 + i));
    expect(FREE_REQUESTS_PER_MINUTE).toBe(20);
    expect(allowed).toEqual([...Array(20).fill(true), ...Array(5).fill(false)]);
  });

  it.each([
    ["59.999 s after the first request", 59_999, false],
    ["60 s after the first request", 60_000, true],
    ["two minutes later", 120_000, true],
  ])("%s: %s", (_name, later, expected) => {
    const key = freshKey();
    const t0 = 5_000_000;
    for (let i = 0; i < 20; i++) expect(freeTierLimiter.allow(key, t0)).toBe(true);
    expect(freeTierLimiter.allow(key, t0 + later)).toBe(expected);
  });

  it("the window slides: a slot frees up as each old request ages out", () => {
    const key = freshKey();
    for (let i = 0; i < 20; i++) expect(freeTierLimiter.allow(key, i * 1000)).toBe(true); // t = 0 … 19 s
    expect(freeTierLimiter.allow(key, 59_000)).toBe(false);
    expect(freeTierLimiter.allow(key, 60_000)).toBe(true); // the t=0 request aged out
    expect(freeTierLimiter.allow(key, 60_500)).toBe(false);
    expect(freeTierLimiter.allow(key, 61_000)).toBe(true); // the t=1 s one
  });

  it("refused requests do not count against the window", () => {
    const key = freshKey();
    for (let i = 0; i < 20; i++) freeTierLimiter.allow(key, 0);
    for (let i = 0; i < 100; i++) expect(freeTierLimiter.allow(key, 30_000)).toBe(false);
    expect(freeTierLimiter.allow(key, 60_000)).toBe(true);
  });

  it("reports the window: the limit, what is left, and when the oldest request ages out (ms)", () => {
    const key = freshKey();
    expect(freeTierLimiter.take(key, 1_000)).toEqual({
      allowed: true,
      limit: 20,
      remaining: 19,
      resetAt: 61_000,
    });
    for (let i = 1; i < 20; i++) freeTierLimiter.take(key, 1_000 + i * 1_000); // t = 2 … 20 s
    expect(freeTierLimiter.take(key, 30_000)).toEqual({
      allowed: false,
      limit: 20,
      remaining: 0,
      resetAt: 61_000,
    });
    // The t=1 s request aged out; the t=2 s one is now the oldest.
    expect(freeTierLimiter.take(key, 61_000)).toEqual({
      allowed: true,
      limit: 20,
      remaining: 0,
      resetAt: 62_000,
    });
  });

  it("keys are limited separately", () => {
    const a = freshKey();
    const b = freshKey();
    for (let i = 0; i < 20; i++) freeTierLimiter.allow(a, 0);
    expect(freeTierLimiter.allow(a, 1)).toBe(false);
    expect(freeTierLimiter.allow(b, 1)).toBe(true);
  });
});
