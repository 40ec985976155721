/**
 * Exact money arithmetic on decimal strings, as fixed-point bigints with 18 decimals.
 * Prices per token go down to 1e-9 and below; floats would drift over millions of requests.
 */
const SCALE = 18;
const ONE = 10n ** BigInt(SCALE);

export type Fixed = bigint;

/** "0.00000015" → 150000000000n (×1e18). Accepts an optional leading minus. */
export function parseDecimal(value: string): Fixed {
  const match = /^(-)?(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) throw new Error(`not a decimal: ${value}`);
  const [, sign, whole = "", frac = ""] = match;
  const digits = BigInt((whole || "0") + frac.slice(0, SCALE).padEnd(SCALE, "0"));
  return sign ? -digits : digits;
}

/**
 * The decimal a number was written as (`0.3` → 0.3 exactly, not its binary expansion
 * 0.299999999999999989): JavaScript's shortest round-trip form, exponent expanded.
 */
export function fromNumber(value: number): Fixed {
  if (!Number.isFinite(value)) throw new Error(`not a decimal: ${value}`);
  const [mantissa = "", exponent = "0"] = String(value).split("e");
  const negative = mantissa.startsWith("-");
  const [whole = "", frac = ""] = (negative ? mantissa.slice(1) : mantissa).split(".");
  const digits = whole + frac;
  const point = whole.length + Number(exponent);
  const plain =
    point <= 0
      ? `0.${"0".repeat(-point)}${digits}`
      : `${digits.padEnd(point, "0").slice(0, point)}.${digits.slice(point)}`;
  return parseDecimal(negative ? `-${plain}` : plain);
}

/** Fixed → decimal string with at most `decimals` places, trailing zeros removed ("0.000123"). */
export function formatDecimal(value: Fixed, decimals = 12): string {
  const negative = value < 0n;
  let abs = negative ? -value : value;
  const drop = 10n ** BigInt(SCALE - decimals);
  abs = (abs + drop / 2n) / drop; // round half up at `decimals`
  const s = abs.toString().padStart(decimals + 1, "0");
  const whole = s.slice(0, s.length - decimals);
  const frac = s.slice(s.length - decimals).replace(/0+$/, "");
  const out = frac ? `${whole}.${frac}` : whole;
  return negative && out !== "0" ? `-${out}` : out;
}

/** 10^6: a value with at most 12 decimals (the database's scale) is a multiple of it. */
const MICRO = 10n ** BigInt(SCALE - 12);
/** Integers up to 2^53 in magnitude convert to a double exactly. */
const MAX_EXACT = 2n ** 53n;

/**
 * The double nearest to the value, as `Number(formatDecimal(value, 18))` would give, without
 * building the string. When the value has at most 12 decimals (every sum of database amounts
 * does) and below 2^53 × 1e-12 ≈ $9,007 in magnitude, n = value / 1e6 is an integer that
 * converts to a double exactly, 1e12 is a double exactly, and IEEE division rounds the exact
 * quotient n / 1e12 once, to nearest, ties to even — the same rounding `Number(string)` does.
 * Anything else takes the string path.
 */
export function toNumber(value: Fixed): number {
  const micros = value / MICRO;
  if (micros * MICRO === value && micros <= MAX_EXACT && micros >= -MAX_EXACT) {
    return Number(micros) / 1e12;
  }
  return Number(formatDecimal(value, SCALE));
}

export function times(price: Fixed, count: number): Fixed {
  return price * BigInt(Math.max(0, Math.trunc(count)));
}

export const ZERO: Fixed = 0n;
export const UNIT: Fixed = ONE;
