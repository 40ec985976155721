/**
 * The response-healing plugin as the request path sees it: when it applies (non-streamed, JSON
 * asked for, the plugin on), and what it does to an answer's choices.
 */
import { describe, expect, it } from "vitest";
import type { Choice } from "../../../src/schema/chat-completion";
import type { ChatRequest } from "../../../src/schema/chat-request";
import { healResponse, responseHealingRequested } from "../../../src/transforms/response-healing";
import { chat } from "../routing/catalog-rows";

const ON = [{ id: "response-healing" }];
const JSON_OBJECT = { type: "json_object" } as const;
const JSON_SCHEMA = {
  type: "json_schema",
  json_schema: { name: "city", schema: { type: "object" } },
} as ChatRequest["response_format"];

describe("responseHealingRequested", () => {
  it.each<[string, Partial<ChatRequest>, boolean]>([
    ["the plugin with json_object", { plugins: ON, response_format: JSON_OBJECT }, true],
    ["the plugin with json_schema", { plugins: ON, response_format: JSON_SCHEMA }, true],
    [
      "enabled: true",
      { plugins: [{ id: "response-healing", enabled: true }], response_format: JSON_OBJECT },
      true,
    ],
    [
      "among other plugins",
      { plugins: [{ id: "context-compression" }, ...ON], response_format: JSON_OBJECT },
      true,
    ],
    [
      "enabled: false",
      { plugins: [{ id: "response-healing", enabled: false }], response_format: JSON_OBJECT },
      false,
    ],
    [
      "a stream (as on OpenRouter: its chunks are sent before the text is whole)",
      { plugins: ON, response_format: JSON_OBJECT, stream: true },
      false,
    ],
    ["no response_format: the answer is text", { plugins: ON }, false],
    ["response_format text", { plugins: ON, response_format: { type: "text" } }, false],
    ["JSON asked for without the plugin", { response_format: JSON_OBJECT }, false],
    ["other plugins only", { plugins: [{ id: "context-compression" }], response_format: JSON_OBJECT }, false],
  ])("%s → %s", (_name, fields, expected) => {
    expect(responseHealingRequested(chat({ model: "m/a", ...fields }))).toBe(expected);
  });
});

function choice(index: number, content: string | null, extra: Partial<Choice["message"]> = {}): Choice {
  return {
    index,
    message: { role: "assistant", content, ...extra },
    finish_reason: "stop",
    native_finish_reason: "stop",
    logprobs: null,
  } as Choice;
}

const asked = chat({ model: "m/a", plugins: ON, response_format: JSON_OBJECT });

describe("healResponse", () => {
  it("does nothing unless the request asked for it", () => {
    expect(
      healResponse(chat({ model: "m/a", response_format: JSON_OBJECT }), [choice(0, "```json\n{}\n```")]),
    ).toBeUndefined();
  });

  it("repairs the content, keeps the rest of the choice, and reports what it did", () => {
    const original = choice(0, '```json\n{"city": "Paris", "tags": ["capital",],}\n```', { reasoning: "r" });
    const healed = healResponse(asked, [original]);
    expect(healed?.choices).toEqual([
      { ...original, message: { ...original.message, content: '{"city": "Paris", "tags": ["capital"]}' } },
    ]);
    expect(original.message.content).toContain("```"); // the provider's answer is not mutated
    expect(healed?.report).toEqual({
      healed: 1,
      unrepairable: 0,
      choices: 1,
      repairs: ["code_fence", "trailing_comma"],
    });
  });

  it("leaves valid JSON as the very same string, and reports nothing", () => {
    const original = choice(0, '{ "city": "Paris", "country": "France" }');
    const healed = healResponse(asked, [original]);
    expect(healed?.choices[0]).toBe(original);
    expect(healed?.report).toBeUndefined();
  });

  it("leaves content it cannot repair as the model wrote it, and says so", () => {
    const original = choice(0, "I can't share that.");
    const healed = healResponse(asked, [original]);
    expect(healed?.choices[0]).toBe(original);
    expect(healed?.report).toEqual({ healed: 0, unrepairable: 1, choices: 1, repairs: [] });
  });

  it("leaves choices without text content alone (tool calls, a refusal)", () => {
    const toolCall = choice(0, null, {
      tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{" } }],
    });
    const refusal = choice(1, null, { refusal: "No." });
    const healed = healResponse(asked, [toolCall, refusal]);
    expect(healed?.choices[0]).toBe(toolCall);
    expect(healed?.choices[1]).toBe(refusal);
    expect(healed?.report).toBeUndefined();
  });

  it("heals every choice of n > 1 on its own", () => {
    const healed = healResponse(asked, [
      choice(0, '{"a": 1,}'),
      choice(1, '{"a": 2}'),
      choice(2, 'Sure: {"a": 3'),
    ]);
    expect(healed?.choices.map((c) => c.message.content)).toEqual(['{"a": 1}', '{"a": 2}', '{"a": 3}']);
    expect(healed?.report).toEqual({
      healed: 2,
      unrepairable: 0,
      choices: 3,
      repairs: ["surrounding_text", "trailing_comma", "truncated"],
    });
  });
});
