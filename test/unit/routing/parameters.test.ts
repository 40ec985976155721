/**
 * Parameters an endpoint does not list in `supported_parameters` are dropped before the
 * adapter sees the request (API.md b2), so a provider never fails on a knob it lacks.
 */
import { describe, expect, it } from "vitest";
import { dropUnsupportedParameters } from "../../../src/routing/parameters";
import type { ChatRequest } from "../../../src/schema/chat-request";
import { chat } from "./catalog-rows";

const tools: ChatRequest["tools"] = [
  { type: "function", function: { name: "f", parameters: { type: "object" } } },
];

describe("dropUnsupportedParameters", () => {
  it.each<[string, Partial<ChatRequest>, string[], Partial<ChatRequest>]>([
    [
      "supported: kept",
      { temperature: 0.5, top_p: 0.9 },
      ["temperature", "top_p"],
      { temperature: 0.5, top_p: 0.9 },
    ],
    ["unsupported: dropped", { temperature: 0.5, top_k: 40 }, ["temperature"], { temperature: 0.5 }],
    ["max_tokens governs max_completion_tokens too", { max_tokens: 10, max_completion_tokens: 10 }, [], {}],
    [
      "reasoning governs reasoning_effort and include_reasoning",
      { reasoning: { effort: "high" }, reasoning_effort: "high", include_reasoning: true },
      ["max_tokens"],
      {},
    ],
    ["tools dropped take tool_choice with them", { tools, tool_choice: "auto" }, ["tool_choice"], {}],
    [
      "tools kept keep tool_choice",
      { tools, tool_choice: "auto" },
      ["tools", "tool_choice"],
      { tools, tool_choice: "auto" },
    ],
    ["tools without tool_choice support", { tools, tool_choice: "auto" }, ["tools"], { tools }],
    [
      "every sampler the catalog names",
      {
        frequency_penalty: 1,
        presence_penalty: 1,
        repetition_penalty: 1.1,
        min_p: 0.1,
        top_a: 0.1,
        seed: 1,
        logit_bias: { "1": 1 },
        logprobs: true,
        top_logprobs: 2,
        stop: ["x"],
        parallel_tool_calls: false,
        verbosity: "low",
        response_format: { type: "json_object" },
      },
      [],
      {},
    ],
    ["fields nobody governs pass through", { user: "u1", n: 2, seed: 3 }, [], { user: "u1", n: 2 }],
    ["a field sent as null counts as sent", { temperature: null }, [], {}],
  ])("%s", (_name, fields, supported, kept) => {
    const out = dropUnsupportedParameters(chat({ model: "m/x", ...fields }), supported);
    expect(out).toEqual(chat({ model: "m/x", ...kept }));
  });

  it("returns the same object when nothing is dropped, and never mutates the request", () => {
    const req = chat({ model: "m/x", temperature: 0.5, top_k: 40 });
    const snapshot = structuredClone(req);
    expect(dropUnsupportedParameters(req, ["temperature", "top_k"])).toBe(req);
    const out = dropUnsupportedParameters(req, ["temperature"]);
    expect(out).not.toBe(req);
    expect(req).toEqual(snapshot);
  });
});
