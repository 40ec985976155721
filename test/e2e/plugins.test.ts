/**
 * OpenRouter's `plugins` end to end (API.md b2): the built gateway in plain workerd, a real
 * Postgres, the mock providers over real HTTP. `response-healing` hands the client parseable JSON
 * where the model wrapped or broke it (and only when asked, only without `stream`); a plugin the
 * gateway does not offer is refused before any provider is called, and costs and records nothing.
 */
import { OpenRouter } from "@openrouter/sdk";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadCatalog } from "../../src/catalog/load";
import { parseCatalog } from "../../src/catalog/parse";
import { MESSY_JSON } from "../mocks/openai";
import { expectOpenAiShape, openaiSchema } from "../support/openai-spec";
import { freshDatabase } from "./support/fresh-database";
import { readSse } from "./support/sse";
import { createKey, endpoint, MOCK_SECRETS, mockCatalog } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

let gateway: Gateway;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
const mockUrl = inject("mockProvidersUrl");

/** A real recording (Ollama, json_schema): content that is valid JSON, spaced as the model spaced it. */
const RECORDED = "ollama/chat-json-schema-local.json";
const RECORDED_CONTENT = '{ "city": "Paris", "country": "France" }';

beforeAll(async () => {
  openaiSchema("CreateChatCompletionResponse");
  db = await freshDatabase("plugins");
  const base = mockCatalog(mockUrl);
  const model = (id: string) => ({ ...base.models[0]!, id, name: id });
  const catalog = parseCatalog(
    {
      providers: [
        ...base.providers,
        {
          slug: "replay",
          name: "Recorded",
          adapter: "openai",
          baseUrl: `${mockUrl}/replay/v1`,
          dataPolicy: { training: false, retainsPrompts: false },
        },
      ],
      models: [...base.models, model("test/json"), model("test/recorded-json")],
      endpoints: [
        ...base.endpoints,
        endpoint("test/json", "mock-openai", "json-mess-ok"),
        endpoint("test/recorded-json", "replay", RECORDED),
      ],
    },
    "plugins",
  );
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await loadCatalog(drizzle(sql), catalog);
  } finally {
    await sql.end();
  }
  ({ key } = await createKey(db.url, "10", "plugins"));
  gateway = await startGateway({ databaseUrl: db.url, vars: MOCK_SECRETS, name: "plugins" });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

function post(
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
  authKey = key,
): Promise<Response> {
  return fetch(`${gateway.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${authKey}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

type Completion = {
  choices: { message: { content: string | null } }[];
  usage: { prompt_tokens: number; completion_tokens: number; cost: number };
  openrouter_metadata?: { pipeline: unknown[] };
};

async function completion(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await post(body, headers);
  expect(res.status, gateway.logs().slice(-2000)).toBe(200);
  const json = (await res.json()) as Completion;
  expectOpenAiShape("CreateChatCompletionResponse", json);
  return json;
}

const HEALING = { id: "response-healing" };
const askJson = {
  model: "test/json",
  messages: [{ role: "user", content: "The city and its sights, as JSON" }],
  response_format: { type: "json_object" },
};

describe("response-healing", () => {
  it("hands the client parseable JSON where the model fenced it and left trailing commas", async () => {
    const body = await completion({ ...askJson, plugins: [HEALING] });
    const content = body.choices[0]?.message.content ?? "";
    expect(JSON.parse(content)).toEqual({ city: "Paris", sights: ["Louvre", "Orsay"] });
    expect(content).toBe('{"city": "Paris", "sights": ["Louvre", "Orsay"]}');
  });

  it("without the plugin, or with enabled: false, the client gets the model's text as it was", async () => {
    const plain = await completion(askJson);
    const disabled = await completion({ ...askJson, plugins: [{ ...HEALING, enabled: false }] });
    for (const body of [plain, disabled]) expect(body.choices[0]?.message.content).toBe(MESSY_JSON);
  });

  it("bills what the model wrote: healing does not change the usage", async () => {
    const plain = await completion(askJson);
    const healed = await completion({ ...askJson, plugins: [HEALING] });
    expect(healed.usage.completion_tokens).toBe(plain.usage.completion_tokens);
    expect(healed.usage.cost).toBe(plain.usage.cost);
  });

  it("does not touch an answer to a request for text", async () => {
    const { response_format: _, ...askText } = askJson;
    const body = await completion({ ...askText, plugins: [HEALING] });
    expect(body.choices[0]?.message.content).toBe(MESSY_JSON);
  });

  it("does nothing to a stream, as on OpenRouter: its chunks reach the client before the text is whole", async () => {
    const res = await post({ ...askJson, plugins: [HEALING], stream: true });
    expect(res.status).toBe(200);
    const sse = await readSse(res);
    expect(sse.done).toBe(true);
    const text = sse.events
      .flatMap((e) => (e.choices as { delta?: { content?: string } }[] | undefined) ?? [])
      .map((c) => c.delta?.content ?? "")
      .join("");
    expect(text).toBe(MESSY_JSON);
  });

  it("passes valid JSON from a real recording through byte for byte", async () => {
    const body = await completion({
      model: "test/recorded-json",
      messages: [{ role: "user", content: "What is the capital of France?" }],
      response_format: {
        type: "json_schema",
        json_schema: { name: "CityLocation", schema: { type: "object" } },
      },
      plugins: [HEALING],
    });
    expect(body.choices[0]?.message.content).toBe(RECORDED_CONTENT);
  });

  it("with router metadata, OpenRouter's SDK reads the healed content and a response_healing stage", async () => {
    const client = new OpenRouter({
      apiKey: key,
      serverURL: gateway.baseUrl,
      retryConfig: { strategy: "none" },
    });
    const res = await client.chat.send({
      xOpenRouterMetadata: "enabled",
      chatRequest: {
        model: "test/json",
        messages: [{ role: "user", content: "The city and its sights, as JSON" }],
        responseFormat: { type: "json_object" },
        plugins: [{ id: "response-healing" }],
      },
    });
    if (!("choices" in res)) throw new Error("expected a non-streamed result");
    expect(JSON.parse(String(res.choices[0]?.message.content))).toEqual({
      city: "Paris",
      sights: ["Louvre", "Orsay"],
    });
    expect(res.openrouterMetadata?.pipeline).toEqual([
      {
        type: "response_healing",
        name: "response-healing",
        summary: "repaired 1 of 1 choice (code_fence, surrounding_text, trailing_comma)",
        data: {
          healed_choices: 1,
          unrepairable_choices: 0,
          repairs: ["code_fence", "surrounding_text", "trailing_comma"],
        },
      },
    ]);
  });
});

type ErrorBody = {
  error: {
    code: number;
    message: string;
    metadata: Record<string, unknown>;
    availability?: Record<string, unknown>;
  };
  user_id?: string;
};

/** What the provider received with `marker` in it. */
async function received(marker: string): Promise<unknown[]> {
  return (await (await fetch(`${mockUrl}/__requests?model=${marker}`)).json()) as unknown[];
}

describe("plugins this gateway does not offer are refused, never ignored", () => {
  const UNAVAILABLE = [
    "web-fetch",
    "file-parser",
    "moderation",
    "auto-router",
    "auto-beta-router",
    "pareto-router",
    "fusion",
  ];

  it.each(UNAVAILABLE)("%s: a 404 that names it, before any provider is called", async (id) => {
    const marker = `refused-${id}-${Date.now()}`;
    for (const stream of [false, true]) {
      const res = await post({
        models: ["test/gpt", "test/claude"],
        messages: [{ role: "user", content: marker }],
        plugins: [{ id: "context-compression" }, { id }],
        stream,
      });
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/json");
      // Nothing was routed, so nothing is recorded under an id.
      expect(res.headers.get("x-generation-id")).toBeNull();
      const body = (await res.json()) as ErrorBody;
      expect(body.error).toEqual({
        code: 404,
        message: `The ${id} plugin is not available on this gateway: test/gpt, test/claude can be asked without it (or with {"id": "${id}", "enabled": false})`,
        metadata: { error_type: "not_found" },
        availability: {
          code: "constraint_filtered",
          retryable: false,
          requested_models: ["test/gpt", "test/claude"],
          excluded_by: [`plugin:${id}`],
          constraint: { field: "plugins.1.id", detail: `${id} is not offered by this gateway` },
        },
      });
      expect(body.user_id).toMatch(/^user_/);
    }
    expect(await received(marker)).toHaveLength(0);
  });

  it("an id that is no plugin at all is a 400 invalid_request naming it", async () => {
    const res = await post({ ...askJson, plugins: [{ id: "summarize" }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.message).toMatch(
      /^Unknown plugin "summarize": no such plugin is available on this gateway/,
    );
    expect(body.error.metadata).toEqual({
      error_type: "invalid_request",
      issues: [{ path: ["plugins", "0", "id"], message: "Unknown plugin" }],
    });
  });

  it("OpenRouter's SDK sees the refusal as its NotFound error", async () => {
    const client = new OpenRouter({
      apiKey: key,
      serverURL: gateway.baseUrl,
      retryConfig: { strategy: "none" },
    });
    const refused = client.chat.send({
      chatRequest: {
        model: "test/gpt",
        messages: [{ role: "user", content: "hi" }],
        plugins: [{ id: "moderation" }],
      },
    });
    await expect(refused).rejects.toMatchObject({ statusCode: 404 });
  });

  it.each([...UNAVAILABLE, "web", "summarize"])(
    "%s with enabled: false is accepted and ignored",
    async (id) => {
      const body = await completion({
        model: "test/gpt",
        messages: [{ role: "user", content: "hi" }],
        plugins: [{ id, enabled: false }],
      });
      expect(body.choices[0]?.message.content).toContain("Hello from the openai mock");
    },
  );

  it("charges nothing and records nothing for a refused request", async () => {
    const fresh = await createKey(db.url, "1", "plugins-refused");
    const marker = `uncharged-${Date.now()}`;
    const ask = { model: "test/gpt", messages: [{ role: "user", content: marker }] };
    for (const plugins of [[{ id: "moderation" }], [{ id: "fusion" }], [{ id: "nope" }]]) {
      for (const stream of [false, true]) {
        const res = await post({ ...ask, plugins, stream }, {}, fresh.key);
        expect([400, 404]).toContain(res.status);
      }
    }
    expect(await received(marker)).toHaveLength(0);

    // One served request after them: once its record is written, it is the key's only one, and
    // the key has spent exactly its cost.
    const served = await post(ask, {}, fresh.key);
    expect(served.status).toBe(200);
    const { usage } = (await served.json()) as Completion;
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      let rows: { status: number; total_cost: string }[] = [];
      for (let i = 0; i < 100 && rows.length === 0; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 100));
        rows = await sql`select status, total_cost from generations where key_hash = ${fresh.hash}`;
      }
      expect(rows).toHaveLength(1);
      expect(rows[0]?.status).toBe(200);
      expect(Number(rows[0]?.total_cost)).toBeCloseTo(usage.cost, 12);
      // Recording is asynchronous: give a refused request's record (if there were one) time to land.
      await new Promise((r) => setTimeout(r, 500));
      const [count] = await sql`select count(*)::int as n from generations where key_hash = ${fresh.hash}`;
      expect(count?.n).toBe(1);
    } finally {
      await sql.end();
    }
    for (let i = 0; i < 50; i++) {
      const keyView = await fetch(`${gateway.baseUrl}/key`, {
        headers: { authorization: `Bearer ${fresh.key}` },
      });
      const { data } = (await keyView.json()) as { data: { usage: number } };
      if (data.usage > 0) {
        expect(data.usage).toBeCloseTo(usage.cost, 12);
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error("the served request never showed in the key's usage");
  });
});
