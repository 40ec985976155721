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
 * system or developer message, the first user message, or the final message (so a final tool
 * result keeps its assistant call and all sibling results). Units are ordered by first index.
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

  const units: Unit[] = [];
  for (const indices of byRoot.values()) {
    const protectedUnit = indices.some((i) => {
      const role = messages[i]?.role;
      return role === "system" || role === "developer" || i === firstUser || i === last;
    });
    units.push({ indices, protectedUnit });
  }
  return units.sort((a, b) => (a.indices[0] ?? 0) - (b.indices[0] ?? 0));
}

/**
 * The order in which to drop the droppable units: the middle-most first, then alternately
 * outwards (ties go to the older side, since models attend more to recent turns).
 */
export function centreOutOrder(droppable: readonly Unit[]): Unit[] {
  const centre = (droppable.length - 1) / 2;
  return droppable
    .map((unit, position) => ({ unit, position }))
    .sort((a, b) => Math.abs(a.position - centre) - Math.abs(b.position - centre) || a.position - b.position)
    .map(({ unit }) => unit);
}
