import { beforeAll, describe, expect, it } from "vitest";
import { fixtureJson } from "../conformance/fixtures";
import { expectOpenAiShape, openaiSchema } from "./openai-spec";

describe("the OpenAI schema validator", () => {
  beforeAll(() => void openaiSchema("CreateChatCompletionResponse"), 60_000);

  it("accepts a real OpenAI completion", () => {
    expect(() =>
      expectOpenAiShape("CreateChatCompletionResponse", fixtureJson("openai/chat-text.json")),
    ).not.toThrow();
  });

  it("rejects a completion without choices", () => {
    const body = { ...(fixtureJson("openai/chat-text.json") as object), choices: "nope" };
    expect(() => expectOpenAiShape("CreateChatCompletionResponse", body)).toThrow(/choices/);
  });
});
