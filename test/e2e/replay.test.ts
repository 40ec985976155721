/**
 * Real recorded OpenAI-dialect streams and bodies (OpenAI, Groq, DeepSeek, Mistral, xAI, Ollama,
 * OpenRouter) replayed as the provider's answer through the whole gateway: what clients receive
 * must be valid OpenAI chunks/bodies, stamped with our id/model/provider, with exactly one usage
 * chunk and `[DONE]` — or, for a recording that fails mid-stream, the in-band error chunk.
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadCatalog } from "../../src/catalog/load";
import { parseCatalog } from "../../src/catalog/parse";
import { expectOpenAiShape, openaiSchema } from "../support/openai-spec";
import { freshDatabase } from "./support/fresh-database";
import { readSse } from "./support/sse";
import { createKey } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

const STREAMS: [fixture: string, ends: "ok" | "error"][] = [
  ["openai/chat-stream-text-include-usage.chunks.jsonl", "ok"],
  ["openai/chat-stream-tool-call-include-usage.sse", "ok"],
  ["openai/chat-stream-tool-calls-parallel.sse", "ok"],
  ["openai/chat-stream-refusal.sse", "ok"],
  ["openai/chat-stream-logprobs.sse", "ok"],
  ["openai/chat-stream-n3-choices.sse", "ok"],
  ["openai/chat-stream-finish-length.sse", "ok"],
  ["groq/stream-tool-call.chunks.jsonl", "ok"],
  ["groq/stream-error-tool-use-failed.sse", "error"],
  ["deepseek/stream-reasoning.sse", "ok"],
  ["deepseek/stream-tool-call.chunks.jsonl", "ok"],
  ["mistral/stream-thinking.sse", "ok"],
  ["mistral/stream-tool-call.chunks.jsonl", "ok"],
  ["xai/stream-tool-call-reasoning.chunks.jsonl", "ok"],
  ["openrouter/stream-reasoning-usage-cost.sse", "ok"],
  ["openrouter/stream-mid-stream-error.sse", "error"],
];
const BODIES = [
  "openai/chat-text.json",
  "openai/chat-tool-calls-parallel.json",
  "openai/chat-refusal.json",
  "openai/chat-reasoning-usage-o3-mini.json",
  "deepseek/chat-reasoning.json",
  "mistral/chat-text.json",
  "xai/chat-reasoning.json",
  "ollama/chat-reasoning-gpt-oss.json",
  "ollama/chat-json-schema-local.json",
  "openrouter/chat-tool-call.json",
];

const modelId = (fixture: string) => `replay/${fixture.replace(/[/.]/g, "-").toLowerCase()}`;

let gateway: Gateway;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;

beforeAll(async () => {
  openaiSchema("CreateChatCompletionStreamResponse");
  db = await freshDatabase("replay");
  const fixtures = [...STREAMS.map(([f]) => f), ...BODIES];
  const catalog = parseCatalog(
    {
      providers: [
        {
          slug: "replay",
          name: "Recorded",
          adapter: "openai",
          baseUrl: `${inject("mockProvidersUrl")}/replay/v1`,
          dataPolicy: { training: false, retainsPrompts: false },
        },
      ],
      models: fixtures.map((f) => ({
        id: modelId(f),
        name: f,
        created: "2026-01-01",
        contextLength: 128_000,
        inputModalities: ["text"],
        outputModalities: ["text"],
      })),
      endpoints: fixtures.map((f) => ({
        model: modelId(f),
        provider: "replay",
        providerModelId: f,
        contextLength: 128_000,
        pricing: { prompt: "0.000001", completion: "0.000002" },
        supportedParameters: ["tools", "tool_choice", "max_tokens", "temperature"],
      })),
    },
    "replay catalog",
  );
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  await loadCatalog(drizzle(sql), catalog);
  await sql.end();
  ({ key } = await createKey(db.url, "10", "replay"));
  gateway = await startGateway({ databaseUrl: db.url, name: "replay" });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

function chat(model: string, stream: boolean): Promise<Response> {
  return fetch(`${gateway.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "replay" }] }),
  });
}

describe("recorded streams through the gateway", () => {
  it.each(STREAMS)("%s", async (fixture, ends) => {
    const res = await chat(modelId(fixture), true);
    expect(res.status).toBe(200);
    const sse = await readSse(res);
    expect(sse.done).toBe(true);
    const usage = sse.events.filter((e) => e.usage !== undefined);
    expect(usage).toHaveLength(1);
    expect(sse.events.at(-1)).toBe(usage[0]);
    for (const event of sse.events) {
      expect(event).toMatchObject({
        model: modelId(fixture),
        provider: "Recorded",
        object: "chat.completion.chunk",
      });
      if (event.error === undefined) expectOpenAiShape("CreateChatCompletionStreamResponse", event);
    }
    const finishes = sse.events.flatMap((e) =>
      (e.choices as { finish_reason: string | null }[]).filter((c) => c.finish_reason),
    );
    if (ends === "error") {
      const errors = sse.events.filter((e) => e.error !== undefined);
      expect(errors).toHaveLength(1);
      // The error chunk finishes its choice with "error", unless the provider had finished it
      // already (OpenRouter's own recording: "length", then the error with finish_reason null).
      const finishedBefore = finishes.some((c) => c.finish_reason !== "error");
      const errorChoices = (errors[0]?.choices ?? []) as { finish_reason: string | null }[];
      const errorFinish = errorChoices[0]?.finish_reason;
      expect(errorFinish).toBe(finishedBefore ? null : "error");
    } else {
      expect(finishes.length).toBeGreaterThanOrEqual(1);
      expect((usage[0]?.usage as { cost?: number } | undefined)?.cost).toBeGreaterThan(0);
    }
  });
});

describe("recorded bodies through the gateway", () => {
  it.each(BODIES)("%s", async (fixture) => {
    const res = await chat(modelId(fixture), false);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expectOpenAiShape("CreateChatCompletionResponse", body);
    expect(body).toMatchObject({ model: modelId(fixture), provider: "Recorded", object: "chat.completion" });
    expect(res.headers.get("x-generation-id")).toBe(body.id);
  });
});
