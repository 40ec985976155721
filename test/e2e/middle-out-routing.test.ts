/**
 * Middle-out where it meets routing and the catalog, through the Worker (API.md b2, b5): a
 * trailing prefill keeps the question it answers, an endpoint that holds the prompt wins over a
 * cheaper one that must cut it (b5.2), and an image-only-output model is never compressed (b5.6).
 * What the provider received is read back from the mock.
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadCatalog } from "../../src/catalog/load";
import { parseCatalog } from "../../src/catalog/parse";
import { freshDatabase } from "./support/fresh-database";
import { createKey, endpoint, MOCK_SECRETS, mockCatalog } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

let gateway: Gateway;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
const mockUrl = inject("mockProvidersUrl");

const PROSE =
  "The committee reviewed the quarterly figures, noted the rise in shipping costs, and asked the regional teams. ";
const pricing = (p: string) => ({ prompt: p, completion: p });
function model(id: string, contextLength: number, outputModalities = ["text"]) {
  return {
    id,
    name: id,
    created: "2026-01-01",
    description: "x",
    contextLength,
    inputModalities: ["text", "image"],
    outputModalities,
  };
}

type Sent = { model: string; messages: { role: string; content: unknown }[] };

async function received(marker: string): Promise<Sent[]> {
  const res = await fetch(`${mockUrl}/__requests?model=${encodeURIComponent(marker)}`);
  return ((await res.json()) as { bodyText: string }[]).map((r) => JSON.parse(r.bodyText) as Sent);
}

function chat(body: Record<string, unknown>): Promise<Response> {
  return fetch(`${gateway.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** A system prompt and `n` alternating turns, the first marked FIRST and carrying `marker`. */
function conversation(marker: string, n: number, reps: number) {
  const messages: { role: string; content: string }[] = [{ role: "system", content: "sys" }];
  for (let i = 0; i < n; i++) {
    const head = i === 0 ? `FIRST ${marker}` : `t${i}`;
    messages.push({ role: i % 2 ? "assistant" : "user", content: `${head} ${PROSE.repeat(reps)}` });
  }
  return messages;
}

beforeAll(async () => {
  db = await freshDatabase("morouting");
  const base = mockCatalog(mockUrl);
  const catalog = parseCatalog(
    {
      providers: base.providers,
      models: [
        ...base.models,
        model("mr/claude-small", 8192),
        model("mr/mixed", 128_000),
        model("mr/small", 8192),
        model("mr/img", 8192, ["image"]),
      ],
      endpoints: [
        ...base.endpoints,
        endpoint("mr/claude-small", "mock-anthropic", "claude-small-ok", { contextLength: 8192 }),
        // The 8k endpoint is 100× cheaper: the price draw alone would almost always pick it.
        endpoint("mr/mixed", "mock-openai", "mixed-small-ok", {
          contextLength: 8192,
          maxCompletionTokens: 2048,
          pricing: pricing("0.0000001"),
        }),
        endpoint("mr/mixed", "mock-openai-b", "mixed-big-ok", { pricing: pricing("0.00001") }),
        endpoint("mr/small", "mock-openai", "small2-ok", { contextLength: 8192, maxCompletionTokens: 2048 }),
        endpoint("mr/img", "mock-openai", "img-ok", { contextLength: 8192, maxCompletionTokens: 2048 }),
      ],
    },
    "middle-out routing",
  );
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await loadCatalog(drizzle(sql), catalog);
  } finally {
    await sql.end();
  }
  ({ key } = await createKey(db.url, "100", "morouting"));
  gateway = await startGateway({ databaseUrl: db.url, vars: MOCK_SECRETS, name: "middle-out-routing" });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

describe("middle-out and routing", () => {
  it("keeps the last question when an assistant prefill follows it", async () => {
    const marker = `prefill-${Date.now()}`;
    const messages = [
      { role: "system", content: "sys" },
      { role: "user", content: `FIRST ${marker} ${PROSE.repeat(300)}` },
    ];
    for (let i = 1; i <= 6; i++) {
      messages.push({ role: i % 2 ? "assistant" : "user", content: `t${i} ${PROSE.repeat(20)}` });
    }
    messages.push({ role: "assistant", content: "ok" });
    messages.push({ role: "user", content: `LASTQ here is my file ${PROSE.repeat(120)} -- summarise it` });
    messages.push({ role: "assistant", content: "Summary:" });
    const res = await chat({
      model: "mr/claude-small",
      messages,
      transforms: ["middle-out"],
      max_tokens: 500,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchyard-compression")).toMatch(/^middle-out;/);
    const [sent] = await received(marker);
    const texts = sent!.messages.map((m) => `${m.role}:${JSON.stringify(m.content)}`);
    expect(texts.at(-1)).toMatch(/^assistant:.*Summary:/);
    expect(texts.at(-2)).toMatch(/^user:.*LASTQ.*summarise it/);
    expect(texts[0]).toContain("FIRST");
  });

  it("serves a prompt the small endpoint cannot hold from the endpoint that fits, uncut", async () => {
    for (let i = 0; i < 3; i++) {
      const marker = `fits-${Date.now()}-${i}`;
      const res = await chat({
        model: "mr/mixed",
        messages: conversation(marker, 60, 28),
        transforms: ["middle-out"],
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-switchyard-compression")).toBeNull();
      const [sent] = await received(marker);
      expect(sent?.model).toBe("mixed-big-ok");
      expect(sent?.messages).toHaveLength(61);
    }
  });

  it("skips a fallback model that would have to cut the prompt when a later one holds it", async () => {
    const marker = `chain-${Date.now()}`;
    const res = await chat({
      models: ["mr/small", "test/big"],
      messages: conversation(marker, 60, 28),
      transforms: ["middle-out"],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchyard-model")).toBe("test/big");
    expect(res.headers.get("x-switchyard-compression")).toBeNull();
  });

  it("never compresses for an image-only-output model: too long is an error, not a cut", async () => {
    const marker = `img-${Date.now()}`;
    const res = await chat({ model: "mr/img", messages: conversation(marker, 60, 28) });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-switchyard-compression")).toBeNull();
    expect(await received(marker)).toEqual([]);
  });
});
