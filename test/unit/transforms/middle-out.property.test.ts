/**
 * Properties of middleOut over random conversations: system/developer prompts, user turns
 * (some with images), assistant replies, and assistant tool calls answered by 1–3 tool results,
 * with random budgets and message limits. Messages carry a `tag` (kept by middle-out, as any
 * unknown field is) so we can tell which ones survived.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Message } from "../../../src/schema/chat-request.ts";
import { middleOut } from "../../../src/transforms/middle-out.ts";
import { countMessageTokens } from "../../../src/transforms/tokens.ts";
import { toUnits } from "../../../src/transforms/units.ts";

const text = fc
  .array(fc.constantFrom("alpha", "beta", "gamma", "δέλτα", "数据", "42", '{"k":1}', "\n"), {
    maxLength: 200,
  })
  .map((ws) => ws.join(" "));
const imagePart = fc.constantFrom(
  { type: "image_url" as const, image_url: { url: "https://example.com/a.png", detail: "low" as const } },
  { type: "image_url" as const, image_url: { url: "https://example.com/b.png" } },
);

type Turn = (next: () => string) => Message[];
const userTurn = fc.tuple(text, fc.option(imagePart)).map(
  ([t, img]): Turn =>
    () => [{ role: "user", content: img ? [{ type: "text", text: t }, img] : t }],
);
const assistantTurn = text.map(
  (t): Turn =>
    () => [{ role: "assistant", content: t }],
);
const toolTurn = fc.tuple(fc.option(text), fc.array(text, { minLength: 1, maxLength: 3 })).map(
  ([t, results]): Turn =>
    (next) => {
      const ids = results.map(() => next());
      return [
        {
          role: "assistant",
          content: t,
          tool_calls: ids.map((id) => ({
            id,
            type: "function",
            function: { name: "lookup", arguments: '{"q":"x"}' },
          })),
        },
        ...results.map((r, i): Message => ({ role: "tool", tool_call_id: ids[i] ?? "", content: r })),
      ];
    },
);
const systemTurn = fc.tuple(fc.constantFrom("system" as const, "developer" as const), text).map(
  ([role, t]): Turn =>
    () => [{ role, content: t }],
);

const conversation = fc
  .tuple(
    fc.option(systemTurn),
    fc.array(
      fc.oneof({ weight: 3, arbitrary: userTurn }, assistantTurn, toolTurn, {
        weight: 1,
        arbitrary: systemTurn,
      }),
      {
        minLength: 1,
        maxLength: 30,
      },
    ),
  )
  .map(([first, turns]) => {
    let id = 0;
    const next = () => `call_${id++}`;
    const messages = [...(first ? first(next) : []), ...turns.flatMap((turn) => turn(next))];
    return messages.map((m, i): Message => ({ ...m, tag: i }));
  });

const tagOf = (m: Message) => (m as { tag?: unknown }).tag;
const sumTokens = (ms: readonly Message[]) => ms.reduce((s, m) => s + countMessageTokens(m), 0);

const scenario = conversation.chain((messages) => {
  const total = sumTokens(messages);
  return fc.record({
    messages: fc.constant(messages),
    budgetTokens: fc.integer({ min: 0, max: Math.ceil(total * 1.2) }),
    maxMessages: fc.option(fc.integer({ min: 1, max: messages.length + 2 }), { nil: undefined }),
  });
});

describe("middleOut properties", () => {
  it("keeps the conversation valid and fits whenever the kept minimum fits", () => {
    const seen = { changed: 0, truncated: 0, unfit: 0, limited: 0 };
    fc.assert(
      fc.property(scenario, ({ messages, budgetTokens, maxMessages }) => {
        const before = structuredClone(messages);
        const result = middleOut(messages, { budgetTokens, maxMessages, countTokens: countMessageTokens });
        const out = result.messages;
        if (result.changed) seen.changed++;
        if (result.report.truncatedMessages > 0) seen.truncated++;
        if (!result.fits) seen.unfit++;
        if (maxMessages !== undefined && maxMessages < messages.length) seen.limited++;

        // The input is not mutated.
        expect(messages).toEqual(before);

        // Order is preserved and nothing is invented.
        const tags = out.map((m) => Number(tagOf(m)));
        expect([...tags].sort((a, b) => a - b)).toEqual(tags);
        expect(new Set(tags).size).toBe(tags.length);

        // System/developer prompts, the first user message and the last message stay.
        const firstUser = messages.find((m) => m.role === "user");
        const mustKeep = messages
          .filter(
            (m) => m.role === "system" || m.role === "developer" || m === firstUser || m === messages.at(-1),
          )
          .map((m) => Number(tagOf(m)));
        for (const tag of mustKeep) expect(tags).toContain(tag);

        // No tool result without its call, no call without all of its results.
        const callIds = new Set(
          out.flatMap((m) => (m.role === "assistant" ? (m.tool_calls ?? []).map((c) => c.id) : [])),
        );
        const resultIds = new Set(out.flatMap((m) => (m.role === "tool" ? [m.tool_call_id] : [])));
        for (const id of resultIds) expect(callIds).toContain(id);
        for (const id of callIds) expect(resultIds).toContain(id);

        // The report tells the truth.
        expect(result.report.messagesIn).toBe(messages.length);
        expect(result.report.messagesOut).toBe(out.length);
        expect(result.report.tokensIn).toBe(sumTokens(messages));
        expect(result.report.tokensOut).toBe(sumTokens(out));

        // Fits whenever the protected minimum fits; otherwise says so.
        const units = toUnits(messages).filter((u) => u.protectedUnit);
        const minimum = sumTokens(units.flatMap((u) => u.indices.map((i) => messages[i] as Message)));
        const minimumCount = units.reduce((s, u) => s + u.indices.length, 0);
        const fitsLimits = (tokens: number, count: number) =>
          tokens <= budgetTokens && count <= (maxMessages ?? Number.POSITIVE_INFINITY);
        if (fitsLimits(minimum, minimumCount)) {
          expect(result.fits).toBe(true);
          expect(result.report.truncatedMessages).toBe(0);
        }
        expect(result.fits).toBe(fitsLimits(result.report.tokensOut, out.length));

        // Untouched exactly when it already fitted.
        expect(result.changed).toBe(!fitsLimits(sumTokens(messages), messages.length));
        if (!result.changed) expect(out).toEqual(messages);
      }),
      { numRuns: 300 },
    );
    // The generator must reach every branch, or the property says little.
    expect(seen.changed).toBeGreaterThan(50);
    expect(seen.truncated).toBeGreaterThan(10);
    expect(seen.unfit).toBeGreaterThan(5);
    expect(seen.limited).toBeGreaterThan(10);
  });

  it("only truncates when whole-message dropping was not enough, and keeps images whole", () => {
    fc.assert(
      fc.property(scenario, ({ messages, budgetTokens }) => {
        const result = middleOut(messages, { budgetTokens, countTokens: countMessageTokens });
        const images = (ms: readonly Message[]) =>
          ms.flatMap((m) =>
            Array.isArray(m.content) ? m.content.filter((p) => p.type === "image_url") : [],
          );
        // Every image in the output is one of the input's, unchanged, on the same message.
        for (const m of result.messages) {
          const original = messages.find((o) => tagOf(o) === tagOf(m));
          expect(images(original ? [original] : [])).toEqual(images([m]));
        }
        if (result.report.truncatedMessages > 0) {
          const cut = result.messages.filter((m) =>
            JSON.stringify(m.content).includes("removed by middle-out"),
          );
          expect(cut.length).toBeGreaterThanOrEqual(result.report.truncatedMessages);
        }
      }),
      { numRuns: 200 },
    );
  });
});
