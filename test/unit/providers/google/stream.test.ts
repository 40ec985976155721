/** Hand-made stream edge cases the recordings do not cover. */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { googleAdapter } from "../../../../src/providers/google";
import { applyPartialArgs } from "../../../../src/providers/google/partial-args";
import { assembleToolCalls, runStream } from "../../../conformance/adapter-suite";
import { aiStudioTarget, chatRequest } from "./target";

const fx = {
  target: aiStudioTarget(),
  request: chatRequest({ messages: [{ role: "user", content: "hi" }] }),
};

const sse = (...events: unknown[]) =>
  new TextEncoder().encode(events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join(""));

const usage = { promptTokenCount: 5, candidatesTokenCount: 4, totalTokenCount: 9 };

describe("google stream edge cases", () => {
  it("keeps two candidates (n: 2) apart, each with its own finish", async () => {
    const { chunks, error } = await runStream(
      googleAdapter,
      sse(
        {
          candidates: [
            { content: { parts: [{ text: "A" }], role: "model" }, index: 0 },
            { content: { parts: [{ text: "B" }], role: "model" }, index: 1 },
          ],
          responseId: "r",
        },
        {
          candidates: [
            { content: { parts: [{ text: "a" }], role: "model" }, finishReason: "STOP", index: 0 },
            {
              content: { parts: [{ functionCall: { name: "f", args: { x: 1 } } }], role: "model" },
              finishReason: "STOP",
              index: 1,
            },
          ],
          usageMetadata: usage,
          responseId: "r",
        },
      ),
      fx,
    );
    expect(error).toBeUndefined();
    const choices = chunks.flatMap((c) => c.choices);
    const of = (i: number) => choices.filter((c) => c.index === i);
    expect(
      of(0)
        .map((c) => c.delta.content)
        .join(""),
    ).toBe("Aa");
    expect(of(0).at(-1)?.finish_reason).toBe("stop");
    expect(of(1).at(-1)?.finish_reason).toBe("tool_calls");
    expect(assembleToolCalls(of(1))).toEqual([{ id: "call_r_0", name: "f", arguments: '{"x":1}' }]);
    expect(chunks.at(-1)).toEqual({
      choices: [],
      usage: {
        prompt_tokens: 5,
        completion_tokens: 4,
        total_tokens: 9,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
      upstreamId: "r",
      rawUsage: usage,
    });
  });

  it("throws an error event that follows content (an `[{error}]` array) with its retryability", async () => {
    const { chunks, error } = await runStream(
      googleAdapter,
      sse(
        {
          candidates: [{ content: { parts: [{ text: "Hel" }], role: "model" }, index: 0 }],
          usageMetadata: usage,
        },
        [{ error: { code: 429, message: "Resource has been exhausted", status: "RESOURCE_EXHAUSTED" } }],
      ),
      fx,
    );
    expect(chunks.flatMap((c) => c.choices).map((c) => c.delta.content)).toEqual(["Hel"]);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 429, type: "rate_limit_exceeded", retryable: true });
  });

  it("closes a partial-args call still open when the candidate finishes", async () => {
    const { chunks } = await runStream(
      googleAdapter,
      sse(
        { candidates: [{ content: { parts: [{ functionCall: { name: "g", willContinue: true } }] } }] },
        {
          candidates: [
            {
              content: {
                parts: [
                  {
                    functionCall: { partialArgs: [{ jsonPath: "$.n", numberValue: 3 }], willContinue: true },
                  },
                ],
              },
              finishReason: "STOP",
            },
          ],
          usageMetadata: usage,
        },
      ),
      fx,
    );
    expect(assembleToolCalls(chunks.flatMap((c) => c.choices))).toEqual([
      { id: "call_gemini_0", name: "g", arguments: '{"n":3}' },
    ]);
  });
});

describe("google applyPartialArgs", () => {
  it("builds nested objects and arrays and appends string pieces", () => {
    const args: Record<string, unknown> = {};
    applyPartialArgs(args, [
      { jsonPath: "$.trip.stops[0].city", stringValue: "Par" },
      { jsonPath: "$.trip.stops[0].city", stringValue: "is" },
      { jsonPath: "$.trip.stops[1]['the city']", stringValue: "Rome" },
      { jsonPath: "$.flags.fast", boolValue: true },
      { jsonPath: "$.note", nullValue: "NULL_VALUE" },
      { jsonPath: "not-a-path", stringValue: "ignored" },
    ]);
    expect(args).toEqual({
      trip: { stops: [{ city: "Paris" }, { "the city": "Rome" }] },
      flags: { fast: true },
      note: null,
    });
  });
});
