import { join } from "node:path";
import { encode } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import type { Message, Tool } from "../../../src/schema/chat-request.ts";
import {
  countMessageTokens,
  countPromptTokens,
  countTextTokens,
  IMAGE_TOKENS_DEFAULT,
  IMAGE_TOKENS_LOW,
  MESSAGE_OVERHEAD_TOKENS,
  OTHER_PART_TOKENS,
} from "../../../src/transforms/tokens.ts";
import { REPO_DIR, readTree } from "./corpus.ts";

describe("countMessageTokens", () => {
  it.each<[string, Message, number]>([
    ["empty user message is just the framing", { role: "user", content: "" }, MESSAGE_OVERHEAD_TOKENS],
    [
      "low-detail image",
      {
        role: "user",
        content: [{ type: "image_url", image_url: { url: "https://x/y.png", detail: "low" } }],
      },
      MESSAGE_OVERHEAD_TOKENS + IMAGE_TOKENS_LOW,
    ],
    [
      "default-detail image",
      { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] },
      MESSAGE_OVERHEAD_TOKENS + IMAGE_TOKENS_DEFAULT,
    ],
    [
      "audio part",
      { role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }] },
      MESSAGE_OVERHEAD_TOKENS + OTHER_PART_TOKENS,
    ],
  ])("%s", (_, message, expected) => {
    expect(countMessageTokens(message)).toBe(expected);
  });

  it("counts tool calls' names and arguments", () => {
    const args = JSON.stringify({ city: "Paris", units: "metric", days: [1, 2, 3] });
    const bare: Message = { role: "assistant", content: null };
    const withCall: Message = {
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: args } }],
    };
    const extra = countMessageTokens(withCall) - countMessageTokens(bare);
    expect(extra).toBeGreaterThanOrEqual(encode(`get_weather${args}`).length);
  });

  it("counts the tool_call_id of tool results and reasoning sent back", () => {
    const tool: Message = { role: "tool", tool_call_id: "call_abc", content: "42" };
    expect(countMessageTokens(tool)).toBeGreaterThan(countMessageTokens({ role: "user", content: "42" }));
    const reasoning: Message = { role: "assistant", content: "ok", reasoning: "Let me think about it." };
    expect(countMessageTokens(reasoning)).toBeGreaterThan(
      countMessageTokens({ role: "assistant", content: "ok" }),
    );
  });

  it("counts the prompt as messages plus tools plus reply priming", () => {
    const messages: Message[] = [{ role: "user", content: "What is the weather in Paris?" }];
    const tools: Tool[] = [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather for a city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      },
    ];
    const withoutTools = countPromptTokens(messages);
    expect(withoutTools).toBeGreaterThan(countMessageTokens(messages[0]!));
    expect(countPromptTokens(messages, tools) - withoutTools).toBeGreaterThanOrEqual(
      encode(JSON.stringify(tools[0]!.function)).length,
    );
  });
});

describe("countTextTokens speed", () => {
  it("counts a ~200k-token prompt in a few milliseconds", () => {
    const source = readTree(join(REPO_DIR, "node_modules/typescript/lib"), [".d.ts"], 900_000);
    const text = source.slice(0, 800_000);
    // Best of 20 after a warm-up: the machine is shared, so the median says more about the load.
    let tokens = countTextTokens(text);
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      tokens = countTextTokens(text);
      best = Math.min(best, performance.now() - start);
    }
    console.log(
      `countTextTokens: ${text.length} chars → ~${tokens} tokens in ${best.toFixed(2)} ms (best of 20)`,
    );
    expect(tokens).toBeGreaterThan(150_000);
  });
});
