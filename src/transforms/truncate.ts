/**
 * Middle-out's last resort: cutting the middle out of one message's text. The start and end of
 * a long document carry most of what a model uses ("Lost in the middle", arXiv 2307.03172),
 * and a visible marker tells both the model and the user that something is missing.
 */
import type { ContentPart, Message } from "../schema/chat-request.ts";

/** The text put where the middle was cut. */
export function truncationMarker(removedTokens: number): string {
  return `\n\n[… ${removedTokens} tokens removed by middle-out …]\n\n`;
}

/** Where in a message the text to cut lives: its string content, or one text part. */
type TextSlot = { text: string; put: (text: string) => Message };

/** Which text the message has, largest first: `-1` for string content, else text parts' indices. */
function textSlotsBySize(message: Message): number[] {
  const content = message.content;
  if (typeof content === "string") return content.length > 0 ? [-1] : [];
  if (!Array.isArray(content)) return [];
  const lengthAt = (i: number) => {
    const part = content[i];
    return part?.type === "text" ? part.text.length : 0;
  };
  return content
    .map((_, i) => i)
    .filter((i) => lengthAt(i) > 0)
    .sort((a, b) => lengthAt(b) - lengthAt(a));
}

/** The text at a slot of `textSlotsBySize`; tool-call arguments are JSON and never cut. */
function textSlot(message: Message, index: number): TextSlot | undefined {
  const content = message.content;
  if (index < 0) {
    return typeof content === "string"
      ? { text: content, put: (text) => ({ ...message, content: text }) }
      : undefined;
  }
  if (!Array.isArray(content)) return undefined;
  const part = content[index];
  if (part?.type !== "text") return undefined;
  return {
    text: part.text,
    put: (text) => {
      const parts: ContentPart[] = content.map((p, i) => (i === index ? { ...p, text } : p));
      return { ...message, content: parts };
    },
  };
}

/** Index `i` moved off the second half of a surrogate pair, so cuts never split a character. */
function safeCut(text: string, i: number, direction: -1 | 1): number {
  const code = text.charCodeAt(i);
  return code >= 0xdc00 && code <= 0xdfff && i > 0 && i < text.length ? i + direction : i;
}

/**
 * The message with the middle of its text cut so that it counts at most `maxTokens` (by
 * `countTokens`): the largest text first, and when cutting all of its middle is not enough,
 * the next largest too (a message can carry several documents as parts). As close as cutting
 * all of its text allows; undefined when the message has no text to cut or cutting would not
 * make it smaller. Pure.
 */
export function truncateMiddle(
  message: Message,
  maxTokens: number,
  countTokens: (m: Message) => number,
): { message: Message; tokens: number } | undefined {
  const before = countTokens(message);
  let result: { message: Message; tokens: number } | undefined;
  for (const index of textSlotsBySize(message)) {
    const cut = cutSlot(result?.message ?? message, index, maxTokens, countTokens);
    if (!cut) continue;
    result = cut;
    if (cut.tokens <= maxTokens) break;
  }
  return result && result.tokens < before ? result : undefined;
}

/** The middle of one slot's text cut to fit `maxTokens`, or all of it when that is not enough. */
function cutSlot(
  message: Message,
  index: number,
  maxTokens: number,
  countTokens: (m: Message) => number,
): { message: Message; tokens: number } | undefined {
  const slot = textSlot(message, index);
  if (!slot) return undefined;
  const { text } = slot;
  const before = countTokens(message);
  const emptyTokens = countTokens(slot.put(""));

  const build = (keep: number): { message: Message; tokens: number } => {
    const headEnd = safeCut(text, Math.ceil(keep / 2), -1);
    const tailStart = safeCut(text, text.length - Math.floor(keep / 2), 1);
    const removed = slot.put(text.slice(headEnd, tailStart));
    const removedTokens = Math.max(1, countTokens(removed) - emptyTokens);
    const cut = slot.put(text.slice(0, headEnd) + truncationMarker(removedTokens) + text.slice(tailStart));
    return { message: cut, tokens: countTokens(cut) };
  };

  // Binary search on how many characters to keep: a counter is monotone enough in practice,
  // and ~20 counts of one message cost far less than the request itself.
  let lo = 0;
  let hi = text.length - 1;
  let best = build(0);
  if (best.tokens >= before) return undefined;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const attempt = build(mid);
    if (attempt.tokens <= maxTokens) {
      best = attempt;
      lo = mid;
    } else hi = mid - 1;
  }
  return best;
}
