import { describe, expect, it } from "vitest";
import type { Message } from "../../../src/schema/chat-request.ts";
import { type MiddleOutOptions, middleOut } from "../../../src/transforms/middle-out.ts";

/**
 * A transparent counter for table tests: one token per word of text, 50 per non-text part,
 * one per tool call plus its arguments' words, one for the message. Every message's first
 * word is its label, so expectations read as the list of labels kept.
 */
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
function count(m: Message): number {
  let n = 1;
  if (typeof m.content === "string") n += words(m.content);
  else if (Array.isArray(m.content)) {
    for (const p of m.content) n += p.type === "text" ? words(p.text) : 50;
  }
  if (m.role === "assistant") for (const c of m.tool_calls ?? []) n += 1 + words(c.function.arguments);
  return n;
}
const pad = (label: string, size: number) =>
  [label, ...Array.from({ length: size - 1 }, () => "w")].join(" ");

const sys = (label: string, size = 1): Message => ({ role: "system", content: pad(label, size) });
const user = (label: string, size = 1): Message => ({ role: "user", content: pad(label, size) });
const asst = (label: string, size = 1): Message => ({ role: "assistant", content: pad(label, size) });
const call = (label: string, ...ids: string[]): Message => ({
  role: "assistant",
  content: label,
  tool_calls: ids.map((id) => ({ id, type: "function", function: { name: "f", arguments: "{}" } })),
});
const tool = (label: string, id: string, size = 1): Message => ({
  role: "tool",
  tool_call_id: id,
  content: pad(label, size),
});
const image = (url: string) => ({ type: "image_url" as const, image_url: { url } });

function label(m: Message): string {
  const c = m.content;
  const text = typeof c === "string" ? c : Array.isArray(c) ? c.find((p) => p.type === "text")?.text : "";
  return (text ?? "").split(" ")[0] ?? "";
}
const total = (ms: readonly Message[]) => ms.reduce((s, m) => s + count(m), 0);

type Case = [
  name: string,
  input: Message[],
  opts: Omit<MiddleOutOptions, "countTokens">,
  kept: string[],
  truncated: number,
];

const conversation = [
  sys("s"),
  user("u1", 10),
  asst("a1", 10),
  user("u2", 10),
  asst("a2", 10),
  user("u3", 10),
  asst("a3", 10),
  user("u4", 10),
];

const CASES: Case[] = [
  [
    "already fitting input is untouched",
    conversation,
    { budgetTokens: 1000 },
    ["s", "u1", "a1", "u2", "a2", "u3", "a3", "u4"],
    0,
  ],
  [
    "drops the middle-most messages first",
    conversation,
    { budgetTokens: 60 },
    ["s", "u1", "a1", "u3", "a3", "u4"],
    0,
  ],
  [
    "keeps system, first user and last turn when only they fit",
    conversation,
    { budgetTokens: 24 },
    ["s", "u1", "u4"],
    0,
  ],
  [
    "keeps system messages anywhere in the conversation",
    [sys("s"), user("u1", 10), asst("a1", 10), sys("s2", 10), user("u2", 10), asst("a2", 10), user("u3", 10)],
    { budgetTokens: 35 },
    ["s", "u1", "s2", "u3"],
    0,
  ],
  [
    "drops an assistant call and all its results as one unit",
    [
      sys("s"),
      user("u1", 5),
      call("c1", "x", "y"),
      tool("t1", "x", 20),
      tool("t2", "y", 20),
      asst("a1", 5),
      user("u2", 5),
    ],
    { budgetTokens: 30 },
    ["s", "u1", "a1", "u2"],
    0,
  ],
  [
    "keeps the last question, the call and every result when the last message is a tool result",
    [
      sys("s"),
      user("u1", 5),
      asst("a1", 30),
      user("u2", 5),
      call("c1", "x", "y"),
      tool("t1", "x", 5),
      tool("t2", "y", 5),
    ],
    { budgetTokens: 35 },
    ["s", "u1", "u2", "c1", "t1", "t2"],
    0,
  ],
  [
    "keeps turns alternating across the gap when one more drop fixes it",
    [
      user("u1", 5),
      asst("a1", 5),
      user("u2", 5),
      asst("a2", 30),
      user("u3", 5),
      asst("a3", 5),
      user("u4", 5),
    ],
    { budgetTokens: 40 },
    ["u1", "a1", "u3", "a3", "u4"],
    0,
  ],
  [
    "halves a message-count limit between start and end",
    Array.from({ length: 20 }, (_, i) => (i % 2 ? asst(`m${i}`) : user(`m${i}`))),
    { budgetTokens: 1000, maxMessages: 10 },
    ["m0", "m1", "m2", "m3", "m4", "m15", "m16", "m17", "m18", "m19"],
    0,
  ],
  [
    "message-count limit never splits a tool unit",
    [user("u1"), call("c1", "x", "y"), tool("t1", "x"), tool("t2", "y"), asst("a1"), user("u2")],
    { budgetTokens: 1000, maxMessages: 3 },
    ["u1", "a1", "u2"],
    0,
  ],
  [
    "keeps the last question when a trailing assistant prefill follows it",
    [
      sys("s"),
      user("u1", 10),
      asst("a1", 10),
      user("u2", 10),
      asst("a2", 10),
      user("q", 10),
      asst("prefill"),
    ],
    { budgetTokens: 30 },
    ["s", "u1", "q", "prefill"],
    0,
  ],
  [
    "may still drop earlier tool rounds of a long final turn, middle first",
    [
      user("q", 5),
      call("c1", "x"),
      tool("t1", "x", 20),
      call("c2", "y"),
      tool("t2", "y", 20),
      asst("done", 3),
    ],
    { budgetTokens: 40 },
    ["q", "c2", "t2", "done"],
    0,
  ],
  ["truncates a single huge message with a marker", [user("u1", 1000)], { budgetTokens: 100 }, ["u1"], 1],
  [
    "truncates the largest kept message once nothing more can go",
    [sys("s", 20), user("u1", 400), asst("a1", 50), user("u2", 30)],
    { budgetTokens: 200 },
    ["s", "u1", "u2"],
    1,
  ],
];

describe("middleOut", () => {
  it.each(CASES)("%s", (_, input, opts, kept, truncated) => {
    const before = structuredClone(input);
    const result = middleOut(input, { ...opts, countTokens: count });
    expect(result.messages.map(label)).toEqual(kept);
    expect(result.report.truncatedMessages).toBe(truncated);
    expect(result.report).toMatchObject({
      engine: "middle-out",
      messagesIn: input.length,
      messagesOut: kept.length,
      tokensIn: total(input),
      tokensOut: total(result.messages),
    });
    expect(result.fits).toBe(true);
    expect(result.report.tokensOut).toBeLessThanOrEqual(opts.budgetTokens);
    expect(result.changed).toBe(result.messages.length !== input.length || truncated > 0);
    expect(input).toEqual(before);
  });

  it("puts the marker in the middle and says how much it removed", () => {
    const text = Array.from({ length: 1000 }, (_, i) => `w${i}`).join(" ");
    const { messages } = middleOut([user("u1"), asst("a1"), { role: "user", content: text }], {
      budgetTokens: 100,
      countTokens: count,
    });
    const out = messages.at(-1)?.content;
    expect(typeof out).toBe("string");
    const match = String(out).match(
      /^(w0 [\s\S]*)\n\n\[… (\d+) tokens removed by middle-out …\]\n\n([\s\S]*w999)$/,
    );
    expect(match).not.toBeNull();
    const [, head = "", removed = "0", tail = ""] = match ?? [];
    expect(Math.abs(head.length - tail.length)).toBeLessThanOrEqual(2); // cut in the middle, by characters
    expect(Number(removed)).toBeGreaterThan(800);
  });

  it("cuts only text parts: images survive whole", () => {
    const img = image("https://example.com/cat.png");
    const big: Message = { role: "user", content: [{ type: "text", text: pad("u2", 500) }, img] };
    const result = middleOut([user("u1"), asst("a1"), big], { budgetTokens: 120, countTokens: count });
    const last = result.messages.at(-1);
    expect(Array.isArray(last?.content) && last.content[1]).toEqual(img);
    expect(result.report.tokensOut).toBeLessThanOrEqual(120);
    expect(result.report.truncatedMessages).toBe(1);
  });

  it("cuts a message's second text part too when cutting the largest is not enough", () => {
    // Two documents of 400 words in one message, 120 tokens of room: neither alone can make it fit.
    const twoDocs: Message = {
      role: "user",
      content: [
        { type: "text", text: pad("doc1", 400) },
        { type: "text", text: pad("doc2", 400) },
      ],
    };
    const result = middleOut([user("u1"), asst("a1"), twoDocs], { budgetTokens: 120, countTokens: count });
    expect(result.fits).toBe(true);
    expect(result.report.tokensOut).toBeLessThanOrEqual(120);
    const parts = result.messages.at(-1)?.content;
    if (!Array.isArray(parts)) throw new Error("the message keeps its parts");
    for (const part of parts)
      expect(part.type === "text" && part.text).toMatch(/tokens removed by middle-out/);
  });

  it("drops images only together with their message", () => {
    const withImage: Message = {
      role: "user",
      content: [{ type: "text", text: "u2" }, image("https://x/y.png")],
    };
    const result = middleOut([user("u1"), asst("a1"), withImage, asst("a2"), user("u3")], {
      budgetTokens: 10,
      countTokens: count,
    });
    // The image's message goes whole; then a1 goes too, so a1 and a2 do not meet across the gap.
    expect(result.messages.map(label)).toEqual(["u1", "a2", "u3"]);
  });

  it("never cuts tool-call arguments", () => {
    const args = JSON.stringify({ text: pad("x", 300) });
    const big: Message = {
      role: "assistant",
      content: "c1",
      tool_calls: [{ id: "x", type: "function", function: { name: "f", arguments: args } }],
    };
    const result = middleOut([user("u1"), big, tool("t1", "x", 5)], { budgetTokens: 50, countTokens: count });
    const kept = result.messages[1];
    expect(kept?.role === "assistant" && kept.tool_calls?.[0]?.function.arguments).toBe(args);
    expect(result.fits).toBe(false);
  });

  it("returns its best effort, flagged, when the budget is below the system prompt", () => {
    const result = middleOut([sys("s", 500), user("u1", 5), asst("a1", 5), user("u2", 5)], {
      budgetTokens: 15,
      countTokens: count,
    });
    expect(result.changed).toBe(true);
    expect(result.fits).toBe(false);
    expect(result.messages.map((m) => m.role)).toEqual(["system", "user", "user"]);
    expect(result.messages[0]?.content).toMatch(/tokens removed by middle-out/);
    expect(result.report.tokensOut).toBeLessThan(result.report.tokensIn);
  });

  it("returns a copy of an already-fitting input", () => {
    const input = [user("u1")];
    const result = middleOut(input, { budgetTokens: 10, countTokens: count });
    expect(result.changed).toBe(false);
    expect(result.messages).toEqual(input);
    expect(result.messages).not.toBe(input);
  });
});
