/**
 * A fast, deliberately pessimistic token estimator for the request path.
 *
 * Why not a real tokenizer: the BPE tables (o200k_base is ~2 MB) would dominate the Worker
 * bundle, every provider tokenizes differently anyway, and middle-out only needs an upper
 * bound that is tight enough not to throw away context for nothing. So we imitate the shape
 * of o200k_base's pre-tokenizer (words split at lower→upper case changes, digits in groups of
 * three, punctuation runs, whitespace runs) and charge each piece a cost tuned against
 * gpt-tokenizer's o200k_base on real text (test/unit/transforms/tokens-accuracy.test.ts):
 * measured 1.05–1.16× the real count on prose, Markdown, TypeScript, JavaScript, JSON, SSE,
 * numbers, whitespace-heavy code, Chinese, Japanese, Korean, Russian, Greek, Arabic, Hindi and
 * accented Latin (the test fails below 0.98× or above 1.20×). Random data (base64, hex) is
 * over-counted too; lowercase gibberish without digits ("qzvkplmx") is the known blind spot.
 * Other vendors' tokenizers (Claude's, Llama's) can need more tokens than o200k_base for the
 * same text: callers that know the model's tokenizer may scale the count.
 * It runs in one pass over UTF-16 code units with no allocation (~5 ms per 200k tokens).
 */
import type { ContentPart, Message, Tool } from "../schema/chat-request.ts";

/**
 * Code-unit classes, one byte per UTF-16 code unit (64 KB) so the hot loop never branches on
 * ranges or reads a typed array out of bounds (a slow path in V8). Everything non-ASCII is 0.
 */
const LOWER = 1;
const UPPER = 2;
const DIGIT = 3;
const SPACE = 4;
const NEWLINE = 5;
const PUNCT = 6;

const CLASS = new Uint8Array(65_536);
CLASS.fill(PUNCT, 0, 128);
CLASS.fill(LOWER, 97, 123);
CLASS.fill(UPPER, 65, 91);
CLASS.fill(DIGIT, 48, 58);
for (const c of [9, 11, 12, 32]) CLASS[c] = SPACE;
CLASS[10] = NEWLINE;
CLASS[13] = NEWLINE;
const VOWEL = new Uint8Array(128);
for (const v of "aeiouyAEIOUY") VOWEL[v.charCodeAt(0)] = 1;

/**
 * Tokens per code unit for non-ASCII letters, by script. o200k_base learnt most scripts well
 * (Russian ~4 chars/token, Arabic ~3.5) but CJK stays near one token per 1.4 characters and
 * rarer blocks fall back to bytes. Unknown blocks get a pessimistic 0.7.
 */
function nonAsciiWeight(c: number): number {
  if (c < 0x0250) return 0.4; // Latin-1 supplement, Latin extended A/B: accents split words
  if (c < 0x0370) return 0.6; // IPA, spacing modifiers, combining diacritics
  if (c < 0x0400) return 0.48; // Greek
  if (c < 0x0530) return 0.3; // Cyrillic
  if (c < 0x0590) return 0.6; // Armenian
  if (c < 0x0780) return 0.38; // Hebrew, Arabic, Syriac
  if (c >= 0x0900 && c < 0x0980) return 0.38; // Devanagari
  if (c < 0x1100) return 0.7; // other Indic, Thai, Georgian …
  if (c < 0x1200) return 0.8; // Hangul Jamo
  if (c >= 0x2000 && c < 0x2070) return 0.5; // general punctuation: “ ” — … •
  if (c >= 0x3000 && c < 0x3040) return 0.5; // CJK punctuation: 、。「」
  if (c >= 0x3040 && c < 0xa000) return 0.8; // kana, CJK ideographs
  if (c >= 0xac00 && c < 0xd7b0) return 0.75; // Hangul syllables
  if (c >= 0xd800 && c < 0xe000) return 1.1; // one half of an astral char (emoji, rare CJK)
  if (c >= 0xff00 && c < 0xfff0) return 0.8; // full-width forms
  return 0.7;
}

/**
 * Costs of the ASCII pieces, fitted together (grid search) against o200k_base on the accuracy
 * test's corpora: they land within ±3% of each other there, and ASCII_SCALE lifts the lot to
 * 5–15% above the real count, leaving margin for text unlike ours.
 */
const WORD_FREE_CHARS = 8; // a word piece up to this long is usually one token
const WORD_CHARS_PER_TOKEN = 3; // beyond that, rarer words split into ~3-char pieces
const SHOUT_FREE_CHARS = 5; // upper-case words are rarer in the vocabulary: "IMPORTANT" is two
const PUNCT_RUN_BASE = 0.3; // runs like `();` `": "` `=>` often merge into one token
const PUNCT_PER_CHAR = 0.35;
const SPACE_RUN = 1; // indentation, or spaces not followed by a word
const SPACES_PER_TOKEN = 64; // o200k has single tokens of up to 128 spaces
const NEWLINE_RUN = 0.25; // newlines mostly merge with the punctuation before them
const NEWLINES_PER_TOKEN = 8; // and blank-line runs up to 16
const REPEATED_PUNCT_PER_TOKEN = 16; // "----…" is one token per 64–96
/** Vowel-less pieces ("GVsb", "xkqpzt": base64, hashes, keyboard mash) split into ~2-char tokens. */
const VOWELLESS_PER_CHAR = 0.5;
/** Runs this long with a piece every ≤3.3 chars are treated as random data. */
const RANDOM_MIN_CHARS = 16;
const RANDOM_PER_CHAR = 0.62;
const ASCII_SCALE = 1.14;

/**
 * Estimated o200k_base token count of `text`, rounded up. Errs high; see the file comment
 * for the measured bounds. One pass, no allocation: this is the hot loop, hence one function.
 */
export function countTextTokens(text: string): number {
  const n = text.length;
  let ascii = 0;
  let other = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const cls = CLASS[c]!;
    if (cls >= LOWER && cls <= DIGIT) {
      // A run of letters and digits. Each piece the pre-tokenizer would cut (Upper* Lower*, or
      // up to three digits) costs about a token; a long run cut into many short pieces is
      // random data (base64, hashes), which BPE splits into ~1.5-char tokens.
      const start = i;
      let pieces = 0;
      let cost = 0;
      while (i < n) {
        const k = CLASS[text.charCodeAt(i)]!;
        if (k === DIGIT) {
          const from = i;
          while (i < n && CLASS[text.charCodeAt(i)] === DIGIT) i++;
          const groups = Math.ceil((i - from) / 3); // o200k_base: numbers in groups of ≤ 3 digits
          cost += groups;
          pieces += groups;
        } else if (k === LOWER || k === UPPER) {
          // One word piece: Upper* Lower* ("camelCase" is cut at the "C").
          const from = i;
          let sawLower = false;
          let vowels = 0;
          while (i < n) {
            const d = text.charCodeAt(i);
            const kd = CLASS[d];
            if (kd === LOWER) sawLower = true;
            else if (kd !== UPPER || sawLower) break;
            vowels += VOWEL[d]!;
            i++;
          }
          const len = i - from;
          if (vowels === 0 && len > 1) cost += len * VOWELLESS_PER_CHAR;
          else if (!sawLower && len > SHOUT_FREE_CHARS) cost += 1 + (len - SHOUT_FREE_CHARS) / 4;
          else cost += len <= WORD_FREE_CHARS ? 1 : 1 + (len - WORD_FREE_CHARS) / WORD_CHARS_PER_TOKEN;
          pieces++;
        } else break;
      }
      const len = i - start;
      const random = len >= RANDOM_MIN_CHARS && pieces * 10 >= len * 3;
      ascii += random ? Math.max(cost, len * RANDOM_PER_CHAR) : cost;
    } else if (cls === SPACE) {
      // A single space rides along with the word or punctuation after it, not with digits.
      const start = i;
      while (i < n && CLASS[text.charCodeAt(i)] === SPACE) i++;
      const next = i < n ? CLASS[text.charCodeAt(i)] : NEWLINE;
      if (i - start > 1 || next === NEWLINE) ascii += SPACE_RUN + (i - start) / SPACES_PER_TOKEN;
      else if (next === DIGIT) ascii += 1;
    } else if (cls === NEWLINE) {
      const start = i;
      while (i < n && CLASS[text.charCodeAt(i)] === NEWLINE) i++;
      ascii += NEWLINE_RUN + (i - start - 1) / NEWLINES_PER_TOKEN;
    } else if (cls === PUNCT) {
      // Rules like "-----" or "=====" are single tokens up to dozens of characters.
      let prev = -1;
      let repeat = 0;
      ascii += PUNCT_RUN_BASE;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (CLASS[d] !== PUNCT) break;
        repeat = d === prev ? repeat + 1 : 1;
        prev = d;
        ascii += repeat > 4 ? 1 / REPEATED_PUNCT_PER_TOKEN : PUNCT_PER_CHAR;
        i++;
      }
    } else {
      // Non-ASCII: letters of other scripts, symbols, emoji.
      other += nonAsciiWeight(c);
      i++;
    }
  }
  return Math.ceil(ascii * ASCII_SCALE + other);
}

/**
 * Image tokens. OpenAI's vision pricing charges 85 tokens for a `detail: "low"` image and
 * 85 + 170 per 512-px tile for high detail; without the image's size we assume a 1024×1024
 * picture at high detail (4 tiles → 765), which is also the default ("auto") worst case most
 * chat images reach. Anthropic (~w·h/750 ≤ ~1,600) and Gemini (258 per tile) land in
 * the same range.
 * @see https://platform.openai.com/docs/guides/images-vision#calculating-costs
 */
export const IMAGE_TOKENS_LOW = 85;
export const IMAGE_TOKENS_DEFAULT = 765;
/** Audio, files and video: we cannot see their length here, so a flat, generous guess. */
export const OTHER_PART_TOKENS = 1_000;
/** Per-message framing (`<|start|>role<|message|>…<|end|>`), as in OpenAI's cookbook count. */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Every reply is primed with `<|start|>assistant<|message|>`. */
export const REPLY_PRIMING_TOKENS = 3;

/** Estimated tokens of one content part. */
export function countPartTokens(part: ContentPart): number {
  switch (part.type) {
    case "text":
      return countTextTokens(part.text);
    case "image_url":
      return part.image_url.detail === "low" ? IMAGE_TOKENS_LOW : IMAGE_TOKENS_DEFAULT;
    default:
      return OTHER_PART_TOKENS;
  }
}

function countContent(content: string | ContentPart[] | null | undefined): number {
  if (content == null) return 0;
  if (typeof content === "string") return countTextTokens(content);
  let sum = 0;
  for (const part of content) sum += countPartTokens(part);
  return sum;
}

/**
 * Estimated tokens of one message: framing, role/name, content, and for assistant messages the
 * tool calls (name + arguments + a little JSON framing) and any reasoning that will be sent back.
 */
export function countMessageTokens(message: Message): number {
  let sum = MESSAGE_OVERHEAD_TOKENS + countContent(message.content);
  if (typeof message.name === "string") sum += countTextTokens(message.name) + 1;
  if (message.role === "tool") sum += countTextTokens(message.tool_call_id);
  if (message.role === "assistant") {
    for (const call of message.tool_calls ?? []) {
      sum += 8 + countTextTokens(call.id) + countTextTokens(call.function.name);
      sum += countTextTokens(call.function.arguments);
    }
    if (message.refusal) sum += countTextTokens(message.refusal);
    if (message.reasoning) sum += countTextTokens(message.reasoning);
    else if (message.reasoning_content) sum += countTextTokens(message.reasoning_content);
    for (const detail of message.reasoning_details ?? []) {
      sum += countTextTokens(detail.text ?? detail.summary ?? "");
      // Encrypted reasoning is base64 the provider decrypts and re-reads; the plain text is
      // at most 3/4 of its length, at ≥3 chars a token, so length / 4 bounds it.
      if (detail.data) sum += Math.ceil(detail.data.length / 4);
    }
  }
  return sum;
}

/** Estimated tokens of the tool definitions, which providers render into the prompt. */
export function countToolTokens(tools: readonly Tool[]): number {
  let sum = 0;
  for (const tool of tools) sum += 8 + countTextTokens(JSON.stringify(tool.function));
  return sum;
}

/** Estimated prompt tokens of a whole request: messages, reply priming and tools. */
export function countPromptTokens(messages: readonly Message[], tools?: readonly Tool[]): number {
  let sum = REPLY_PRIMING_TOKENS;
  for (const message of messages) sum += countMessageTokens(message);
  if (tools) sum += countToolTokens(tools);
  return sum;
}
