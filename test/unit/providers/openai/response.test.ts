/** Non-streaming bodies: what the recordings do not pin through the conformance suite alone. */
import { describe, expect, it } from "vitest";
import { openaiAdapter } from "../../../../src/providers/openai";
import { fixtureJson } from "../../../conformance/fixtures";
import { baseRequest, vendorTarget } from "./targets";

const translate = (slug: string, path: string, request = baseRequest) =>
  openaiAdapter.fromProviderResponse(fixtureJson(path), { request, target: vendorTarget(slug) });

describe("openai fromProviderResponse reasoning", () => {
  // As OpenRouter answers for a provider with plain-text reasoning (openrouter/stream-mid-stream-error.sse).
  it.each([
    ["deepseek", "deepseek/chat-reasoning.json"],
    ["xai", "xai/chat-reasoning.json"],
    ["ollama", "ollama/chat-reasoning-gpt-oss.json"],
  ])("mirrors %s's plain reasoning as one reasoning.text detail", (slug, path) => {
    const { message } = translate(slug, path).choices[0] ?? {};
    expect(message?.reasoning?.length).toBeGreaterThan(0);
    expect(message?.reasoning_details).toEqual([
      { type: "reasoning.text", text: message?.reasoning, index: 0, format: null },
    ]);
  });

  it("adds no reasoning_details to an answer without reasoning, nor when reasoning is excluded", () => {
    expect(translate("openai", "openai/chat-text.json").choices[0]?.message).not.toHaveProperty(
      "reasoning_details",
    );
    const hidden = { ...baseRequest, reasoning: { exclude: true } };
    const { message } = translate("deepseek", "deepseek/chat-reasoning.json", hidden).choices[0] ?? {};
    expect(message).not.toHaveProperty("reasoning");
    expect(message).not.toHaveProperty("reasoning_details");
  });
});
