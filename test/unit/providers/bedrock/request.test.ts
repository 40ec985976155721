/** ChatRequest → Converse body, URL and auth headers. */
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { bedrockAdapter } from "../../../../src/providers/bedrock";
import { type ChatRequest, chatRequestSchema } from "../../../../src/schema/chat-request";
import { bedrockTarget } from "./target";

const target = bedrockTarget({ apiKey: "AKIDEXAMPLE" });

async function body(req: Omit<ChatRequest, "model">, t = target): Promise<Record<string, unknown>> {
  const parsed = chatRequestSchema.parse({ model: "anthropic/claude-sonnet-4", ...req });
  const upstream = await bedrockAdapter.toProviderRequest(parsed, t, { stream: false });
  return JSON.parse(upstream.body);
}

const weather = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
  },
};

describe("bedrock request", () => {
  it("never sends top-level cache_control or stop_server_tools_when (API.md b2)", async () => {
    const json = await body({
      messages: [{ role: "user", content: "hi" }],
      cache_control: { type: "ephemeral" },
      stop_server_tools_when: { max_calls: 3 },
    } as Omit<ChatRequest, "model">);
    expect(JSON.stringify(json)).not.toMatch(/cache_control|stop_server_tools_when/);
  });

  it("addresses converse and converse-stream with the model id encoded", async () => {
    const req = chatRequestSchema.parse({ model: "x", messages: [{ role: "user", content: "hi" }] });
    const plain = await bedrockAdapter.toProviderRequest(req, target, { stream: false });
    const stream = await bedrockAdapter.toProviderRequest(req, target, { stream: true });
    expect(plain.url).toBe(
      "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse",
    );
    expect(stream.url).toMatch(/\/model\/us\.anthropic\.claude-sonnet-4-20250514-v1%3A0\/converse-stream$/);
    expect(stream.headers.accept).toBe("application/vnd.amazon.eventstream");
  });

  it("moves system and developer messages to system, with cache points after marked parts", async () => {
    expect(
      await body({
        messages: [
          {
            role: "system",
            content: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
          },
          { role: "developer", content: "Answer in French." },
          {
            role: "user",
            content: [{ type: "text", text: "Long doc", cache_control: { type: "ephemeral" } }],
          },
        ],
      }),
    ).toMatchObject({
      system: [{ text: "Be brief." }, { cachePoint: { type: "default" } }, { text: "Answer in French." }],
      messages: [{ role: "user", content: [{ text: "Long doc" }, { cachePoint: { type: "default" } }] }],
    });
  });

  it("sends data-URL images as bytes and drops http images and blank text", async () => {
    const out = await body({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "" },
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
          ],
        },
      ],
    });
    expect(out.messages).toEqual([
      {
        role: "user",
        content: [{ text: "What is this?" }, { image: { format: "png", source: { bytes: "iVBORw0KGgo=" } } }],
      },
    ]);
  });

  it("sends PDF files as documents", async () => {
    const out = await body({
      messages: [
        {
          role: "user",
          content: [
            {
              type: "file",
              file: { filename: "report_2024.pdf", file_data: "data:application/pdf;base64,JVBERi0=" },
            },
          ],
        },
      ],
    });
    expect(out.messages).toEqual([
      {
        role: "user",
        content: [{ document: { format: "pdf", name: "report 2024", source: { bytes: "JVBERi0=" } } }],
      },
    ]);
  });

  it("translates a tool round trip, merging tool results and the next user message into one user turn", async () => {
    const out = await body({
      tools: [weather],
      tool_choice: "auto",
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: "Let me check.",
          tool_calls: [
            {
              id: "t1",
              type: "function",
              function: { name: "get_weather", arguments: '{"location":"Paris"}' },
            },
            {
              id: "t2",
              type: "function",
              function: { name: "get_weather", arguments: '{"location":"Rome"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "t1", content: '{"temp":21}' },
        { role: "tool", tool_call_id: "t2", content: "sunny, 25C" },
        { role: "user", content: "Thanks, and?" },
      ],
    });
    expect(out).toMatchObject({
      messages: [
        { role: "user", content: [{ text: "Weather in Paris and Rome?" }] },
        {
          role: "assistant",
          content: [
            { text: "Let me check." },
            { toolUse: { toolUseId: "t1", name: "get_weather", input: { location: "Paris" } } },
            { toolUse: { toolUseId: "t2", name: "get_weather", input: { location: "Rome" } } },
          ],
        },
        {
          role: "user",
          content: [
            { toolResult: { toolUseId: "t1", content: [{ json: { temp: 21 } }] } },
            { toolResult: { toolUseId: "t2", content: [{ text: "sunny, 25C" }] } },
            { text: "Thanks, and?" },
          ],
        },
      ],
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: "get_weather",
              description: "Weather for a city",
              inputSchema: { json: weather.function.parameters },
            },
          },
        ],
        toolChoice: { auto: {} },
      },
    });
  });

  it.each([
    ["required", { any: {} }],
    [{ type: "function", function: { name: "get_weather" } }, { tool: { name: "get_weather" } }],
  ] as const)("maps tool_choice %j", async (choice, expected) => {
    const out = await body({
      tools: [weather],
      tool_choice: choice,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(out.toolConfig).toMatchObject({ toolChoice: expected });
  });

  it("omits toolConfig for tool_choice none, unless the history uses tools", async () => {
    const plain = await body({
      tools: [weather],
      tool_choice: "none",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(plain.toolConfig).toBeUndefined();
    const withHistory = await body({
      tools: [weather],
      tool_choice: "none",
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          tool_calls: [{ id: "t1", type: "function", function: { name: "get_weather", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "t1", content: "ok" },
      ],
    });
    expect(withHistory.toolConfig).toEqual({
      tools: [expect.objectContaining({ toolSpec: expect.anything() })],
    });
  });

  it("adds placeholder tool specs when the history has tool calls but the request has no tools", async () => {
    const out = await body({
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          tool_calls: [{ id: "t1", type: "function", function: { name: "lookup", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "t1", content: "ok" },
      ],
    });
    expect(out.toolConfig).toEqual({
      tools: [{ toolSpec: { name: "lookup", inputSchema: { json: { type: "object", properties: {} } } } }],
    });
  });

  it("maps sampling parameters to inferenceConfig and top_k to the passthrough", async () => {
    expect(
      await body({
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 300,
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        stop: "END",
      }),
    ).toMatchObject({
      inferenceConfig: { maxTokens: 300, temperature: 0.2, topP: 0.9, stopSequences: ["END"] },
      additionalModelRequestFields: { top_k: 40 },
    });
  });

  it("turns reasoning into Claude's thinking budget, dropping temperature and top_k", async () => {
    const out = await body({
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 10_000,
      temperature: 0.5,
      top_k: 5,
      reasoning: { effort: "high" },
    });
    expect(out.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 8000 } });
    expect(out.inferenceConfig).toEqual({ maxTokens: 10_000 });
  });

  it("grants the asked-for output on top of an explicit thinking budget larger than max_tokens", async () => {
    const out = await body({
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 500,
      reasoning: { max_tokens: 2000 },
    });
    expect(out).toMatchObject({
      inferenceConfig: { maxTokens: 2500 },
      additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 2000 } },
    });
  });

  it("sends no thinking to non-Claude models or when reasoning is off", async () => {
    const nova = bedrockTarget({ apiKey: "AKIDEXAMPLE" }, "us.amazon.nova-micro-v1:0");
    expect(
      (await body({ messages: [{ role: "user", content: "hi" }], reasoning: { effort: "high" } }, nova))
        .additionalModelRequestFields,
    ).toBeUndefined();
    expect(
      (await body({ messages: [{ role: "user", content: "hi" }], reasoning: { effort: "none" } }))
        .additionalModelRequestFields,
    ).toBeUndefined();
  });

  it("sends assistant reasoning_details back as reasoningContent blocks, merging streamed pieces", async () => {
    const out = await body({
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: "Hello!",
          reasoning_details: [
            { type: "reasoning.text", text: "The user ", format: "anthropic-claude-v1", index: 0 },
            { type: "reasoning.text", text: "greets me.", format: "anthropic-claude-v1", index: 0 },
            { type: "reasoning.text", signature: "SIG==", format: "anthropic-claude-v1", index: 0 },
            { type: "reasoning.encrypted", data: "REDACTED==", format: "bedrock-converse-v1", index: 1 },
            { type: "reasoning.summary", summary: "other vendor", format: "openai-responses-v1", index: 2 },
          ],
        },
        { role: "user", content: "again" },
      ],
    });
    expect(out.messages).toMatchObject([
      {},
      {
        role: "assistant",
        content: [
          { reasoningContent: { reasoningText: { text: "The user greets me.", signature: "SIG==" } } },
          { reasoningContent: { redactedContent: "REDACTED==" } },
          { text: "Hello!" },
        ],
      },
      {},
    ]);
  });
});

describe("bedrock auth", () => {
  const req = chatRequestSchema.parse({ model: "x", messages: [{ role: "user", content: "hi" }] });

  it("signs with SigV4 for service bedrock in the configured region", async () => {
    const signed = await bedrockAdapter.toProviderRequest(req, target, { stream: true });
    expect(signed.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=accept;host;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(signed.headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
    expect(signed.body).not.toContain("wJalrXUtnFEMI");
    expect(JSON.stringify(signed.headers)).not.toContain("wJalrXUtnFEMI");
  });

  it("produces the signature AWS expects: double-encoded path, hashed body (checked by hand with node:crypto)", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2025-01-02T03:04:05Z"));
    try {
      const signed = await bedrockAdapter.toProviderRequest(req, target, { stream: true });
      const sha = (data: string) => createHash("sha256").update(data).digest("hex");
      const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();
      const canonical = [
        "POST",
        // SigV4 for non-S3 services encodes the already-encoded path again: %3A → %253A.
        "/model/us.anthropic.claude-sonnet-4-20250514-v1%253A0/converse-stream",
        "",
        "accept:application/vnd.amazon.eventstream",
        "host:bedrock-runtime.us-east-1.amazonaws.com",
        "x-amz-date:20250102T030405Z",
        "",
        "accept;host;x-amz-date",
        sha(signed.body),
      ].join("\n");
      const scope = "20250102/us-east-1/bedrock/aws4_request";
      const toSign = ["AWS4-HMAC-SHA256", "20250102T030405Z", scope, sha(canonical)].join("\n");
      let key = hmac("AWS4wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20250102");
      for (const part of ["us-east-1", "bedrock", "aws4_request"]) key = hmac(key, part);
      const signature = createHmac("sha256", key).update(toSign).digest("hex");
      expect(signed.headers["x-amz-date"]).toBe("20250102T030405Z");
      expect(signed.headers.authorization).toBe(
        `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${scope}, SignedHeaders=accept;host;x-amz-date, Signature=${signature}`,
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it("adds the session token when one is configured", async () => {
    const withToken = bedrockTarget({
      apiKey: "ASIAEXAMPLE",
      provider: { ...target.provider, config: { region: "eu-west-3", sessionTokenEnv: "AWS_SESSION_TOKEN" } },
      secret: (name) => ({ AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "TOKEN123" })[name],
    });
    const signed = await bedrockAdapter.toProviderRequest(req, withToken, { stream: false });
    expect(signed.headers["x-amz-security-token"]).toBe("TOKEN123");
    expect(signed.headers.authorization).toContain("/eu-west-3/bedrock/aws4_request");
    expect(signed.headers.authorization).toContain("x-amz-security-token");
  });

  it("takes the region from the base URL when config has none", async () => {
    const t = bedrockTarget({
      apiKey: "AKIDEXAMPLE",
      provider: {
        ...target.provider,
        baseUrl: "https://bedrock-runtime.ap-south-1.amazonaws.com/",
        config: {},
      },
    });
    const signed = await bedrockAdapter.toProviderRequest(req, t, { stream: false });
    expect(signed.headers.authorization).toContain("/ap-south-1/bedrock/aws4_request");
    expect(signed.url).toMatch(/^https:\/\/bedrock-runtime\.ap-south-1\.amazonaws\.com\/model\//);
  });

  it("uses a Bedrock API key as a bearer token without signing", async () => {
    const t = bedrockTarget({
      apiKey: "ABSKbedrockapikey",
      provider: { ...target.provider, config: { region: "us-east-1", auth: "bearer" } },
    });
    const out = await bedrockAdapter.toProviderRequest(req, t, { stream: false });
    expect(out.headers.authorization).toBe("Bearer ABSKbedrockapikey");
    expect(out.headers["x-amz-date"]).toBeUndefined();
  });

  it("fails with a retryable 503 'not configured' when credentials are missing, never a 401 the client would take for its key", async () => {
    const noSecret = bedrockTarget({ apiKey: "AKIDEXAMPLE", secret: () => undefined });
    await expect(bedrockAdapter.toProviderRequest(req, noSecret, { stream: false })).rejects.toBeInstanceOf(
      GatewayError,
    );
    await expect(bedrockAdapter.toProviderRequest(req, noSecret, { stream: false })).rejects.toMatchObject({
      status: 503,
      type: "provider_unavailable",
      retryable: true,
      message: expect.stringContaining("is not configured on this gateway"),
    });
  });
});
