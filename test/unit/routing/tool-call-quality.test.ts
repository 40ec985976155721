import { describe, expect, it } from "vitest";
import {
  type OfferedTools,
  offeredTools,
  ToolCallFragments,
  tallyToolCalls,
} from "../../../src/routing/tool-call-quality";

const weather: OfferedTools = offeredTools([
  {
    type: "function",
    function: {
      name: "get_weather",
      parameters: {
        type: "object",
        properties: { city: { type: "string" }, days: { type: "integer", minimum: 1 } },
        required: ["city"],
        additionalProperties: false,
      },
    },
  },
  { type: "function", function: { name: "now" } },
  // A $ref the validator cannot resolve: the schema's fault, not the model's.
  {
    type: "function",
    function: { name: "broken_schema", parameters: { $ref: "https://example.com/missing.json" } },
  },
])!;

describe("tool-call checker (API.md b4 Auto Exacto: Draft 7, @cfworker/json-schema)", () => {
  it.each<[string, string, string, { calls: number; errors: number }]>([
    ["a valid call", "get_weather", '{"city":"Oslo","days":2}', { calls: 1, errors: 0 }],
    ["a tool without parameters, any JSON", "now", "{}", { calls: 1, errors: 0 }],
    ["no arguments at all, as {}", "now", "", { calls: 1, errors: 0 }],
    ["a name the request did not offer", "get_wether", '{"city":"Oslo"}', { calls: 1, errors: 1 }],
    ["arguments that are not JSON", "get_weather", '{"city": "Oslo"', { calls: 1, errors: 1 }],
    ["a missing required property", "get_weather", '{"days":2}', { calls: 1, errors: 1 }],
    ["a wrong type", "get_weather", '{"city":"Oslo","days":"two"}', { calls: 1, errors: 1 }],
    ["a property the schema forbids", "get_weather", '{"city":"Oslo","unit":"C"}', { calls: 1, errors: 1 }],
    [
      "a schema the validator cannot compile: not checked",
      "broken_schema",
      '{"a":1}',
      { calls: 0, errors: 0 },
    ],
  ])("%s", async (_name, name, args, expected) => {
    expect(await tallyToolCalls([{ name, arguments: args }], weather)).toEqual(expected);
  });

  it("still catches bad JSON and unknown names for a tool whose schema cannot compile", async () => {
    expect(await tallyToolCalls([{ name: "broken_schema", arguments: "{" }], weather)).toEqual({
      calls: 1,
      errors: 1,
    });
  });

  it("counts every call of every choice", async () => {
    const tally = await tallyToolCalls(
      [
        { name: "get_weather", arguments: '{"city":"Oslo"}' },
        { name: "get_weather", arguments: "{}" },
        { name: "now", arguments: "not json" },
      ],
      weather,
    );
    expect(tally).toEqual({ calls: 3, errors: 2 });
  });

  it("collects nothing for a request without tools", () => {
    expect(offeredTools(undefined)).toBeUndefined();
    expect(offeredTools([])).toBeUndefined();
  });

  it("puts streamed fragments together per choice and call index", () => {
    const fragments = new ToolCallFragments();
    fragments.add(0, [{ index: 0, function: { name: "get_weather", arguments: '{"ci' } }]);
    fragments.add(1, [{ index: 0, function: { name: "now", arguments: "" } }]);
    fragments.add(0, [
      { index: 0, function: { arguments: 'ty":"Oslo"}' } },
      { index: 1, function: { name: "now", arguments: "{}" } },
    ]);
    expect(fragments.calls()).toEqual([
      { name: "get_weather", arguments: '{"city":"Oslo"}' },
      { name: "now", arguments: "{}" },
      { name: "now", arguments: "" },
    ]);
  });
});
