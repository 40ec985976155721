/**
 * Router metadata end to end (`X-OpenRouter-Metadata: enabled`, API.md b1/b7/b8): the built
 * gateway in plain workerd, the mock providers, and OpenRouter's own SDK, which validates every
 * response with its zod schemas and exposes the object as `openrouterMetadata`. Bodies and
 * chunks are also checked against OpenAI's published schemas: the extra field must not break them.
 */
import { OpenRouter } from "@openrouter/sdk";
import type { ChatStreamChunk } from "@openrouter/sdk/models";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RouterMetadata } from "../../src/schema/router-metadata";
import { expectOpenAiShape, openaiSchema } from "../support/openai-spec";
import { freshDatabase } from "./support/fresh-database";
import { readSse } from "./support/sse";
import { MOCK_SECRETS, seed } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

let gateway: Gateway;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
let client: OpenRouter;
const mockUrl = inject("mockProvidersUrl");

beforeAll(async () => {
  openaiSchema("CreateChatCompletionStreamResponse");
  db = await freshDatabase("router_metadata");
  ({ key } = await seed(db.url, mockUrl));
  gateway = await startGateway({ databaseUrl: db.url, vars: MOCK_SECRETS, name: "router-metadata" });
  client = new OpenRouter({ apiKey: key, serverURL: gateway.baseUrl, retryConfig: { strategy: "none" } });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

const ON = { "X-OpenRouter-Metadata": "enabled" };
const hi = [{ role: "user", content: "hi" }];

function post(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

type Body = { model: string; provider: string; openrouter_metadata?: RouterMetadata };

/** A non-streamed answer, checked against OpenAI's schema. */
async function completion(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await post(body, headers);
  expect(res.status, gateway.logs().slice(-2000)).toBe(200);
  const json = (await res.json()) as Body;
  expectOpenAiShape("CreateChatCompletionResponse", json);
  return json;
}

/** A streamed answer's chunks, each checked against OpenAI's schema. */
async function streamed(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await post({ ...body, stream: true }, headers);
  expect(res.status).toBe(200);
  const sse = await readSse(res);
  expect(sse.done).toBe(true);
  for (const chunk of sse.events) expectOpenAiShape("CreateChatCompletionStreamResponse", chunk);
  return sse.events as (Body & { choices: unknown[]; usage?: unknown })[];
}

describe("with X-OpenRouter-Metadata: enabled", () => {
  it("the SDK's chat.send parses the body and exposes openrouterMetadata", async () => {
    const res = await client.chat.send({
      xOpenRouterMetadata: "enabled",
      chatRequest: { model: "test/gpt", messages: [{ role: "user", content: "Say hello" }] },
    });
    if (!("choices" in res)) throw new Error("expected a non-streamed result");
    expect(res.choices[0]?.message.content).toContain("Hello from the openai mock");
    expect(res.openrouterMetadata).toEqual({
      requested: "test/gpt",
      strategy: "direct",
      region: null,
      summary: "available=1, selected=Mock OpenAI",
      attempt: 1,
      isByok: false,
      endpoints: { total: 1, available: [{ provider: "Mock OpenAI", model: "test/gpt", selected: true }] },
      attempts: [{ provider: "Mock OpenAI", model: "test/gpt", status: 200 }],
      pipeline: [],
      generationTime: expect.any(Number),
    });
  });

  it("the SDK's streaming chat.send parses every chunk; only the final usage chunk has openrouterMetadata", async () => {
    const stream = await client.chat.send({
      xOpenRouterMetadata: "enabled",
      chatRequest: { model: "test/claude", messages: [{ role: "user", content: "Say hello" }], stream: true },
    });
    if ("choices" in stream) throw new Error("expected a stream");
    const chunks: ChatStreamChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toBeDefined();
    expect(last.openrouterMetadata).toMatchObject({
      requested: "test/claude",
      strategy: "direct",
      attempt: 1,
      endpoints: {
        total: 1,
        available: [{ provider: "Mock Anthropic", model: "test/claude", selected: true }],
      },
      attempts: [{ provider: "Mock Anthropic", model: "test/claude", status: 200 }],
    });
    expect(last.openrouterMetadata?.generationTime).toBeGreaterThanOrEqual(0);
    expect(chunks.slice(0, -1).every((c) => c.openrouterMetadata === undefined)).toBe(true);
  });

  it("a fallback from a 500 shows both attempts, the second selected", async () => {
    const request = {
      model: "test/flaky",
      messages: hi,
      provider: { order: ["mock-openai", "mock-openai-b"] },
    };
    const plain = await completion(request, ON);
    const chunks = await streamed(request, ON);
    const fromStream = chunks.at(-1)?.openrouter_metadata;
    for (const metadata of [plain.openrouter_metadata, fromStream]) {
      expect(metadata).toMatchObject({
        requested: "test/flaky",
        strategy: "direct",
        attempt: 2,
        summary: "available=3, selected=Mock OpenAI B",
        attempts: [
          { provider: "Mock OpenAI", model: "test/flaky", status: 500 },
          { provider: "Mock OpenAI B", model: "test/flaky", status: 200 },
        ],
      });
      expect(metadata?.endpoints.available).toEqual([
        { provider: "Mock OpenAI", model: "test/flaky", selected: false },
        { provider: "Mock OpenAI B", model: "test/flaky", selected: true },
        { provider: "Mock Unconfigured", model: "test/flaky", selected: false },
      ]);
    }
  });

  it("a models list is the fallback strategy, requested is its first model, and every model's attempts are listed", async () => {
    const metadata = (
      await completion(
        {
          models: ["test/broken", "test/gpt"],
          messages: hi,
          provider: { order: ["mock-openai", "mock-openai-b"] },
        },
        ON,
      )
    ).openrouter_metadata;
    expect(metadata).toMatchObject({ requested: "test/broken", strategy: "fallback", attempt: 3 });
    expect(metadata?.attempts).toEqual([
      { provider: "Mock OpenAI", model: "test/broken", status: 500 },
      { provider: "Mock OpenAI B", model: "test/broken", status: 429 },
      { provider: "Mock OpenAI", model: "test/gpt", status: 200 },
    ]);
    expect(metadata?.endpoints.total).toBe(3);
    expect(metadata?.endpoints.available.filter((e) => e.selected)).toEqual([
      { provider: "Mock OpenAI", model: "test/gpt", selected: true },
    ]);
  });

  it("the older X-OpenRouter-Experimental-Metadata header, any case; a :free request is the free strategy", async () => {
    const metadata = (
      await completion(
        { model: "test/local:free", messages: hi },
        { "X-OpenRouter-Experimental-Metadata": "ENABLED" },
      )
    ).openrouter_metadata;
    expect(metadata).toMatchObject({ requested: "test/local:free", strategy: "free", attempt: 1 });
  });

  it("middle-out that cut the prompt is in the pipeline, with its counts", async () => {
    const prose = "The committee reviewed the quarterly figures and asked the regions to explain the drift. ";
    const messages = [
      { role: "system", content: "You are a careful analyst." },
      ...Array.from({ length: 60 }, (_, i) => ({
        role: i % 2 === 0 ? "user" : "assistant",
        content: `turn ${i}: ${prose.repeat(20)}`,
      })),
      { role: "user", content: "Summarise." },
    ];
    const res = await post({ model: "test/small", messages, max_tokens: 500 }, ON);
    expect(res.status).toBe(200);
    const cut = /messages=(\d+)->(\d+); tokens=(\d+)->(\d+); truncated=(\d+)/.exec(
      res.headers.get("x-switchyard-compression") ?? "",
    );
    expect(cut).not.toBeNull();
    const [, messagesIn, messagesOut, tokensIn, tokensOut, truncated] = cut!.map(Number);
    const metadata = ((await res.json()) as Body).openrouter_metadata;
    expect(metadata?.pipeline).toEqual([
      {
        type: "context_compression",
        name: "context-compression",
        summary: expect.stringContaining(`messages ${messagesIn}->${messagesOut}`),
        data: {
          engine: "middle-out",
          input_type: "messages",
          original_count: 62,
          compressed_count: messagesOut,
          original_tokens: tokensIn,
          compressed_tokens: tokensOut,
          truncated_messages: truncated,
        },
      },
    ]);
    expect(messagesIn).toBe(62);
    expect(messagesOut).toBeLessThan(62);
  });

  it("carries no provider secret or base URL", async () => {
    const plain = await completion({ model: "test/flaky", messages: hi }, ON);
    const text = JSON.stringify(plain.openrouter_metadata);
    expect(text).not.toContain(mockUrl);
    expect(text).not.toMatch(/https?:\/\//);
    for (const secret of Object.values(MOCK_SECRETS)) expect(text).not.toContain(secret);
  });

  it("is never on an error response", async () => {
    const res = await post({ model: "test/broken", messages: hi }, ON);
    expect(res.status).toBeGreaterThanOrEqual(429);
    expect(JSON.stringify(await res.json())).not.toContain("openrouter_metadata");
    const cut = await post({ model: "test/cut", messages: hi, stream: true }, ON);
    const sse = await readSse(cut);
    expect(sse.events.some((e) => e.error !== undefined)).toBe(true);
    expect(sse.raw).not.toContain("openrouter_metadata");
  });
});

describe("without the header, or with another value", () => {
  it.each<[string, Record<string, string>]>([
    ["no header", {}],
    ["disabled", { "X-OpenRouter-Metadata": "disabled" }],
    ["true", { "X-OpenRouter-Metadata": "true" }],
  ])("%s: neither the body nor any chunk has openrouter_metadata", async (_name, headers) => {
    const plain = await completion({ model: "test/gpt", messages: hi }, headers);
    expect(plain).not.toHaveProperty("openrouter_metadata");
    const chunks = await streamed({ model: "test/gpt", messages: hi }, headers);
    expect(chunks.at(-1)?.usage).toBeDefined();
    expect(chunks.some((c) => "openrouter_metadata" in c)).toBe(false);
  });

  it("the SDK sees no openrouterMetadata", async () => {
    const res = await client.chat.send({
      chatRequest: { model: "test/gpt", messages: [{ role: "user", content: "Say hello" }] },
    });
    expect("choices" in res && res.openrouterMetadata).toBeUndefined();
  });
});
