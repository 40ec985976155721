/**
 * Middle-out compression (API.md b5): make a too-long conversation fit a context window by
 * removing messages from its middle, where models attend least ("Lost in the middle",
 * arXiv 2307.03172), and only then cutting text out of the middle of the largest message.
 *
 * OpenRouter does not publish its exact choices; ours (API.md b5, "a compatible
 * implementation") are:
 * - system/developer messages, the first user message and the final turn always stay;
 * - an assistant message with tool_calls and all of its tool results go or stay as one unit;
 * - units go from the centre of the droppable range outwards (the middle-most first);
 * - a message-count limit keeps about half of the allowed messages from each end (b5.4);
 * - after dropping, one more unit may go so two assistant (or two user) messages do not
 *   meet across the gap;
 * - text is cut only when the kept minimum still does not fit, never tool-call arguments,
 *   never part of an image or file.
 * Every result carries a report, because users want to know what was cut (API.md c.13).
 */
import type { CompressionReport } from "../db/schema.ts";
import type { Message } from "../schema/chat-request.ts";
import { truncateMiddle } from "./truncate.ts";
import { centreOutOrder, toUnits, type Unit } from "./units.ts";

export type MiddleOutOptions = {
  /** Tokens the messages may take in total (context minus completion reserve minus tools). */
  budgetTokens: number;
  /** Token count of one message; injected so the caller picks the estimator. */
  countTokens: (message: Message) => number;
  /** The endpoint's message-count limit (Anthropic: 1000), if any. */
  maxMessages?: number | undefined;
};

export type MiddleOutResult = {
  messages: Message[];
  report: CompressionReport;
  /** False when the input already fitted and nothing was touched. */
  changed: boolean;
  /**
   * Whether the result fits the budget and the message limit. False only when even the kept
   * minimum (system prompt, first user message, final turn) cannot be cut down enough, e.g. a
   * budget smaller than the system prompt or a final message made of images: the result is
   * then the best effort and the caller decides whether to send it or answer 400.
   */
  fits: boolean;
};

const isSystem = (m: Message) => m.role === "system" || m.role === "developer";

/** Compresses `messages` to fit `budgetTokens` (and `maxMessages`). Pure: the input is not mutated. */
export function middleOut(messages: readonly Message[], opts: MiddleOutOptions): MiddleOutResult {
  const { budgetTokens, countTokens } = opts;
  const maxMessages = opts.maxMessages ?? Number.POSITIVE_INFINITY;
  const tokens = messages.map(countTokens);
  const tokensIn = sum(tokens);
  const report = (
    out: readonly Message[],
    tokensOut: number,
    truncatedMessages: number,
  ): CompressionReport => ({
    engine: "middle-out",
    messagesIn: messages.length,
    messagesOut: out.length,
    tokensIn,
    tokensOut,
    truncatedMessages,
  });

  if (tokensIn <= budgetTokens && messages.length <= maxMessages) {
    return { messages: [...messages], report: report(messages, tokensIn, 0), changed: false, fits: true };
  }

  const kept = new Array<boolean>(messages.length).fill(true);
  let total = tokensIn;
  let count = messages.length;
  const drop = (unit: Unit) => {
    for (const i of unit.indices) {
      kept[i] = false;
      total -= tokens[i] ?? 0;
      count--;
    }
  };

  // 1. Whole units, centre-out, until both limits hold.
  const units = toUnits(messages);
  const droppable = units.filter((u) => !u.protectedUnit);
  for (const unit of centreOutOrder(droppable, messages.length)) {
    if (total <= budgetTokens && count <= maxMessages) break;
    drop(unit);
  }

  // 2. Keep turns alternating across the gaps we made, where one more unit fixes it.
  if (count < messages.length) repairGaps(messages, units, kept, drop);

  // 3. Still too long: cut the middle of the largest message, then the next largest …
  const out = messages.filter((_, i) => kept[i]);
  const outTokens = tokens.filter((_, i) => kept[i]);
  const exhausted = new Set<number>();
  let truncated = 0;
  while (total > budgetTokens) {
    let largest = -1;
    outTokens.forEach((t, i) => {
      if (!exhausted.has(i) && (largest < 0 || t > (outTokens[largest] ?? 0))) largest = i;
    });
    const message = out[largest];
    if (message === undefined) break;
    const current = outTokens[largest] ?? 0;
    const cut = truncateMiddle(message, current - (total - budgetTokens), countTokens);
    exhausted.add(largest);
    if (!cut || cut.tokens >= current) continue;
    out[largest] = cut.message;
    outTokens[largest] = cut.tokens;
    total -= current - cut.tokens;
    truncated++;
  }

  return {
    messages: out,
    report: report(out, total, truncated),
    changed: true,
    fits: total <= budgetTokens && out.length <= maxMessages,
  };
}

/**
 * After dropping, a gap may join two assistant (or two user) messages, which several
 * providers reject or merge. Where dropping one more droppable unit beside the gap makes the
 * roles alternate again, drop it (the older side first); otherwise leave the gap as it is.
 */
function repairGaps(
  messages: readonly Message[],
  units: readonly Unit[],
  kept: boolean[],
  drop: (unit: Unit) => void,
): void {
  const unitAt = new Map<number, Unit>();
  for (const unit of units) for (const i of unit.indices) unitAt.set(i, unit);
  const speaker = (i: number) => (messages[i]?.role === "assistant" ? "assistant" : messages[i]?.role);
  const neighbour = (from: number, step: -1 | 1) => {
    for (let i = from; i >= 0 && i < messages.length; i += step) {
      const m = messages[i];
      if (kept[i] && m && !isSystem(m)) return i;
    }
    return -1;
  };
  const clashes = (at: number) => {
    const left = neighbour(at - 1, -1);
    const right = neighbour(at, 1);
    return left >= 0 && right >= 0 && speaker(left) === speaker(right) && speaker(left) !== "tool";
  };

  for (let i = 1; i < messages.length; i++) {
    // A gap starts at i when i is dropped and i - 1 is kept (or is the start).
    if (kept[i] || !kept[i - 1]) continue;
    let end = i;
    while (end < messages.length && !kept[end]) end++;
    if (!clashes(end)) continue;
    for (const side of [neighbour(i - 1, -1), neighbour(end, 1)]) {
      const unit = unitAt.get(side);
      if (!unit || unit.protectedUnit) continue;
      for (const j of unit.indices) kept[j] = false;
      const fixed = !clashes(end);
      for (const j of unit.indices) kept[j] = true;
      if (fixed) {
        drop(unit);
        break;
      }
    }
  }
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
