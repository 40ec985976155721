import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encode } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import type { ChatRequest, Message, Tool } from "../../../src/schema/chat-request.ts";
import { completionReserve, compressionRequested, fitToContext } from "../../../src/transforms/index.ts";
import { countMessageTokens } from "../../../src/transforms/tokens.ts";
import { CHINESE, proseOf, REPO_DIR, RUSSIAN, readTree, SHARED_DIR } from "./corpus.ts";

const base: ChatRequest = { model: "m", messages: [{ role: "user", content: "hi" }] };

describe("compressionRequested", () => {
  it.each<[string, Partial<ChatRequest>, number, boolean]>([
    ["default on for an 8k endpoint", {}, 8192, true],
    ["default on for a 4k endpoint", {}, 4096, true],
    ["default off above 8k", {}, 8193, false],
    ["legacy transforms turn it on", { transforms: ["middle-out"] }, 128_000, true],
    ["empty transforms turn it off", { transforms: [] }, 4096, false],
    ["other transforms turn it off", { transforms: ["something-else"] }, 4096, false],
    ["plugin turns it on", { plugins: [{ id: "context-compression" }] }, 128_000, true],
    [
      "plugin with engine middle-out",
      { plugins: [{ id: "context-compression", engine: "middle-out" }] },
      128_000,
      true,
    ],
    [
      "plugin with an unknown engine",
      { plugins: [{ id: "context-compression", engine: "summarise" }] },
      4096,
      false,
    ],
    [
      "plugin enabled: false turns it off",
      { plugins: [{ id: "context-compression", enabled: false }] },
      4096,
      false,
    ],
    [
      "plugin wins over legacy transforms",
      { plugins: [{ id: "context-compression" }], transforms: [] },
      128_000,
      true,
    ],
    ["unrelated plugins leave the default", { plugins: [{ id: "web" }] }, 4096, true],
  ])("%s", (_, fields, context, expected) => {
    expect(compressionRequested({ ...base, ...fields }, context, ["text"])).toBe(expected);
  });

  // b5.6: an image model's reference images must survive; text+image models still compress.
  it.each<[string, Partial<ChatRequest>, string[], boolean]>([
    ["image-only output: not by default", {}, ["image"], false],
    ["image-only output: not even when asked", { transforms: ["middle-out"] }, ["image"], false],
    [
      "image-only output: not even with the plugin",
      { plugins: [{ id: "context-compression" }] },
      ["image"],
      false,
    ],
    ["text+image output still compresses", {}, ["image", "text"], true],
  ])("%s", (_, fields, outputModalities, expected) => {
    expect(compressionRequested({ ...base, ...fields }, 8192, outputModalities)).toBe(expected);
  });
});

describe("completionReserve", () => {
  it.each<[string, Partial<ChatRequest>, number, number | null, number]>([
    ["max_tokens wins", { max_tokens: 1000, max_completion_tokens: 2000 }, 8192, 4096, 1000],
    ["max_completion_tokens next", { max_completion_tokens: 2000 }, 8192, 4096, 2000],
    ["default: 1,024 when the endpoint has no cap", {}, 128_000, null, 1024],
    ["default: the endpoint's cap when smaller", {}, 128_000, 512, 512],
    ["default: at most a quarter of a small context", {}, 2048, 4096, 512],
  ])("%s", (_, fields, context, cap, expected) => {
    expect(completionReserve({ ...base, ...fields }, context, cap)).toBe(expected);
  });
});

const tools: Tool[] = [
  {
    type: "function",
    function: {
      name: "search_docs",
      description: "Search the documentation and return the best matching passages.",
      parameters: {
        type: "object",
        properties: { query: { type: "string" }, limit: { type: "integer", minimum: 1 } },
        required: ["query"],
      },
    },
  },
];

describe("fitToContext", () => {
  it("leaves a fitting request alone and reports nothing", () => {
    const fit = fitToContext(base, { contextLength: 8192 });
    expect(fit.request).toBe(base);
    expect(fit.report).toBeUndefined();
    expect(fit.fits).toBe(true);
    expect(fit.promptTokens).toBeGreaterThan(0);
  });

  it("reserves the completion and counts tools before the messages", () => {
    const messages: Message[] = Array.from({ length: 40 }, (_, i) => ({
      role: i % 2 ? "assistant" : "user",
      content: `message ${i} `.repeat(40),
    }));
    const req: ChatRequest = { ...base, messages, tools, max_tokens: 1000 };
    const fit = fitToContext(req, { contextLength: 4096 });
    expect(fit.report?.messagesOut).toBeLessThan(40);
    expect(fit.promptTokens + 1000).toBeLessThanOrEqual(4096);
    expect(fit.request.tools).toBe(tools);
    const withoutTools = fitToContext({ ...req, tools: undefined }, { contextLength: 4096 });
    expect(withoutTools.report?.tokensOut ?? 0).toBeGreaterThanOrEqual(fit.report?.tokensOut ?? 0);
  });

  it("caps the answer at the room it kept when the request named none (an adapter's default could overflow)", () => {
    const messages: Message[] = Array.from({ length: 40 }, (_, i) => ({
      role: i % 2 ? "assistant" : "user",
      content: `message ${i} `.repeat(40),
    }));
    const fit = fitToContext({ ...base, messages }, { contextLength: 4096, maxCompletionTokens: 4096 });
    expect(fit.report).toBeDefined();
    expect(fit.request.max_tokens).toBe(1024); // a quarter of the window
    expect(fit.promptTokens + (fit.request.max_tokens ?? 0)).toBeLessThanOrEqual(4096);
    const asked = fitToContext({ ...base, messages, max_completion_tokens: 500 }, { contextLength: 4096 });
    expect(asked.request.max_tokens).toBeUndefined();
    expect(asked.request.max_completion_tokens).toBe(500);
  });

  it("applies the endpoint's message limit even when tokens fit", () => {
    const messages: Message[] = Array.from({ length: 30 }, (_, i) => ({
      role: i % 2 ? "assistant" : "user",
      content: `m${i}`,
    }));
    const fit = fitToContext({ ...base, messages }, { contextLength: 1_000_000, maxMessages: 10 });
    expect(fit.request.messages).toHaveLength(10);
    expect(fit.report).toMatchObject({ messagesIn: 30, messagesOut: 10, truncatedMessages: 0 });
    expect(fit.request.max_tokens).toBeUndefined(); // cut for the count, not for length
  });

  it("uses an injected counter", () => {
    const fit = fitToContext(base, { contextLength: 100, countTokens: () => 1000 });
    expect(fit.fits).toBe(false);
    expect(fit.report?.tokensIn).toBe(1000);
  });
});

/**
 * The guarantee behind the estimator: a conversation compressed for an 8k endpoint is not
 * rejected for length. Counted with the real o200k_base tokenizer, the way OpenAI's cookbook
 * counts chat prompts: 3 tokens of reply priming, 4 per message, plus content, names, tool calls.
 */
function realPromptTokens(req: ChatRequest): number {
  let n = 3;
  for (const m of req.messages) {
    n += 4;
    if (typeof m.content === "string") n += encode(m.content).length;
    else for (const p of m.content ?? []) n += p.type === "text" ? encode(p.text).length : 0;
    if (m.role === "tool") n += encode(m.tool_call_id).length;
    if (m.role === "assistant") {
      for (const c of m.tool_calls ?? [])
        n += encode(c.id + c.function.name + c.function.arguments).length + 3;
    }
  }
  for (const t of req.tools ?? []) n += encode(JSON.stringify(t.function)).length;
  return n;
}

const NM = join(REPO_DIR, "node_modules");
const SOURCES: [string, () => string][] = [
  ["prose", () => proseOf(readFileSync(join(SHARED_DIR, "API.md"), "utf8"))],
  ["code", () => readTree(join(NM, "hono/dist/types"), [".d.ts"], 300_000)],
  ["JSON", () => readTree(join(SHARED_DIR, "fixtures"), [".json", ".jsonl"])],
  ["CJK and Cyrillic", () => (CHINESE + RUSSIAN).repeat(200)],
];

/** 100 messages of ~500 real tokens each, with a tool call unit every tenth turn. */
function longConversation(text: string): Message[] {
  const messages: Message[] = [{ role: "system", content: "You are a careful assistant." }];
  let at = 0;
  const chunk = () => {
    const size = 2000;
    const piece = text.slice(at % text.length, (at % text.length) + size);
    at += size;
    return piece;
  };
  for (let i = 0; messages.length < 100; i++) {
    if (i % 10 === 5) {
      messages.push({
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: `call_${i}`,
            type: "function",
            function: { name: "search_docs", arguments: '{"query":"x"}' },
          },
        ],
      });
      messages.push({ role: "tool", tool_call_id: `call_${i}`, content: chunk() });
    } else messages.push({ role: i % 2 ? "assistant" : "user", content: chunk() });
  }
  return messages;
}

describe("never rejected for length: 8k endpoint, max_tokens 1000, real tokenizer", () => {
  it.each(SOURCES)("%s: a ~50k-token, 100-message conversation fits in 8192 − 1000", (name, make) => {
    const messages = longConversation(make());
    const req: ChatRequest = { ...base, messages, tools, max_tokens: 1000 };
    const before = realPromptTokens(req);
    const fit = fitToContext(req, { contextLength: 8192 });
    const after = realPromptTokens(fit.request);
    console.log(
      `${name}: ${messages.length} msgs, ${before} real tokens → ${fit.request.messages.length} msgs, ` +
        `${after} real tokens (estimated ${fit.promptTokens}); budget ${8192 - 1000}`,
    );
    expect(before).toBeGreaterThan(30_000);
    expect(fit.fits).toBe(true);
    expect(after).toBeLessThanOrEqual(8192 - 1000);
    expect(after).toBeGreaterThan((8192 - 1000) * 0.6); // and did not throw away far too much
  });

  it.each(SOURCES)("%s: one 50k-token message is cut to fit in 8192 − 1000", (_, make) => {
    const text = make().repeat(3).slice(0, 200_000);
    const req: ChatRequest = { ...base, messages: [{ role: "user", content: text }], max_tokens: 1000 };
    const fit = fitToContext(req, { contextLength: 8192 });
    expect(fit.report?.truncatedMessages).toBe(1);
    expect(realPromptTokens(fit.request)).toBeLessThanOrEqual(8192 - 1000);
    expect(countMessageTokens(fit.request.messages[0] as Message)).toBeLessThanOrEqual(8192 - 1000);
  });
});
