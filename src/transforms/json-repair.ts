/**
 * Repairs the JSON a model was asked for and got slightly wrong: the core of the
 * `response-healing` plugin. Pure; no dependency.
 *
 * What it fixes is what models actually emit around structured output: a markdown code fence,
 * a sentence before or after the value, trailing commas, `//` and `/* *\/` comments, unquoted
 * object keys, raw newlines or tabs inside strings, and an answer cut off by `max_tokens` (open
 * strings, arrays and objects are closed; a member cut before its value is dropped).
 *
 * What it guarantees:
 * - text that already parses is reported `valid` and must be left byte for byte as it is;
 * - a repair only removes or closes what is there, it never makes data up: a key cut before its
 *   value is dropped rather than given `null`, a cut `tru` is dropped rather than completed, and
 *   a lone `{` in prose is not "repaired" into `{}`;
 * - the text of a `repaired` result always parses (it is checked), and keeps the whitespace and
 *   formatting of the original where nothing had to change;
 * - anything else is `unrepairable`, and the caller keeps the original.
 */

/** What had to change, for reporting (router metadata's pipeline stage). */
export const JSON_REPAIRS = [
  "code_fence",
  "surrounding_text",
  "trailing_comma",
  "comment",
  "unquoted_key",
  "control_character",
  "truncated",
] as const;
export type JsonRepair = (typeof JSON_REPAIRS)[number];

export type JsonRepairResult =
  | { status: "valid" }
  | { status: "repaired"; text: string; repairs: JsonRepair[] }
  | { status: "unrepairable" };

/** Deeper nesting than any answer a model gives: refused rather than risk the stack. */
const MAX_DEPTH = 256;
/** Opening brackets tried as the start of the value, in prose that has many. */
const MAX_STARTS = 32;
/** Code fences looked into. */
const MAX_FENCES = 8;

const VALID: JsonRepairResult = { status: "valid" };
const UNREPAIRABLE: JsonRepairResult = { status: "unrepairable" };

/**
 * `valid` when `text` parses as it is; otherwise the JSON value in it, repaired (the value in the
 * first code fence that holds one, else in the whole text), or `unrepairable`.
 */
export function repairJson(text: string): JsonRepairResult {
  if (parses(text)) return VALID;
  const cut = cutFromTheStart(text);
  if (cut) return cut;
  for (const fence of codeFences(text)) {
    // A complete value may run past the next ``` (a string holding markdown), so it is first
    // scanned to the end of the text; a value cut off is closed where the fence closes.
    const found =
      bestValue(text, fence.bodyStart, fence.bodyEnd, text.length, false) ??
      bestValue(text, fence.bodyStart, fence.bodyEnd, fence.bodyEnd, true);
    if (found) {
      const before = text.slice(0, fence.openStart) + text.slice(fence.bodyStart, found.start);
      const after = text.slice(found.end).replace("```", "");
      return repaired(found, ["code_fence"], before + after);
    }
  }
  const found = bestValue(text, 0, text.length, text.length, true);
  if (!found) return UNREPAIRABLE;
  return repaired(found, [], text.slice(0, found.start) + text.slice(found.end));
}

/**
 * Text that starts as JSON and runs to its end unfinished (an answer cut by `max_tokens`) is all
 * that one value: a fence or a bracket further on is inside it, never a value of its own.
 * Undefined for any other text.
 */
function cutFromTheStart(text: string): JsonRepairResult | undefined {
  let start = 0;
  while (start < text.length && isSpace(text.charCodeAt(start))) start++;
  const c = text.charCodeAt(start);
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) return undefined;
  let end = text.length;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  const scanner = new Scanner(text, start, end);
  if (scanner.value(0) !== "cut") return undefined;
  if (!parses(scanner.out) || isEmptyContainer(scanner.out)) return UNREPAIRABLE;
  return repaired({ start, end, text: scanner.out, repairs: scanner.repairs }, [], "");
}

interface Found {
  start: number;
  end: number;
  text: string;
  repairs: Set<JsonRepair>;
}

function repaired(found: Found, extra: JsonRepair[], outside: string): JsonRepairResult {
  const repairs = new Set<JsonRepair>([...extra, ...found.repairs]);
  if (outside.trim() !== "") repairs.add("surrounding_text");
  return { status: "repaired", text: found.text, repairs: JSON_REPAIRS.filter((r) => repairs.has(r)) };
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

interface Fence {
  /** Where the opening ``` starts, and where the body after its info string starts. */
  openStart: number;
  bodyStart: number;
  /** Where the next ``` starts: the end of the text for a fence cut off. */
  bodyEnd: number;
}

/** Markdown code fences (```json … ```, any info string), in order; an unclosed one runs to the end. */
function codeFences(text: string): Fence[] {
  const fences: Fence[] = [];
  // At the start of a line, as markdown has it: a ``` inside a JSON string does not open one.
  const opener = /(?<=^|\n)[ \t]*```[\w+.-]*[ \t]*(?:\r?\n)?/g;
  let from = 0;
  while (fences.length < MAX_FENCES) {
    opener.lastIndex = from;
    const open = opener.exec(text);
    if (!open) break;
    const bodyStart = open.index + open[0].length;
    const close = text.indexOf("```", bodyStart);
    const bodyEnd = close === -1 ? text.length : close;
    fences.push({ openStart: open.index, bodyStart, bodyEnd });
    from = close === -1 ? text.length : close + 3;
  }
  return fences;
}

/**
 * The JSON value starting in `text[from, to)`, scanned up to `scanEnd`: each `{` or `[` is tried
 * as its start, and of the values that scan, the one spanning the most text wins — a citation
 * like `[1]` in a sentence before the object must not pass for the answer. A value that scanned
 * is not searched again for values inside it. With `closeCut`, a value that `scanEnd` cuts off
 * is closed; without, only complete values count.
 */
function bestValue(
  text: string,
  from: number,
  to: number,
  scanEnd: number,
  closeCut: boolean,
): Found | undefined {
  // Trailing whitespace (before a closing fence) is not part of a value the text cut.
  let end = scanEnd;
  while (end > from && isSpace(text.charCodeAt(end - 1))) end--;
  let best: Found | undefined;
  let tries = 0;
  for (let i = from; i < Math.min(to, end) && tries < MAX_STARTS; i++) {
    const c = text.charCodeAt(i);
    if (c !== OPEN_BRACE && c !== OPEN_BRACKET) continue;
    tries++;
    const scanner = new Scanner(text, i, end);
    const outcome = scanner.value(0);
    // The search goes on after what this start scanned, never inside it: a `[` in one of its
    // strings is text, not a value (`{"note": "[1]" oops}` holds no answer).
    const next = scanner.pos - 1;
    if (outcome === "fail") {
      i = Math.max(i, next);
      continue;
    }
    // Cut: it ran to the end, and every later start is inside it. A lone `{` keeps nothing.
    // parses(): true by construction, checked all the same: never return what does not parse.
    const usable =
      parses(scanner.out) && (outcome === "done" || (closeCut && !isEmptyContainer(scanner.out)));
    if (usable && (!best || scanner.pos - i > best.end - best.start)) {
      best = { start: i, end: scanner.pos, text: scanner.out, repairs: scanner.repairs };
    }
    if (outcome !== "done") break;
    i = next;
  }
  return best;
}

function isEmptyContainer(json: string): boolean {
  const value: unknown = JSON.parse(json);
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

/**
 * How scanning a value ended: `done` (complete), `cut` (the text ended inside it, and what was
 * there has been closed into a value), `lost` (the text ended before anything usable of it:
 * `tru`, `-`, a key without its value — the caller drops it), `fail` (not JSON we can repair).
 */
type Outcome = "done" | "cut" | "lost" | "fail";

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const SLASH = 0x2f;
const STAR = 0x2a;

const LITERALS = ["true", "false", "null"];
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const NUMBER_PREFIX = /^-?\d*\.?\d*(?:[eE][+-]?\d*)?$/;
const IDENTIFIER = /[A-Za-z_$][\w$]*/y;
const WORD = /[A-Za-z]+/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);
const HEX4 = /^[0-9a-fA-F]{4}$/;
const CONTROL_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * A repairing scanner over `src[pos, end)`: copies what is valid as it stands (whitespace
 * included) to `out`, and writes the repaired form of what is not.
 */
class Scanner {
  out = "";
  readonly repairs = new Set<JsonRepair>();

  constructor(
    private readonly src: string,
    public pos: number,
    private readonly end: number,
  ) {}

  value(depth: number): Outcome {
    if (this.pos >= this.end) return "lost";
    const c = this.src.charCodeAt(this.pos);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth >= MAX_DEPTH) return this.failAt(this.end); // and no value is looked for inside
      return this.container(depth + 1, c === OPEN_BRACE);
    }
    if (c === QUOTE) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.literal();
  }

  /**
   * An object or an array. A comma is written as it is read and taken out again if no member
   * follows it (a trailing comma, or the text ending); a member the text cut before its value is
   * taken out whole.
   */
  private container(depth: number, isObject: boolean): Outcome {
    const close = isObject ? "}" : "]";
    const closeCode = isObject ? CLOSE_BRACE : CLOSE_BRACKET;
    this.out += this.src[this.pos];
    this.pos++;
    let commaAt = -1;
    let expectMember = true;
    for (;;) {
      this.space();
      if (this.pos >= this.end) return this.cut(close, commaAt);
      const c = this.src.charCodeAt(this.pos);
      if (c === closeCode) {
        if (commaAt !== -1) {
          this.dropComma(commaAt);
          this.repairs.add("trailing_comma");
        }
        this.out += close;
        this.pos++;
        return "done";
      }
      if (!expectMember) {
        if (c !== COMMA) return "fail";
        commaAt = this.out.length;
        this.out += ",";
        this.pos++;
        expectMember = true;
        continue;
      }
      const mark = this.out.length;
      const outcome = isObject ? this.member(depth) : this.value(depth);
      if (outcome === "fail") return "fail";
      if (outcome === "cut") {
        this.out += close;
        return "cut";
      }
      if (outcome === "lost") {
        // Taken out with the comma before it, if any, and the space between.
        this.out = this.out.slice(0, commaAt === -1 ? mark : commaAt);
        return this.cut(close, -1);
      }
      commaAt = -1;
      expectMember = false;
    }
  }

  /** `"key": value` (or `key: value`); `lost` when the text ends before the value begins. */
  private member(depth: number): Outcome {
    const c = this.src.charCodeAt(this.pos);
    if (c === QUOTE) {
      const key = this.string();
      if (key !== "done") return key === "cut" ? "lost" : key;
    } else {
      IDENTIFIER.lastIndex = this.pos;
      const key = IDENTIFIER.exec(this.src)?.[0];
      if (key === undefined) return "fail";
      this.pos += key.length;
      if (this.pos >= this.end) return "lost";
      this.out += `"${key}"`;
      this.repairs.add("unquoted_key");
    }
    this.space();
    if (this.pos >= this.end) return "lost";
    if (this.src.charCodeAt(this.pos) !== COLON) return "fail";
    this.out += ":";
    this.pos++;
    this.space();
    return this.value(depth);
  }

  /** A string; raw control characters in it are escaped, and one the text cut is closed. */
  private string(): Outcome {
    const { src, end } = this;
    let from = this.pos;
    let i = this.pos + 1;
    while (i < end) {
      const c = src.charCodeAt(i);
      if (c === QUOTE) {
        this.out += src.slice(from, i + 1);
        this.pos = i + 1;
        return "done";
      }
      if (c === BACKSLASH) {
        const next = src[i + 1];
        if (next === undefined || i + 1 >= end) break; // cut inside the escape: drop the backslash
        if (next === "u") {
          const hex = src.slice(i + 2, Math.min(i + 6, end));
          if (hex.length < 4 && i + 2 + hex.length >= end && /^[0-9a-fA-F]*$/.test(hex)) break;
          if (!HEX4.test(hex)) return this.failAt(i);
          i += 6;
          continue;
        }
        if (!ESCAPES.has(next)) return this.failAt(i);
        i += 2;
        continue;
      }
      if (c < 0x20) {
        const ch = src[i] ?? "";
        this.out += src.slice(from, i) + (CONTROL_ESCAPES[ch] ?? `\\u${c.toString(16).padStart(4, "0")}`);
        this.repairs.add("control_character");
        from = i + 1;
      }
      i++;
    }
    // The text ended inside the string: keep what there is of it, closed.
    this.out += `${src.slice(from, Math.min(i, end))}"`;
    this.pos = end;
    this.repairs.add("truncated");
    return "cut";
  }

  /** A number; one the text cut (`-`, `1.`, `2e`) has no known value and is `lost`. */
  private number(): Outcome {
    const { src, end } = this;
    let run = this.pos;
    while (run < end && isNumberChar(src.charCodeAt(run))) run++;
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(src)?.[0];
    const after = this.pos + (match?.length ?? 0);
    if (run === end && after !== end) {
      return NUMBER_PREFIX.test(src.slice(this.pos, end)) ? "lost" : "fail";
    }
    // Number characters past the number (`01`, `1.2.3`, `1-2`): not a number we can read.
    if (match === undefined || after !== run) return "fail";
    this.out += match;
    this.pos = after;
    return "done";
  }

  /** `true`, `false`, `null`; the start of one at the very end of the text is `lost`. */
  private literal(): Outcome {
    WORD.lastIndex = this.pos;
    const word = WORD.exec(this.src)?.[0];
    if (word === undefined) return "fail";
    const after = this.pos + word.length;
    if (LITERALS.includes(word) && after <= this.end) {
      this.out += word;
      this.pos = after;
      return "done";
    }
    if (after >= this.end && LITERALS.some((l) => l.startsWith(this.src.slice(this.pos, this.end)))) {
      return "lost";
    }
    return "fail";
  }

  /** Copies whitespace; drops comments (an unclosed block comment runs to the end). */
  private space(): void {
    const { src, end } = this;
    while (this.pos < end) {
      const c = src.charCodeAt(this.pos);
      if (isSpace(c)) {
        let j = this.pos + 1;
        while (j < end && isSpace(src.charCodeAt(j))) j++;
        this.out += src.slice(this.pos, j);
        this.pos = j;
        continue;
      }
      if (c === SLASH && src.charCodeAt(this.pos + 1) === SLASH && this.pos + 1 < end) {
        const eol = src.indexOf("\n", this.pos);
        this.pos = eol === -1 || eol > end ? end : eol;
        this.repairs.add("comment");
        continue;
      }
      if (c === SLASH && src.charCodeAt(this.pos + 1) === STAR && this.pos + 1 < end) {
        const close = src.indexOf("*/", this.pos + 2);
        this.pos = close === -1 || close + 2 > end ? end : close + 2;
        this.repairs.add("comment");
        continue;
      }
      return;
    }
  }

  /** A failure reported where it is (or at the end), so no value is looked for before it. */
  private failAt(at: number): Outcome {
    this.pos = at;
    return "fail";
  }

  /** The text ended inside a container: a dangling comma goes, and the container is closed. */
  private cut(close: string, commaAt: number): Outcome {
    if (commaAt !== -1) this.out = this.out.slice(0, commaAt); // only space and comments follow it
    this.out += close;
    this.pos = this.end;
    this.repairs.add("truncated");
    return "cut";
  }

  private dropComma(at: number): void {
    this.out = this.out.slice(0, at) + this.out.slice(at + 1);
  }
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x2b || c === 0x65 || c === 0x45;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
