/**
 * Splits a conversation into the units middle-out keeps or drops whole: a single message, or an
 * assistant message with `tool_calls` together with every `tool` message answering it. Dropping
 * half of such a unit leaves a tool result without its call (or a call without its result),
 * which OpenAI, Anthropic and Gemini all reject with a 400.
 */
import type { Message } from "../schema/chat-request.ts";

/** A set of message indices that goes or stays together, in conversation order. */
export type Unit = { readonly indices: readonly number[]; readonly protectedUnit: boolean };

/**
 * Groups `messages` into units and marks the ones middle-out must keep: every unit holding a
 * system or developer message, the first user message, or the final turn (API.md b5). The final
 * turn is the last user message and what follows it: a trailing assistant prefill (API.md b2)
 * must not leave the question it answers droppable, and a final tool result keeps its assistant
 * call and all sibling results. Earlier tool rounds after the last user message stay droppable,
 * so a long agent loop under one question still compresses by dropping rounds rather than only
 * by truncating every message. Units are ordered by first index.
 */
export function toUnits(messages: readonly Message[]): Unit[] {
  // unitOf[i] = index of the unit's "root" message (the assistant call for tool results).
  const unitOf = messages.map((_, i) => i);
  const openCalls = new Map<string, number>();
  messages.forEach((m, i) => {
    if (m.role === "assistant") {
      for (const call of m.tool_calls ?? []) openCalls.set(call.id, i);
    } else if (m.role === "tool") {
      const owner = openCalls.get(m.tool_call_id);
      if (owner !== undefined) unitOf[i] = owner;
    }
  });

  const firstUser = messages.findIndex((m) => m.role === "user");
  const last = messages.length - 1;
  const byRoot = new Map<number, number[]>();
  unitOf.forEach((root, i) => {
    const list = byRoot.get(root);
    if (list) list.push(i);
    else byRoot.set(root, [i]);
  });

  const lastUser = messages.findLastIndex((m) => m.role === "user");
  const isToolRound = (root: number) => (byRoot.get(root)?.length ?? 0) > 1 || hasToolCalls(messages[root]);
  const lastToolRound = Math.max(-1, ...[...byRoot.keys()].filter(isToolRound));
  const inFinalTurn = (root: number) =>
    lastUser >= 0 && root >= lastUser && (!isToolRound(root) || root === lastToolRound);

  const units: Unit[] = [];
  for (const [root, indices] of byRoot) {
    const protectedUnit =
      inFinalTurn(root) ||
      indices.some((i) => {
        const role = messages[i]?.role;
        return role === "system" || role === "developer" || i === firstUser || i === last;
      });
    units.push({ indices, protectedUnit });
  }
  return units.sort((a, b) => (a.indices[0] ?? 0) - (b.indices[0] ?? 0));
}

function hasToolCalls(m: Message | undefined): boolean {
  return m?.role === "assistant" && (m.tool_calls?.length ?? 0) > 0;
}

/**
 * The order in which to drop the droppable units: the one nearest the middle of the whole
 * conversation (`messageCount` messages) first, then outwards (ties go to the older side, since
 * models attend more to recent turns). Measuring from the conversation's middle, not the middle
 * of the droppable units, keeps a message-count cut even (API.md b5.4) when more is protected
 * at one end, as a final turn with a prefill is.
 */
export function centreOutOrder(droppable: readonly Unit[], messageCount: number): Unit[] {
  const centre = (messageCount - 1) / 2;
  const distance = (unit: Unit) => {
    const first = unit.indices[0] ?? 0;
    const lastIndex = unit.indices.at(-1) ?? first;
    return Math.abs((first + lastIndex) / 2 - centre);
  };
  return droppable
    .map((unit) => ({ unit, distance: distance(unit) }))
    .sort((a, b) => a.distance - b.distance || (a.unit.indices[0] ?? 0) - (b.unit.indices[0] ?? 0))
    .map(({ unit }) => unit);
}
