/** ChatRequest → Gemini upstream request: URL, auth and the body (`toMatchObject` on what Gemini receives). */
import { describe, expect, it } from "vitest";
import { googleAdapter } from "../../../../src/providers/google";
import type { Target } from "../../../../src/providers/types";
import type { ChatRequest } from "../../../../src/schema/chat-request";
import { aiStudioTarget, chatRequest, vertexTarget } from "./target";

async function upstream(body: Record<string, unknown>, target: Target = aiStudioTarget(), stream = false) {
  const req: ChatRequest = chatRequest(body);
  const out = await googleAdapter.toProviderRequest(req, target, { stream });
  return { ...out, json: JSON.parse(out.body) as Record<string, unknown> };
}

const hi = [{ role: "user", content: "hi" }];

describe("google request: OpenRouter-only fields", () => {
  it("never sends top-level cache_control or stop_server_tools_when (API.md b2)", async () => {
    const { body } = await upstream({
      messages: hi,
      cache_control: { type: "ephemeral" },
      stop_server_tools_when: { max_calls: 3 },
    });
    expect(body).not.toMatch(/cache_control|stop_server_tools_when/);
  });
});

describe("google request: endpoint and auth", () => {
  it("calls AI Studio's generateContent with x-goog-api-key", async () => {
    const out = await upstream({ messages: hi });
    expect(out.url).toBe(
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
    );
    expect(out.headers).toEqual({
      "content-type": "application/json",
      "x-goog-api-key": "sk-test-SECRET-0123456789abcdef",
    });
  });

  it("streams with streamGenerateContent?alt=sse", async () => {
    const out = await upstream({ messages: hi }, aiStudioTarget(), true);
    expect(out.url).toBe(
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    );
  });

  it("calls Vertex AI with a Bearer access token", async () => {
    const out = await upstream({ messages: hi }, vertexTarget(), true);
    expect(out.url).toBe(
      "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    );
    expect(out.headers.authorization).toBe("Bearer sk-test-SECRET-0123456789abcdef");
    expect(out.headers["x-goog-api-key"]).toBeUndefined();
  });
});

describe("google request: messages", () => {
  it("moves system and developer messages to systemInstruction and assistant to model", async () => {
    const { json } = await upstream({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Use French." }] },
        { role: "user", content: "hi" },
        { role: "assistant", content: "bonjour" },
        { role: "user", content: "again" },
      ],
    });
    expect(json).toEqual({
      systemInstruction: { parts: [{ text: "Be brief." }, { text: "Use French." }] },
      contents: [
        { role: "user", parts: [{ text: "hi" }] },
        { role: "model", parts: [{ text: "bonjour" }] },
        { role: "user", parts: [{ text: "again" }] },
      ],
    });
  });

  it("merges consecutive turns of one role", async () => {
    const { json } = await upstream({
      messages: [
        { role: "user", content: "one" },
        { role: "user", content: "two" },
      ],
    });
    expect(json.contents).toEqual([{ role: "user", parts: [{ text: "one" }, { text: "two" }] }]);
  });

  it("maps images: data URLs inline, http(s) URLs as fileData with a guessed MIME type", async () => {
    const { json } = await upstream({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "compare" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.webp?size=2" } },
            { type: "image_url", image_url: { url: "https://example.com/image" } },
          ],
        },
      ],
    });
    expect(json.contents).toEqual([
      {
        role: "user",
        parts: [
          { text: "compare" },
          { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
          { fileData: { fileUri: "https://example.com/cat.webp?size=2", mimeType: "image/webp" } },
          { fileData: { fileUri: "https://example.com/image", mimeType: "image/jpeg" } },
        ],
      },
    ]);
  });

  it("maps a tool round trip: functionCall parts, then functionResponse parts named from the call id", async () => {
    const { json } = await upstream({
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_a", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
            { id: "call_b", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_a", content: '{"temp":21}' },
        { role: "tool", tool_call_id: "call_b", content: "sunny" },
        { role: "user", content: "Thanks" },
      ],
    });
    expect(json.contents).toEqual([
      { role: "user", parts: [{ text: "Weather in Paris and Rome?" }] },
      {
        role: "model",
        parts: [
          { functionCall: { name: "weather", args: { city: "Paris" } } },
          { functionCall: { name: "weather", args: { city: "Rome" } } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "weather", response: { temp: 21 } } },
          { functionResponse: { name: "weather", response: { result: "sunny" } } },
          { text: "Thanks" },
        ],
      },
    ]);
  });

  it("wraps non-object JSON tool results as {result}", async () => {
    const { json } = await upstream({
      messages: [
        { role: "user", content: "n?" },
        {
          role: "assistant",
          tool_calls: [{ id: "c1", type: "function", function: { name: "n", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "c1", content: "[1,2]" },
      ],
    });
    expect(json.contents).toMatchObject([
      {},
      { parts: [{ functionCall: { name: "n", args: {} } }] },
      { parts: [{ functionResponse: { name: "n", response: { result: [1, 2] } } }] },
    ]);
  });

  it("puts thought signatures back on the call they came from, and a loose one on the text", async () => {
    const { json } = await upstream({
      messages: [
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: "Let me check.",
          tool_calls: [
            { id: "call_x_0", type: "function", function: { name: "a", arguments: "{}" } },
            { id: "call_x_1", type: "function", function: { name: "b", arguments: "{}" } },
          ],
          reasoning_details: [
            { type: "reasoning.text", text: "thinking…", format: "google-gemini-v1", index: 0 },
            { type: "reasoning.encrypted", data: "SIG_TEXT", format: "google-gemini-v1", index: 1 },
            {
              type: "reasoning.encrypted",
              data: "SIG_B",
              id: "call_x_1",
              format: "google-gemini-v1",
              index: 2,
            },
            { type: "reasoning.encrypted", data: "OTHER", format: "anthropic-claude-v1", index: 3 },
          ],
        },
        { role: "tool", tool_call_id: "call_x_0", content: "{}" },
        { role: "tool", tool_call_id: "call_x_1", content: "{}" },
      ],
    });
    expect(json.contents).toMatchObject([
      {},
      {
        role: "model",
        parts: [
          { text: "Let me check.", thoughtSignature: "SIG_TEXT" },
          { functionCall: { name: "a" } },
          { functionCall: { name: "b" }, thoughtSignature: "SIG_B" },
        ],
      },
      {},
    ]);
    const model = (json.contents as { parts: Record<string, unknown>[] }[])[1];
    expect(model?.parts[1]).not.toHaveProperty("thoughtSignature");
  });

  it("round-trips what the adapter emitted for a Gemini 3 function call (generate-function-call.json shape)", async () => {
    const { json } = await upstream({
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_r_0", type: "function", function: { name: "weather", arguments: "{}" } }],
          reasoning_details: [
            {
              type: "reasoning.encrypted",
              data: "EskgCsYg",
              id: "call_r_0",
              format: "google-gemini-v1",
              index: 0,
            },
          ],
        },
      ],
    });
    expect(json.contents).toMatchObject([
      {},
      {
        role: "model",
        parts: [{ functionCall: { name: "weather", args: {} }, thoughtSignature: "EskgCsYg" }],
      },
    ]);
  });
});

describe("google request: tools", () => {
  const weather = {
    type: "function",
    function: {
      name: "weather",
      description: "Current weather",
      parameters: {
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        additionalProperties: false,
        properties: {
          city: { type: "string", description: "City" },
          unit: { type: ["string", "null"], enum: ["c", "f"] },
          default: { const: "x" },
          tags: { type: "array", items: { type: "string", minLength: 1, examples: ["a"] } },
        },
        required: ["city"],
      },
    },
  };

  it("declares functions with a schema Gemini accepts", async () => {
    const { json } = await upstream({
      messages: hi,
      tools: [
        weather,
        { type: "function", function: { name: "now", parameters: { type: "object", properties: {} } } },
      ],
    });
    expect(json.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: "weather",
            description: "Current weather",
            parameters: {
              type: "object",
              properties: {
                city: { type: "string", description: "City" },
                unit: { type: "string", nullable: true, enum: ["c", "f"] },
                default: { enum: ["x"], type: "string" },
                tags: { type: "array", items: { type: "string", minLength: 1 } },
              },
              required: ["city"],
            },
          },
          { name: "now" },
        ],
      },
    ]);
    expect(json.toolConfig).toBeUndefined();
  });

  it.each([
    ["auto", { mode: "AUTO" }],
    ["none", { mode: "NONE" }],
    ["required", { mode: "ANY" }],
    [
      { type: "function", function: { name: "weather" } },
      { mode: "ANY", allowedFunctionNames: ["weather"] },
    ],
  ])("maps tool_choice %j to functionCallingConfig %j", async (toolChoice, expected) => {
    const { json } = await upstream({ messages: hi, tools: [weather], tool_choice: toolChoice });
    expect(json.toolConfig).toEqual({ functionCallingConfig: expected });
  });

  it("asks Vertex for partial-argument streaming only when the provider opts in", async () => {
    const target = vertexTarget();
    const optedIn = {
      ...target,
      provider: { ...target.provider, config: { vertex: true, streamFunctionCallArguments: true } },
    };
    const { json } = await upstream({ messages: hi, tools: [weather] }, optedIn, true);
    expect(json.toolConfig).toEqual({
      functionCallingConfig: { mode: "AUTO", streamFunctionCallArguments: true },
    });
    expect(
      (await upstream({ messages: hi, tools: [weather] }, optedIn, false)).json.toolConfig,
    ).toBeUndefined();
  });
});

describe("google request: generationConfig", () => {
  it("maps sampling parameters", async () => {
    const { json } = await upstream({
      messages: hi,
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      max_tokens: 500,
      stop: "END",
      n: 2,
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
    });
    expect(json.generationConfig).toEqual({
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      maxOutputTokens: 500,
      stopSequences: ["END"],
      candidateCount: 2,
      seed: 7,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
    });
  });

  it("sends no generationConfig when nothing is set", async () => {
    expect((await upstream({ messages: hi })).json.generationConfig).toBeUndefined();
  });

  it("maps response_format json_object and json_schema", async () => {
    expect(
      (await upstream({ messages: hi, response_format: { type: "json_object" } })).json.generationConfig,
    ).toEqual({
      responseMimeType: "application/json",
    });
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { a: { type: "integer" } },
      additionalProperties: false,
    };
    const { json } = await upstream({
      messages: hi,
      response_format: { type: "json_schema", json_schema: { name: "x", schema, strict: true } },
    });
    expect(json.generationConfig).toEqual({
      responseMimeType: "application/json",
      responseJsonSchema: {
        type: "object",
        properties: { a: { type: "integer" } },
        additionalProperties: false,
      },
    });
  });

  it.each([
    [
      { reasoning: { effort: "high" }, max_tokens: 10_000 },
      { thinkingBudget: 8000, includeThoughts: true },
    ],
    [
      { reasoning: { effort: "low" }, max_tokens: 10_000 },
      { thinkingBudget: 2000, includeThoughts: true },
    ],
    [
      { reasoning: { effort: "minimal" }, max_tokens: 1000 },
      { thinkingBudget: 1024, includeThoughts: true },
    ],
    [{ reasoning: { effort: "medium" } }, { thinkingBudget: 24576, includeThoughts: true }],
    [
      { reasoning: { enabled: true }, max_tokens: 4000 },
      { thinkingBudget: 2000, includeThoughts: true },
    ],
    [{ reasoning: { max_tokens: 3000, exclude: true } }, { thinkingBudget: 3000, includeThoughts: false }],
    [{ reasoning: { effort: "none" } }, { thinkingBudget: 0, includeThoughts: false }],
    [{ reasoning_effort: "none" }, { thinkingBudget: 0, includeThoughts: false }],
    [{ reasoning: { enabled: false } }, { thinkingBudget: 0, includeThoughts: false }],
    [{ include_reasoning: true }, { includeThoughts: true }],
  ])("maps %j to thinkingConfig %j", async (body, expected) => {
    const { json } = await upstream({ messages: hi, ...body });
    expect(json.generationConfig).toMatchObject({ thinkingConfig: expected });
    expect((json.generationConfig as { thinkingConfig: object }).thinkingConfig).toEqual(expected);
  });
});
