/**
 * The plain-request fast path may only ever say "valid as is" where zod says valid with the same
 * data: everything else (a refusal, a default, a field it does not know) is left to zod.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chatRequestSchema } from "../../../src/schema/chat-request";
import { isPlainChatRequest } from "../../../src/schema/chat-request-guard";

function agreesWithZod(body: unknown): boolean {
  const accepted = isPlainChatRequest(body);
  const zod = chatRequestSchema.safeParse(body);
  if (accepted) {
    expect(zod.success).toBe(true);
    expect(zod.data).toEqual(body);
  }
  return accepted;
}

const hello = { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Hello" }] };

describe("isPlainChatRequest", () => {
  it.each<[string, unknown]>([
    ["the bench's request", { ...hello, max_tokens: 64, stream: true }],
    ["an SDK stream asking for usage", { ...hello, stream: true, stream_options: { include_usage: true } }],
    ["empty or null stream_options", { ...hello, stream_options: {}, temperature: 0 }],
    [
      "an SDK chat with a system prompt and history",
      {
        model: "anthropic/claude-sonnet-4.5",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hi", name: "ada" },
          { role: "assistant", content: "Hello!" },
          { role: "developer", content: "Use metric units." },
          { role: "user", content: "Weather?" },
        ],
        temperature: 2,
        top_p: 1,
        seed: -7,
        user: "u".repeat(256),
        max_completion_tokens: 1,
      },
    ],
    ["models instead of model", { models: ["a/b", "c/d"], messages: hello.messages }],
  ])("takes %s", (_name, body) => {
    expect(agreesWithZod(body)).toBe(true);
  });

  it.each<[string, unknown]>([
    ["no model", { messages: hello.messages }],
    ["no messages", { model: "a/b" }],
    ["empty messages", { model: "a/b", messages: [] }],
    ["content parts", { model: "a/b", messages: [{ role: "user", content: [{ type: "text", text: "x" }] }] }],
    ["a tool message", { model: "a/b", messages: [{ role: "tool", content: "x", tool_call_id: "c" }] }],
    ["assistant tool calls", { ...hello, messages: [{ role: "assistant", content: null, tool_calls: [] }] }],
    ["an unknown field", { ...hello, provider: { sort: "price" } }],
    [
      "stream_options with a field it does not know",
      { ...hello, stream_options: { include_usage: true, x: 1 } },
    ],
    ["include_usage that is not a boolean", { ...hello, stream_options: { include_usage: "yes" } }],
    ["a message field it does not know", { ...hello, messages: [{ role: "user", content: "x", extra: 1 }] }],
    ["temperature above 2", { ...hello, temperature: 2.0001 }],
    ["top_p of 0", { ...hello, top_p: 0 }],
    ["a fractional max_tokens", { ...hello, max_tokens: 1.5 }],
    ["null values (zod allows some)", { ...hello, temperature: null }],
    ["a user of 257 characters", { ...hello, user: "u".repeat(257) }],
    ["a user message without content", { model: "a/b", messages: [{ role: "user" }] }],
    ["17 models", { models: Array.from({ length: 17 }, (_, i) => `m/${i}`), messages: hello.messages }],
    [
      "a __proto__ key",
      JSON.parse('{"model":"a/b","messages":[{"role":"user","content":"x"}],"__proto__":{}}'),
    ],
    ["not an object", [hello]],
  ])("leaves %s to zod", (_name, body) => {
    expect(agreesWithZod(body)).toBe(false);
  });

  it("never accepts what zod refuses or would change (property)", () => {
    const anyValue = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer({ min: -3, max: 300 }),
      fc.double({ min: -1, max: 3, noNaN: false }),
      fc.string({ maxLength: 3 }),
      fc.constant(""),
      fc.constant("x".repeat(257)),
      fc.array(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 18 }),
      fc.dictionary(fc.constantFrom("include_usage", "x"), fc.oneof(fc.boolean(), fc.integer()), {
        maxKeys: 2,
      }),
    );
    const message = fc.record(
      {
        role: fc.constantFrom("system", "developer", "user", "user", "assistant", "tool", "robot"),
        content: fc.oneof(
          { weight: 6, arbitrary: fc.string({ maxLength: 5 }) },
          { weight: 1, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.constant([]) },
        ),
        name: fc.oneof(fc.string({ maxLength: 3 }), fc.integer()),
      },
      { requiredKeys: ["role", "content"] },
    );
    const field = fc.constantFrom(
      "models",
      "stream",
      "stream_options",
      "max_tokens",
      "max_completion_tokens",
      "temperature",
      "top_p",
      "seed",
      "user",
      "n",
    );
    // Mostly well-formed requests with a few fields of any value: both sides of the guard are hit.
    const body = fc.record(
      {
        model: fc.oneof({ weight: 4, arbitrary: fc.constant("a/b") }, { weight: 1, arbitrary: anyValue }),
        messages: fc.array(message, { maxLength: 3 }),
        extra: fc.dictionary(field, anyValue, { maxKeys: 3 }),
      },
      { requiredKeys: ["messages", "extra"] },
    );
    let accepted = 0;
    fc.assert(
      fc.property(body, ({ extra, ...request }) => {
        if (agreesWithZod({ ...extra, ...request })) accepted++;
      }),
      { numRuns: 3000 },
    );
    // The generator must reach the accepting side too, or the property proves nothing.
    expect(accepted).toBeGreaterThan(20);
  });
});
