/**
 * Chat completions end to end: the built gateway in plain workerd, a real Postgres, the mock
 * providers over real HTTP, and the real client libraries — the OpenAI SDK, the Vercel AI SDK
 * with OpenRouter's provider, and OpenRouter's own SDK — pointed at our base URL. Every body
 * and chunk is checked against OpenAI's published schemas.
 */

import { createOpenRouter } from "@openrouter/ai-sdk-provider";
import { OpenRouter } from "@openrouter/sdk";
import { generateText, jsonSchema, streamText, tool } from "ai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { expectOpenAiShape, openaiSchema } from "../support/openai-spec";
import { freshDatabase } from "./support/fresh-database";
import { readSse } from "./support/sse";
import { COMPLETION_PRICE, createKey, MOCK_SECRETS, PROMPT_PRICE, seed } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

let gateway: Gateway;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
let openai: OpenAI;
const mockUrl = inject("mockProvidersUrl");

const weather = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
  },
};

beforeAll(async () => {
  openaiSchema("CreateChatCompletionStreamResponse");
  db = await freshDatabase("chat");
  ({ key } = await seed(db.url, mockUrl));
  gateway = await startGateway({
    databaseUrl: db.url,
    vars: { ...MOCK_SECRETS, CACHE_TTL_SECONDS: "1" },
    name: "chat",
  });
  openai = new OpenAI({ baseURL: gateway.baseUrl, apiKey: key, maxRetries: 0 });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

function post(body: unknown, headers: Record<string, string> = {}, authKey = key): Promise<Response> {
  return fetch(`${gateway.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${authKey}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function getJson(
  path: string,
  authKey = key,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${gateway.baseUrl}${path}`, { headers: { authorization: `Bearer ${authKey}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Generation records are written just after the response: poll briefly. */
async function generation(id: string, authKey = key): Promise<Record<string, unknown>> {
  for (let i = 0; i < 50; i++) {
    const { status, body } = await getJson(`/generation?id=${encodeURIComponent(id)}`, authKey);
    if (status === 200) return body.data as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`generation ${id} never appeared\n${gateway.logs().slice(-2000)}`);
}

function expectedCost(usage: { prompt_tokens: number; completion_tokens: number }): number {
  return usage.prompt_tokens * Number(PROMPT_PRICE) + usage.completion_tokens * Number(COMPLETION_PRICE);
}

describe("the OpenAI SDK", () => {
  it("completes a plain request and says which model and provider served it", async () => {
    const res = await openai.chat.completions.create({
      model: "test/gpt",
      messages: [{ role: "user", content: "Say hello" }],
    });
    expectOpenAiShape("CreateChatCompletionResponse", res);
    expect(res.choices[0]?.message.content).toContain("Hello from the openai mock");
    expect(res.id).toMatch(/^gen-\d+-/);
    expect(res.model).toBe("test/gpt");
    expect(res).toMatchObject({ provider: "Mock OpenAI" });
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
    expect(res.usage).toMatchObject({ cost: expect.closeTo(expectedCost(res.usage!), 12) });
  });

  it("streams, ending with exactly one usage chunk carrying the cost", async () => {
    const stream = await openai.chat.completions.create({
      model: "test/gpt",
      messages: [{ role: "user", content: "Stream please" }],
      stream: true,
    });
    let text = "";
    const usageChunks = [];
    const ids = new Set<string>();
    for await (const chunk of stream) {
      expectOpenAiShape("CreateChatCompletionStreamResponse", chunk);
      ids.add(chunk.id);
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usageChunks.push(chunk);
    }
    expect(text).toContain("Hello from the openai mock");
    expect(ids.size).toBe(1);
    expect(usageChunks).toHaveLength(1);
    expect(usageChunks[0]?.choices).toEqual([]);
    expect(usageChunks[0]?.usage).toMatchObject({ cost: expect.any(Number) });
  });

  it.each(["test/gpt", "test/claude", "test/gemini", "test/nova", "test/azure"])(
    "gets a tool call from %s, plain and streamed",
    async (model) => {
      const res = await openai.chat.completions.create({
        model,
        messages: [{ role: "user", content: "Weather in Paris?" }],
        tools: [weather],
      });
      expectOpenAiShape("CreateChatCompletionResponse", res);
      const call = res.choices[0]?.message.tool_calls?.[0];
      expect(res.choices[0]?.finish_reason).toBe("tool_calls");
      expect(call?.type === "function" && call.function.name).toBe("get_weather");
      expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({ location: "Paris" });

      const stream = await openai.chat.completions.create({
        model,
        messages: [{ role: "user", content: "Weather in Paris?" }],
        tools: [weather],
        stream: true,
      });
      let args = "";
      let name = "";
      let finish: string | null = null;
      for await (const chunk of stream) {
        expectOpenAiShape("CreateChatCompletionStreamResponse", chunk);
        for (const t of chunk.choices[0]?.delta.tool_calls ?? []) {
          name += t.function?.name ?? "";
          args += t.function?.arguments ?? "";
        }
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(name).toBe("get_weather");
      expect(JSON.parse(args)).toEqual({ location: "Paris" });
      expect(finish).toBe("tool_calls");
    },
  );

  it.each(["test/claude", "test/gemini", "test/nova", "test/azure"])(
    "gets the same plain answer from %s",
    async (model) => {
      const res = await openai.chat.completions.create({
        model,
        messages: [{ role: "user", content: "Say hello" }],
      });
      expectOpenAiShape("CreateChatCompletionResponse", res);
      expect(res.choices[0]?.message.content).toMatch(/Hello from the \w+ mock\. \[Say hello\]/);
      expect(res.choices[0]?.finish_reason).toBe("stop");
      expect(res.usage?.prompt_tokens).toBeGreaterThan(0);

      const stream = await openai.chat.completions.create({
        model,
        messages: [{ role: "user", content: "Say hello" }],
        stream: true,
      });
      let text = "";
      for await (const chunk of stream) {
        expectOpenAiShape("CreateChatCompletionStreamResponse", chunk);
        text += chunk.choices[0]?.delta.content ?? "";
      }
      expect(text).toBe(res.choices[0]?.message.content);
    },
  );
});

describe("the Vercel AI SDK with the OpenRouter provider", () => {
  it("generates, streams and calls tools", async () => {
    const openrouter = createOpenRouter({ baseURL: gateway.baseUrl, apiKey: key });
    const plain = await generateText({ model: openrouter.chat("test/gpt"), prompt: "Say hello" });
    expect(plain.text).toContain("Hello from the openai mock");
    expect(plain.usage.totalTokens).toBeGreaterThan(0);

    const streamed = streamText({ model: openrouter.chat("test/claude"), prompt: "Say hello" });
    let text = "";
    for await (const part of streamed.textStream) text += part;
    expect(text).toContain("Hello from the anthropic mock");

    const called = await generateText({
      model: openrouter.chat("test/gemini"),
      prompt: "Weather in Paris?",
      tools: {
        get_weather: tool({
          description: "Current weather for a city",
          inputSchema: jsonSchema<{ location: string }>(weather.function.parameters),
        }),
      },
    });
    expect(called.toolCalls[0]?.toolName).toBe("get_weather");
    expect(called.toolCalls[0]?.input).toEqual({ location: "Paris" });
  });
});

describe("the OpenRouter SDK", () => {
  it("sends plain and streaming requests", async () => {
    const client = new OpenRouter({ apiKey: key, serverURL: gateway.baseUrl });
    const res = await client.chat.send({
      chatRequest: { model: "test/gpt", messages: [{ role: "user", content: "Say hello" }] },
    });
    expect("choices" in res && res.choices[0]?.message.content).toContain("Hello from the openai mock");

    const stream = await client.chat.send({
      chatRequest: { model: "test/nova", messages: [{ role: "user", content: "Say hello" }], stream: true },
    });
    let text = "";
    if (!("choices" in stream)) {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text).toContain("Hello from the bedrock mock");
  });
});

describe("debug.echo_upstream_body (streaming only, API.md b8)", () => {
  type Chunk = Record<string, unknown> & { choices: unknown[]; debug?: { echo_upstream_body: unknown } };
  const marker = () => `echo-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const debugChunks = (events: Record<string, unknown>[]) => (events as Chunk[]).filter((e) => "debug" in e);

  /** What the mock provider received for the request carrying `marker`, parsed (newest last). */
  async function received(marker: string): Promise<unknown[]> {
    const list = (await (await fetch(`${mockUrl}/__requests?model=${marker}`)).json()) as {
      bodyText: string;
    }[];
    return list.map((r) => JSON.parse(r.bodyText) as unknown);
  }

  function expectNoSecret(raw: string): void {
    for (const secret of Object.values(MOCK_SECRETS)) expect(raw).not.toContain(secret);
  }

  it("the OpenAI SDK reads the debug chunk first: choices [], the body sent, valid against OpenAI's schema", async () => {
    const m = marker();
    const params = {
      model: "test/gpt",
      messages: [{ role: "user" as const, content: `Say hello ${m}` }],
      stream: true as const,
      debug: { echo_upstream_body: true },
    };
    const chunks: Chunk[] = [];
    let text = "";
    for await (const chunk of await openai.chat.completions.create(params)) {
      expectOpenAiShape("CreateChatCompletionStreamResponse", chunk);
      chunks.push(chunk as unknown as Chunk);
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text).toContain("Hello from the openai mock");
    expect(chunks[0]).toMatchObject({ choices: [], model: "test/gpt", provider: "Mock OpenAI" });
    expect(chunks[0]?.debug?.echo_upstream_body).toEqual((await received(m))[0]);
    expect(chunks[0]?.debug?.echo_upstream_body).toMatchObject({
      model: "gpt-ok",
      stream: true,
      messages: [{ role: "user", content: `Say hello ${m}` }],
    });
    expect(debugChunks(chunks)).toHaveLength(1);
    expect(chunks.filter((c) => c.choices.length === 0)).toHaveLength(2); // debug, usage
  });

  it.each([
    ["test/claude", { max_tokens: expect.any(Number), system: [{ type: "text", text: "Be brief." }] }],
    ["test/gemini", { systemInstruction: expect.anything(), contents: expect.any(Array) }],
    ["test/nova", { system: [{ text: "Be brief." }], inferenceConfig: expect.anything() }],
  ])("%s: the provider's native body, exactly as it received it, and no key", async (model, shape) => {
    const m = marker();
    const res = await post({
      model,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: `Say hello ${m}` },
      ],
      stream: true,
      debug: { echo_upstream_body: true },
    });
    expect(res.status).toBe(200);
    const { events, done, raw } = await readSse(res);
    expect(done).toBe(true);
    const [first] = events as Chunk[];
    expect(first).toMatchObject({ choices: [], model });
    expectOpenAiShape("CreateChatCompletionStreamResponse", first);
    expect(first?.debug?.echo_upstream_body).toEqual((await received(m))[0]);
    expect(first?.debug?.echo_upstream_body).toMatchObject(shape);
    expect(debugChunks(events)).toHaveLength(1);
    expectNoSecret(raw);
  });

  it("a fallback gets one debug chunk per provider attempted, in order, before any content", async () => {
    const m = marker();
    const res = await post({
      model: "test/flaky",
      messages: [{ role: "user", content: `Say hello ${m}` }],
      // Load balancing orders providers at random: the failing one first, always.
      provider: { order: ["mock-openai", "mock-openai-b"] },
      stream: true,
      debug: { echo_upstream_body: true },
    });
    expect(res.status).toBe(200);
    const { events, raw } = await readSse(res);
    const sent = await received(m);
    expect(sent).toHaveLength(2);
    expect(events.slice(0, 2)).toEqual([
      expect.objectContaining({
        choices: [],
        provider: "Mock OpenAI",
        debug: { echo_upstream_body: sent[0] },
      }),
      expect.objectContaining({
        choices: [],
        provider: "Mock OpenAI B",
        debug: { echo_upstream_body: sent[1] },
      }),
    ]);
    expect(sent.map((b) => (b as { model: string }).model)).toEqual(["flaky-fail-500", "flaky-ok"]);
    expect(debugChunks(events)).toHaveLength(2);
    expectNoSecret(raw);
  });

  it("without the flag, no debug chunk", async () => {
    const res = await post({
      model: "test/claude",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
    });
    const { events } = await readSse(res);
    expect(debugChunks(events)).toEqual([]);
    expect((events[0] as Chunk).choices).not.toEqual([]);
  });

  it("a non-streamed request accepts the flag and ignores it", async () => {
    const res = await post({
      model: "test/claude",
      messages: [{ role: "user", content: "Hi" }],
      debug: { echo_upstream_body: true },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expectOpenAiShape("CreateChatCompletionResponse", body);
    expect(body).not.toHaveProperty("debug");
    expect(JSON.stringify(body)).not.toContain("echo_upstream_body");
  });

  it("the OpenRouter SDK streams it (debug: {echoUpstreamBody: true}) and reads on", async () => {
    const client = new OpenRouter({ apiKey: key, serverURL: gateway.baseUrl });
    const stream = await client.chat.send({
      chatRequest: {
        model: "test/claude",
        messages: [{ role: "user", content: "Say hello" }],
        stream: true,
        debug: { echoUpstreamBody: true },
      },
    });
    const chunks: { choices: unknown[] }[] = [];
    let text = "";
    if (!("choices" in stream)) {
      for await (const chunk of stream) {
        chunks.push(chunk);
        text += chunk.choices[0]?.delta.content ?? "";
      }
    }
    expect(chunks[0]?.choices).toEqual([]);
    expect(text).toContain("Hello from the anthropic mock");
  });
});

describe("routing and fallback", () => {
  it("serves a models list from the second model when every provider of the first fails, and says so", async () => {
    const res = await post({
      models: ["test/broken", "test/gpt"],
      messages: [{ role: "user", content: "hi" }],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: string; provider: string; id: string };
    expect(body.model).toBe("test/gpt");
    expect(body.provider).toBe("Mock OpenAI");
    expect(res.headers.get("x-generation-id")).toBe(body.id);
    const record = await generation(body.id);
    const attempts = record.provider_responses as { model_permaslug: string; status: number }[];
    expect(attempts.map((a) => [a.model_permaslug, a.status])).toEqual([
      ["test/broken", expect.any(Number)],
      ["test/broken", expect.any(Number)],
      ["test/gpt", 200],
    ]);
  });

  it("falls back to another provider of the same model on a 5xx", async () => {
    const res = await post({
      model: "test/flaky",
      messages: [{ role: "user", content: "hi" }],
      provider: { order: ["mock-openai", "mock-openai-b"] },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { provider: string }).provider).toBe("Mock OpenAI B");
  });

  it("returns the last error with previous_errors when everything fails", async () => {
    const res = await post({ model: "test/broken", messages: [{ role: "user", content: "hi" }] });
    expect([429, 500, 502]).toContain(res.status);
    const body = (await res.json()) as {
      error: { code: number; metadata: { previous_errors?: unknown[]; raw?: string } };
    };
    expect(body.error.code).toBe(res.status);
    expect(body.error.metadata.previous_errors).toHaveLength(1);
    expect(JSON.stringify(body)).not.toContain(MOCK_SECRETS.MOCK_OPENAI_KEY);
  });

  it("a 503 for a provider without its key asks the client back in a minute, and names the record", async () => {
    const res = await post({
      model: "test/flaky",
      messages: [{ role: "user", content: "hi" }],
      provider: { only: ["mock-unconfigured"] },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("60");
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toBe("Mock Unconfigured is not configured on this gateway");
    const id = res.headers.get("x-generation-id") as string;
    expect(await generation(id)).toMatchObject({ status: 503, finish_reason: "error" });
  });

  it("with allow_fallbacks false, stops after the ordered provider", async () => {
    const res = await post({
      model: "test/flaky",
      messages: [{ role: "user", content: "hi" }],
      provider: { order: ["mock-openai"], allow_fallbacks: false },
    });
    expect(res.status).toBe(500);
  });
});

describe("streaming failures", () => {
  it("ends a stream cut mid-way with the in-band error chunk, usage and [DONE]", async () => {
    const res = await post({ model: "test/cut", messages: [{ role: "user", content: "hi" }], stream: true });
    expect(res.status).toBe(200);
    const sse = await readSse(res);
    expect(sse.done).toBe(true);
    const errorChunk = sse.events.find((e) => e.error !== undefined) as
      | { error: { code: number }; choices: { finish_reason: string }[] }
      | undefined;
    expect(errorChunk?.choices[0]?.finish_reason).toBe("error");
    expect(errorChunk?.error.code).toBeGreaterThanOrEqual(500);
    const usage = sse.events.filter((e) => e.usage !== undefined);
    expect(usage).toHaveLength(1);
    expect(sse.events.indexOf(errorChunk!)).toBeLessThan(sse.events.indexOf(usage[0]!));
    const content = sse.events
      .flatMap((e) => (e.choices as { delta?: { content?: string } }[]) ?? [])
      .map((c) => c.delta?.content ?? "");
    expect(content.join("").length).toBeGreaterThan(0);
  });

  it("falls back before the first byte, so a failing provider never shows in the stream", async () => {
    const res = await post({
      models: ["test/broken", "test/claude"],
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    expect(res.status).toBe(200);
    const sse = await readSse(res);
    expect(sse.done).toBe(true);
    expect(sse.events.every((e) => e.error === undefined)).toBe(true);
    expect(sse.events[0]?.model).toBe("test/claude");
  });
});

describe("usage, cost and accounting", () => {
  it("records the exact cost on the generation and moves the key's usage by exactly that", async () => {
    const fresh = await createKey(db.url, "5", "accounting");
    const before = await getJson("/key", fresh.key);
    expect(before.status).toBe(200);
    const res = await post(
      { model: "test/gpt", messages: [{ role: "user", content: "count my tokens" }] },
      {
        "HTTP-Referer": "https://app.example",
        "X-Title": "Example App",
      },
      fresh.key,
    );
    const body = (await res.json()) as {
      id: string;
      usage: { prompt_tokens: number; completion_tokens: number; cost: number };
    };
    const expected = expectedCost(body.usage);
    expect(body.usage.cost).toBeCloseTo(expected, 12);
    const data = await generation(body.id, fresh.key);
    expect(Number(data.total_cost_usd)).toBeCloseTo(expected, 12);
    expect(data).toMatchObject({
      model: "test/gpt",
      provider_name: "Mock OpenAI",
      http_referer: "https://app.example",
      app_title: "Example App",
      streamed: false,
    });
    // The key view is cached for a few seconds in the isolate: poll until it reflects the spend.
    for (let i = 0; i < 50; i++) {
      const after = (await getJson("/key", fresh.key)).body.data as { usage: number };
      if (after.usage > 0) {
        expect(after.usage).toBeCloseTo(expected, 12);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const credits = (await getJson("/credits", fresh.key)).body.data as {
      total_credits: number;
      total_usage: number;
    };
    expect(credits.total_credits).toBe(5);
    expect(credits.total_usage).toBeCloseTo(expected, 12);
  });

  it("refuses a paid request with no balance with 402 before any provider is called", async () => {
    const broke = await createKey(db.url, "0", "broke");
    const marker = `never-sent-${Date.now()}`;
    const res = await post(
      { model: "test/gpt", messages: [{ role: "user", content: marker }] },
      {},
      broke.key,
    );
    expect(res.status).toBe(402);
    expect(
      ((await res.json()) as { error: { metadata: { error_type: string } } }).error.metadata.error_type,
    ).toBe("payment_required");
    const seen = (await (await fetch(`${mockUrl}/__requests?model=${marker}`)).json()) as unknown[];
    expect(seen).toHaveLength(0);
  });

  it("parallel requests cannot spend past the balance: those in flight hold their worst case", async () => {
    // Each request may cost 8,000 output tokens ($0.016) plus its prompt: credits for three.
    const fresh = await createKey(db.url, "0.05", "parallel");
    const body = {
      model: "test/drip",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 8000,
      stream: true,
    };
    const controller = new AbortController();
    const responses = await Promise.all(
      Array.from({ length: 12 }, () =>
        fetch(`${gateway.baseUrl}/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${fresh.key}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: controller.signal,
        }),
      ),
    );
    const served = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 402);
    expect(served).toHaveLength(3);
    expect(refused).toHaveLength(9);
    const error = ((await refused[0]!.json()) as { error: { message: string } }).error;
    // The balance is not spent, only held: OpenRouter's message for what the rest affords.
    expect(error.message).toMatch(/You requested up to 8000 tokens, but can only afford \d+\./);

    // The client leaves the three streams: their holds end, and the balance serves again.
    controller.abort();
    await Promise.all(served.map((r) => r.body?.cancel().catch(() => {})));
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const res = await post(body, {}, fresh.key);
      status = res.status;
      await res.body?.cancel();
    }
    expect(status).toBe(200);
  });

  it("a key's 21st free request in a minute gets a 429 saying when the window has room", async () => {
    const fresh = await createKey(db.url, "0", "free-limit");
    const free = { model: "test/local", messages: [{ role: "user", content: "hi" }] };
    const started = Date.now();
    for (let i = 0; i < 20; i++) expect((await post(free, {}, fresh.key)).status).toBe(200);
    const res = await post(free, {}, fresh.key);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.get("x-ratelimit-limit")).toBe("20");
    expect(res.headers.get("x-ratelimit-remaining")).toBe("0");
    // A Unix time in milliseconds, as OpenRouter sends it: a minute after the first request.
    const reset = Number(res.headers.get("x-ratelimit-reset"));
    expect(reset).toBeGreaterThanOrEqual(started + 60_000);
    expect(reset).toBeLessThanOrEqual(Date.now() + 60_000);
    const body = (await res.json()) as { error: { metadata: { error_type: string } } };
    expect(body.error.metadata.error_type).toBe("rate_limit_exceeded");
  });

  it("still serves free endpoints to a key without credits", async () => {
    const broke = await createKey(db.url, "0", "free-user");
    const res = await post(
      { model: "test/local", messages: [{ role: "user", content: "hi" }] },
      {},
      broke.key,
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { usage: { cost: number } }).usage.cost).toBe(0);
  });
});

describe("bad input gets a 4xx in the error envelope, naming the problem", () => {
  const cases: [string, string | Record<string, unknown>, number, RegExp][] = [
    ["malformed JSON", "{not json", 400, /JSON/i],
    ["messages of the wrong type", { model: "test/gpt", messages: "hi" }, 400, /messages/],
    ["an empty models list", { models: [], messages: [{ role: "user", content: "hi" }] }, 400, /models/],
    [
      "an unknown model",
      { model: "nobody/nothing", messages: [{ role: "user", content: "hi" }] },
      400,
      /nobody\/nothing/,
    ],
    [
      "an invalid role",
      { model: "test/gpt", messages: [{ role: "wizard", content: "hi" }] },
      400,
      /messages\.0/,
    ],
    [
      "a temperature out of range",
      { model: "test/gpt", messages: [{ role: "user", content: "hi" }], temperature: 9 },
      400,
      /temperature/,
    ],
    ["no model at all", { messages: [{ role: "user", content: "hi" }] }, 400, /model/],
  ];
  it.each(cases)("%s", async (_name, body, status, message) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: { code: number; message: string } };
    expect(json.error.code).toBe(status);
    expect(json.error.message).toMatch(message);
  });

  it("an oversized body gets 413", async () => {
    const res = await post({
      model: "test/gpt",
      messages: [{ role: "user", content: "x".repeat(17 * 1024 * 1024) }],
    });
    expect(res.status).toBe(413);
  });

  it("a missing or wrong key gets 401", async () => {
    expect(
      (await post({ model: "test/gpt", messages: [{ role: "user", content: "hi" }] }, {}, "")).status,
    ).toBe(401);
    expect(
      (await post({ model: "test/gpt", messages: [{ role: "user", content: "hi" }] }, {}, "sk-sy-v1-nope"))
        .status,
    ).toBe(401);
  });
});
