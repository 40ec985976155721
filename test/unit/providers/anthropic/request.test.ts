import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { anthropicAdapter } from "../../../../src/providers/anthropic";
import { toMessagesRequest } from "../../../../src/providers/anthropic/request";
import { runStream } from "../../../conformance/adapter-suite";
import { fixtureBytes, fixtureJson } from "../../../conformance/fixtures";
import { DIR, request, target } from "./helpers";

const build = (fields: Record<string, unknown>, t = target()) => toMessagesRequest(request(fields), t, false);

const weather = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
  },
};

describe("upstream request", () => {
  it("posts to /v1/messages with Anthropic's headers and the configured beta", async () => {
    const t = target({}, { beta: "interleaved-thinking-2025-05-14" });
    t.provider.baseUrl = "https://api.anthropic.com/";
    const up = await anthropicAdapter.toProviderRequest(request(), t, { stream: true });
    expect(up.url).toBe("https://api.anthropic.com/v1/messages");
    expect(up.headers).toEqual({
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
      "x-api-key": t.apiKey,
      "anthropic-beta": "interleaved-thinking-2025-05-14",
    });
    expect(JSON.parse(up.body)).toMatchObject({ model: "claude-sonnet-4-5", stream: true });
  });

  it("omits stream and beta when not asked for", async () => {
    const up = await anthropicAdapter.toProviderRequest(request(), target(), { stream: false });
    expect(up.headers["anthropic-beta"]).toBeUndefined();
    expect(JSON.parse(up.body).stream).toBeUndefined();
  });
});

describe("messages", () => {
  it("moves system and developer messages into system blocks, keeping cache_control", () => {
    const body = build({
      messages: [
        { role: "system", content: "You are terse." },
        {
          role: "developer",
          content: [
            { type: "text", text: "Long shared context", cache_control: { type: "ephemeral", ttl: "1h" } },
          ],
        },
        { role: "user", content: "Hi" },
      ],
    });
    expect(body.system).toEqual([
      { type: "text", text: "You are terse." },
      { type: "text", text: "Long shared context", cache_control: { type: "ephemeral", ttl: "1h" } },
    ]);
    expect(body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Hi" }] }]);
  });

  it("turns tool calls into tool_use and merges consecutive tool results into one user turn", () => {
    const body = build({
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            {
              id: "toolu_1",
              type: "function",
              function: { name: "get_weather", arguments: '{"location":"Paris"}' },
            },
            { id: "toolu_2", type: "function", function: { name: "get_weather", arguments: "" } },
          ],
        },
        { role: "tool", tool_call_id: "toolu_1", content: "18C" },
        { role: "tool", tool_call_id: "toolu_2", content: [{ type: "text", text: "21C" }] },
        { role: "user", content: "And tomorrow?" },
      ],
      tools: [weather],
    });
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "toolu_1", name: "get_weather", input: { location: "Paris" } },
          { type: "tool_use", id: "toolu_2", name: "get_weather", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
          { type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "21C" }] },
          { type: "text", text: "And tomorrow?" },
        ],
      },
    ]);
  });

  it("merges consecutive same-role turns and puts tool results first", () => {
    const body = build({
      messages: [
        { role: "user", content: "one" },
        { role: "user", content: "two" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "t", function: { name: "f", arguments: "{}" } }],
        },
        { role: "user", content: "interjection" },
        { role: "tool", tool_call_id: "t", content: "done" },
      ],
    });
    expect(body.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(body.messages[0]?.content).toHaveLength(2);
    expect(body.messages[2]?.content.map((b) => b.type)).toEqual(["tool_result", "text"]);
  });

  it("refuses tool call arguments that are not a JSON object", () => {
    const messages = [
      { role: "user", content: "x" },
      { role: "assistant", tool_calls: [{ id: "t", function: { name: "f", arguments: '{"a":' } }] },
      { role: "tool", tool_call_id: "t", content: "r" },
    ];
    expect(() => build({ messages })).toThrow(GatewayError);
  });

  it("sends images by URL and as base64 data URLs, and PDFs as documents", () => {
    const body = build({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Compare" },
            { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
            { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } },
            { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0x" } },
            { type: "input_audio", input_audio: { data: "xx", format: "wav" } },
          ],
        },
      ],
    });
    expect(body.messages[0]?.content).toEqual([
      { type: "text", text: "Compare" },
      { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
      { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
      {
        type: "document",
        title: "a.pdf",
        source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" },
      },
    ]);
  });

  it("keeps a trailing assistant message as a prefill, without trailing whitespace", () => {
    const body = build({
      messages: [
        { role: "user", content: "List three colours as JSON" },
        { role: "assistant", content: '{"colours": [ ' },
      ],
    });
    expect(body.messages.at(-1)).toEqual({
      role: "assistant",
      content: [{ type: "text", text: '{"colours": [' }],
    });
  });

  it("keeps cache_control on text parts and passes a top-level cache_control", () => {
    const body = build({
      cache_control: { type: "ephemeral" },
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "big document", cache_control: { type: "ephemeral" } },
            { type: "text", text: "question" },
          ],
        },
      ],
    });
    expect(body).toMatchObject({
      cache_control: { type: "ephemeral" },
      messages: [
        {
          content: [
            { type: "text", text: "big document", cache_control: { type: "ephemeral" } },
            { type: "text", text: "question" },
          ],
        },
      ],
    });
    expect(body.messages[0]?.content[1]).not.toHaveProperty("cache_control");
  });
});

describe("reasoning_details round-trip", () => {
  it("sends streamed thinking back as one thinking block with its signature, before text and tool_use", async () => {
    const { chunks } = await runStream(anthropicAdapter, fixtureBytes(`${DIR}stream-thinking.sse`), {
      target: target(),
      request: request(),
    });
    const details = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.reasoning_details ?? []));
    const reasoning = chunks.map((c) => c.choices.map((ch) => ch.delta.reasoning ?? "").join("")).join("");
    const body = build({
      messages: [
        { role: "user", content: "How do I cross the street?" },
        {
          role: "assistant",
          content: "Look both ways.",
          reasoning_details: details,
          tool_calls: [{ id: "toolu_9", function: { name: "f", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "toolu_9", content: "ok" },
      ],
    });
    const assistant = body.messages[1];
    expect(assistant?.content.map((b) => b.type)).toEqual(["thinking", "text", "tool_use"]);
    expect(assistant?.content[0]).toEqual({
      type: "thinking",
      thinking: reasoning,
      signature: expect.stringMatching(/^EvMCCkYICxgCKkCHP2cSuEdcJK/),
    });
  });

  it("sends non-streamed thinking and redacted thinking back verbatim", () => {
    const completion = anthropicAdapter.fromProviderResponse(fixtureJson(`${DIR}messages-thinking.json`), {
      request: request(),
      target: target(),
    });
    const details = [
      ...(completion.choices[0]?.message.reasoning_details ?? []),
      { type: "reasoning.encrypted", data: "EqkECkYIBxgC", format: "anthropic-claude-v1", index: 1 },
      { type: "reasoning.text", text: "unsigned", format: "anthropic-claude-v1", index: 2 },
      { type: "reasoning.text", text: "other vendor", signature: "x", format: "google-gemini-v1", index: 3 },
    ];
    const body = build({
      messages: [
        { role: "user", content: "How do I cross the street?" },
        { role: "assistant", content: "Look both ways.", reasoning_details: details },
        { role: "user", content: "Thanks" },
      ],
    });
    expect(body.messages[1]?.content).toEqual([
      {
        type: "thinking",
        thinking: expect.stringContaining("pedestrian safety"),
        signature: expect.stringMatching(/^Eq8CCkYICxgCKkDdadQO/),
      },
      { type: "redacted_thinking", data: "EqkECkYIBxgC" },
      { type: "text", text: "Look both ways." },
    ]);
  });
});

describe("tools and tool_choice", () => {
  it("maps tools to name / description / input_schema", () => {
    const noParams = { type: "function", function: { name: "ping" } };
    expect(build({ tools: [weather, noParams] }).tools).toEqual([
      { name: "get_weather", description: "Weather for a city", input_schema: weather.function.parameters },
      { name: "ping", input_schema: { type: "object", properties: {} } },
    ]);
  });

  it.each([
    ["auto", { type: "auto" }],
    ["required", { type: "any" }],
    ["none", { type: "none" }],
    [
      { type: "function", function: { name: "get_weather" } },
      { type: "tool", name: "get_weather" },
    ],
  ])("tool_choice %j → %j", (choice, expected) => {
    expect(build({ tools: [weather], tool_choice: choice }).tool_choice).toEqual(expected);
  });

  it.each([
    [undefined, { type: "auto", disable_parallel_tool_use: true }],
    ["required", { type: "any", disable_parallel_tool_use: true }],
    [
      { type: "function", function: { name: "get_weather" } },
      { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
    ],
  ])("parallel_tool_calls false with tool_choice %j → %j", (choice, expected) => {
    expect(build({ tools: [weather], tool_choice: choice, parallel_tool_calls: false }).tool_choice).toEqual(
      expected,
    );
  });

  it("sends no tool_choice without tools", () => {
    expect(build({ tool_choice: "required" }).tool_choice).toBeUndefined();
  });
});

describe("response_format as a forced tool", () => {
  const format = {
    type: "json_schema",
    json_schema: { name: "Location", schema: { type: "object", properties: { city: { type: "string" } } } },
  };

  it("forces a synthetic tool named after the schema", () => {
    expect(build({ response_format: format })).toMatchObject({
      tools: [{ name: "Location", input_schema: format.json_schema.schema }],
      tool_choice: { type: "tool", name: "Location" },
    });
    expect(build({ response_format: { type: "json_object" } })).toMatchObject({
      tools: [{ name: "json", input_schema: { type: "object" } }],
      tool_choice: { type: "tool", name: "json" },
    });
  });

  it("asks instead of forcing when thinking is on (Anthropic forbids forced tools with thinking)", () => {
    const body = build({ response_format: format, reasoning: { effort: "low" } });
    expect(body.tool_choice).toEqual({ type: "auto" });
    expect(body.system?.at(-1)?.text).toContain("Location");
  });

  it("gives way to the client's own tools", () => {
    const body = build({ response_format: format, tools: [weather] });
    expect(body.tools?.map((t) => t.name)).toEqual(["get_weather"]);
    expect(body.tool_choice).toBeUndefined();
  });
});

describe("sampling, limits and thinking", () => {
  it("maps stop, sampling and user, and drops what Anthropic cannot express", () => {
    const body = build({
      stop: "END",
      temperature: 1.5,
      top_p: 0.9,
      top_k: 40,
      user: "user-42",
      seed: 7,
      logit_bias: { "50256": -100 },
      frequency_penalty: 0.5,
      presence_penalty: 0.5,
      n: 2,
      logprobs: true,
    });
    expect(body).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
      stop_sequences: ["END"],
      temperature: 1,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: "user-42" },
    });
  });

  it("drops whitespace-only stop sequences and top_k 0", () => {
    const body = build({ stop: ["\n", "END"], top_k: 0 });
    expect(body.stop_sequences).toEqual(["END"]);
    expect(body).not.toHaveProperty("top_k");
  });

  it.each([
    ["max_tokens given", { max_tokens: 300 }, 64_000, 300],
    ["max_completion_tokens given", { max_completion_tokens: 500 }, 64_000, 500],
    ["default, capped at 4096", {}, 64_000, 4096],
    ["default below 4096 on a small endpoint", {}, 2048, 2048],
  ])("max_tokens without thinking: %s", (_label, fields, endpointMax, expected) => {
    expect(build(fields, target({ maxCompletionTokens: endpointMax })).max_tokens).toBe(expected);
  });

  it.each([
    ["effort high of max_tokens 10000", { max_tokens: 10_000, reasoning: { effort: "high" } }, 10_000, 8000],
    ["reasoning_effort low, floor 1024", { max_tokens: 4000, reasoning_effort: "low" }, 4000, 1024],
    ["explicit budget above max_tokens", { max_tokens: 1000, reasoning: { max_tokens: 2000 } }, 3000, 2000],
    ["enabled: true means medium", { reasoning: { enabled: true } }, 16_000, 8000],
    ["exclude still thinks", { reasoning: { exclude: true } }, 16_000, 8000],
  ])("thinking: %s", (_label, fields, maxTokens, budget) => {
    const body = build(fields);
    expect(body.thinking).toEqual({ type: "enabled", budget_tokens: budget });
    expect(body.max_tokens).toBe(maxTokens);
    expect(body.max_tokens).toBeGreaterThan(budget);
  });

  it("never exceeds the endpoint's output limit", () => {
    const body = build({ reasoning: { max_tokens: 60_000 } }, target({ maxCompletionTokens: 64_000 }));
    expect(body.max_tokens).toBe(64_000);
    expect(body.thinking?.budget_tokens).toBeLessThan(64_000);
  });

  it.each([
    ["enabled: false", { reasoning: { enabled: false } }],
    ["effort none", { reasoning: { effort: "none" } }],
    ["no reasoning", {}],
  ])("no thinking with %s", (_label, fields) => {
    expect(build(fields).thinking).toBeUndefined();
  });

  it("drops temperature and top_k, and a low top_p, when thinking", () => {
    const body = build({ reasoning: { effort: "medium" }, temperature: 0.2, top_k: 5, top_p: 0.5 });
    expect(body).not.toHaveProperty("temperature");
    expect(body).not.toHaveProperty("top_k");
    expect(body).not.toHaveProperty("top_p");
    expect(build({ reasoning: { effort: "medium" }, top_p: 0.97 }).top_p).toBe(0.97);
  });
});
