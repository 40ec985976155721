/**
 * Money as fixed-point bigints with 18 decimals: exact parse/format round trips, half-up
 * rounding at the printed scale, tiny per-token prices, negatives, and loud failure on input
 * that is not a plain decimal.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatDecimal,
  fromNumber,
  parseDecimal,
  times,
  toNumber,
  UNIT,
  ZERO,
} from "../../../src/usage/decimal";

describe("parseDecimal / formatDecimal", () => {
  it.each([
    ["0", 0n],
    ["1", UNIT],
    ["0.1", UNIT / 10n],
    ["0.00000015", 150_000_000_000n],
    ["0.0000000375", 37_500_000_000n],
    ["0.000000000000000001", 1n],
    ["-0.5", -(UNIT / 2n)],
    ["123456789.123456789012345678", 123_456_789_123_456_789_012_345_678n],
  ])("%s ⇄ %s (×1e18), exactly", (text, fixed) => {
    expect(parseDecimal(text)).toBe(fixed);
    expect(formatDecimal(fixed, 18)).toBe(text);
  });

  it.each([
    ["1.50", "1.5"],
    ["007", "7"],
    [".5", "0.5"],
    ["5.", "5"],
    [" 2.25 ", "2.25"],
    ["-0", "0"],
    ["-0.000", "0"],
    ["0.0000000000000000019", "0.000000000000000001"], // beyond 18 decimals: truncated
  ])("%s is read as %s", (text, canonical) => {
    expect(formatDecimal(parseDecimal(text), 18)).toBe(canonical);
  });

  it.each([
    "",
    " ",
    ".",
    "-",
    "abc",
    "1e-7",
    "1.2.3",
    "--1",
    "+1",
    "1,5",
    "0x10",
    "NaN",
    "Infinity",
    "1 000",
  ])("%j is not a decimal: throws", (text) => {
    expect(() => parseDecimal(text)).toThrow(/not a decimal/);
  });

  it.each([
    ["0.0000000000005", 12, "0.000000000001"], // half rounds up
    ["0.00000000000049", 12, "0"],
    ["0.0000000000015", 12, "0.000000000002"],
    ["-0.0000000000005", 12, "-0.000000000001"], // half rounds away from zero
    ["-0.0000000000004", 12, "0"], // never "-0"
    ["2.5", 0, "3"],
    ["1.23456789", 8, "1.23456789"],
    ["1.234567895", 8, "1.2345679"],
    ["0.10", 12, "0.1"], // trailing zeros removed
    ["100", 12, "100"],
  ])("formatDecimal(%s, %i) = %s", (text, decimals, expected) => {
    expect(formatDecimal(parseDecimal(text), decimals)).toBe(expected);
  });

  it("defaults to 12 decimals, the database's scale", () => {
    expect(formatDecimal(parseDecimal("0.0000000000004"))).toBe("0");
    expect(formatDecimal(parseDecimal("0.000000000001"))).toBe("0.000000000001");
  });
});

describe("fromNumber / toNumber / times", () => {
  it.each([
    [0.3, "0.3"],
    [0.1, "0.1"],
    [1.5e-7, "0.00000015"],
    [3.75e-8, "0.0000000375"],
    [-0.1, "-0.1"],
    [1e21, "1000000000000000000000"],
    [123.456, "123.456"],
    [0, "0"],
  ])("fromNumber(%d) is the decimal it was written as: %s", (value, text) => {
    expect(fromNumber(value)).toBe(parseDecimal(text));
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    "fromNumber(%d) throws",
    (value) => {
      expect(() => fromNumber(value)).toThrow();
    },
  );

  it.each([
    ["0.00002", 0.00002],
    ["-1.25", -1.25],
    ["0.000000000000000001", 1e-18],
  ])("toNumber(%s) = %d", (text, value) => {
    expect(toNumber(parseDecimal(text))).toBe(value);
  });

  it.each([
    ["9007.199254740992", 9007.199254740992], // 2^53 micro-dollars: the last exact-division value
    ["9007.199254740993", 9007.199254740994], // one past it (string path): the nearest double
    ["-9007.199254740993", -9007.199254740994],
    ["123456789.000000000001", 123456789],
    ["0.1000000000001", 0.1000000000001], // 13 decimals: the string path
  ])("toNumber(%s) = %d at either side of the fast path's bounds", (text, value) => {
    expect(toNumber(parseDecimal(text))).toBe(value);
  });

  /** What toNumber has always meant: the double JavaScript reads from the exact decimal. */
  const viaString = (v: bigint) => Number(formatDecimal(v, 18));
  /** Values with ≤ 12 decimals — every database amount and sum — up to and past the fast path's ±2^53 µ$. */
  const micros = fc.oneof(
    fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }),
    fc.bigInt({ min: -(2n ** 53n) - 1000n, max: -(2n ** 53n) + 1000n }),
    fc.bigInt({ min: 2n ** 53n - 1000n, max: 2n ** 53n + 1000n }),
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
    fc.bigInt({ min: -1_000_000n, max: 1_000_000n }),
  );

  it("toNumber gives the same double as reading the 18-decimal string, for ≤ 12 decimals", () => {
    fc.assert(
      fc.property(micros, (m) => {
        const v = m * 10n ** 6n;
        expect(Object.is(toNumber(v), viaString(v))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it("toNumber gives the same double as reading the 18-decimal string, for any value", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), (v) => {
        expect(Object.is(toNumber(v), viaString(v))).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it.each([
    ["0.0000000375", 1_000_000, "0.0375"],
    ["0.00000015", 3, "0.00000045"],
    ["0.00000015", 2.9, "0.0000003"], // counts are whole tokens
    ["0.00000015", -5, "0"], // never a negative charge
    ["1", 0, "0"],
  ])("times(%s, %d) = %s", (price, count, total) => {
    expect(formatDecimal(times(parseDecimal(price), count), 18)).toBe(total);
  });

  it("a million requests at a tiny price add up exactly (floats would drift)", () => {
    let sum = ZERO;
    for (let i = 0; i < 1_000_000; i++) sum += parseDecimal("0.0000000375");
    expect(formatDecimal(sum, 18)).toBe("0.0375");
  });
});
