/**
 * `POST /api/v1/chat/completions` through the Worker's fetch entry, inside workerd: what a client
 * sees for each kind of request before any provider logic matters — statuses, their order
 * (size limit, then key, then media type, then JSON, then schema), the error envelope, the
 * response headers of both answer kinds, and usage recorded after the response.
 */
import { env, exports } from "cloudflare:workers";
import { eq, inArray, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { generateApiKey, hashApiKey, keyLabel } from "../../src/auth/api-key";
import { createDb } from "../../src/db/client";
import { insertKey } from "../../src/db/queries/keys";
import { apiKeys, endpoints, generations, models, providers } from "../../src/db/schema";

const run = `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const provider = `${run}-mock`;
const MODEL = `${run}/gpt`;
/** Its only endpoint answers a non-retryable 400 (test/mocks/types.ts `fail-400`). */
const REFUSED = `${run}/refused`;
const db = () => createDb(env.HYPERDRIVE.connectionString);
const URL_ = "http://gateway/api/v1/chat/completions";
const MiB = 1024 * 1024;

const keys: Record<"paid" | "broke" | "management", string> = { paid: "", broke: "", management: "" };

async function makeKey(name: string, credits: string, management = false): Promise<string> {
  const secret = generateApiKey(management);
  await insertKey(db(), {
    hash: await hashApiKey(secret),
    label: keyLabel(secret),
    name: `${run}-${name}`,
    credits,
    limit: null,
    isManagement: management,
  });
  return secret;
}

beforeAll(async () => {
  const d = db();
  await d.insert(providers).values({
    slug: provider,
    name: "Chat Mock",
    adapter: "openai",
    baseUrl: `${inject("mockProvidersUrl")}/openai/v1`,
    dataPolicy: { training: false, retainsPrompts: false },
  });
  await d.insert(models).values({
    id: MODEL,
    canonicalSlug: MODEL,
    name: "Chat: gpt",
    releasedAt: new Date("2026-01-01T00:00:00Z"),
    description: "served by the mock provider",
    contextLength: 128_000,
    inputModalities: ["text"],
    outputModalities: ["text"],
    tokenizer: "GPT",
  });
  await d.insert(models).values({
    id: REFUSED,
    canonicalSlug: REFUSED,
    name: "Chat: refused",
    releasedAt: new Date("2026-01-01T00:00:00Z"),
    description: "refused by the mock provider",
    contextLength: 128_000,
    inputModalities: ["text"],
    outputModalities: ["text"],
    tokenizer: "GPT",
  });
  await d.insert(endpoints).values({
    modelId: REFUSED,
    providerSlug: provider,
    providerModelId: "refused-fail-400",
    contextLength: 128_000,
    maxCompletionTokens: 4096,
    pricePrompt: "0.000001",
    priceCompletion: "0.000002",
    supportedParameters: ["max_tokens", "temperature"],
  });
  await d.insert(endpoints).values({
    modelId: MODEL,
    providerSlug: provider,
    providerModelId: "gpt-ok",
    contextLength: 128_000,
    maxCompletionTokens: 4096,
    pricePrompt: "0.000001",
    priceCompletion: "0.000002",
    supportedParameters: ["max_tokens", "temperature"],
  });
  keys.paid = await makeKey("paid", "10");
  keys.broke = await makeKey("broke", "0");
  keys.management = await makeKey("mgmt", "0", true);
});

afterAll(async () => {
  await db()
    .delete(models)
    .where(inArray(models.id, [MODEL, REFUSED]));
  await db().delete(providers).where(eq(providers.slug, provider));
  await db()
    .delete(apiKeys)
    .where(like(apiKeys.name, `${run}-%`));
});

const hi = { model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 16 };

function post(
  body: BodyInit | null,
  headers: Record<string, string> = {},
  key: string | undefined = keys.paid,
  url = URL_,
): Promise<Response> {
  return exports.default.fetch(url, {
    method: "POST",
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body,
  });
}

const postJson = (value: unknown, key?: string) =>
  post(JSON.stringify(value), { "content-type": "application/json" }, key);

async function expectError(res: Response, status: number, type: string, message: RegExp | string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: { code: number; message: string; metadata: object } };
  expect(body.error.code).toBe(status);
  expect(body.error.metadata).toMatchObject({ error_type: type });
  if (typeof message === "string") expect(body.error.message).toBe(message);
  else expect(body.error.message).toMatch(message);
  return body.error;
}

/** A body of `size` bytes sent without a declared length (chunked), in 1 MiB pieces. */
function chunked(size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(MiB, size - sent);
      controller.enqueue(new Uint8Array(n).fill(0x20));
      sent += n;
    },
  });
}

describe("a valid request", () => {
  it("gets the completion with the generation id, the route taken and Server-Timing", async () => {
    const res = await postJson(hi);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const id = res.headers.get("x-generation-id");
    expect(id).toMatch(/^gen-/);
    expect(res.headers.get("x-switchyard-model")).toBe(MODEL);
    expect(res.headers.get("x-switchyard-provider")).toBe(provider);
    expect(res.headers.get("server-timing")).toMatch(
      /^gateway;dur=\d+;desc="gateway before upstream", db;desc="\d+ queries"$/,
    );
    const body = (await res.json()) as { id: string; object: string; model: string; provider: string };
    expect(body).toMatchObject({ id, object: "chat.completion", model: MODEL, provider: "Chat Mock" });
  });

  it("streams with the SSE headers and ends with [DONE]", async () => {
    const res = await postJson({ ...hi, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    expect(res.headers.get("x-generation-id")).toMatch(/^gen-/);
    expect(res.headers.get("x-switchyard-provider")).toBe(provider);
    expect(res.headers.get("server-timing")).toMatch(/^gateway;dur=\d+/);
    const text = await res.text();
    expect(text).toContain('"object":"chat.completion.chunk"');
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("is recorded after the response (waitUntil), under its generation id", async () => {
    const res = await postJson(hi);
    const id = res.headers.get("x-generation-id") as string;
    await res.text();
    let rows: { id: string }[] = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      rows = await db()
        .select({ id: generations.id })
        .from(generations)
        .where(inArray(generations.id, [id]));
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows).toEqual([{ id }]);
  });

  it("is served with a query string and a charset parameter, and from a chunked body", async () => {
    const withQuery = await post(
      JSON.stringify(hi),
      { "content-type": "application/json; charset=utf-8" },
      keys.paid,
      `${URL_}?trace=1`,
    );
    expect(withQuery.status).toBe(200);
    await withQuery.text();
    const bytes = new TextEncoder().encode(JSON.stringify(hi));
    const res = await post(
      new ReadableStream({
        start(c) {
          c.enqueue(bytes.subarray(0, 10));
          c.enqueue(bytes.subarray(10));
          c.close();
        },
      }),
      { "content-type": "application/json" },
    );
    expect(res.status).toBe(200);
    await res.text();
  });
});

/** Polls `GET /generation` (records are written just after the response). */
async function lookUp(id: string): Promise<Response> {
  let res: Response | undefined;
  for (let i = 0; i < 100; i++) {
    res = await exports.default.fetch(`http://gateway/api/v1/generation?id=${encodeURIComponent(id)}`, {
      headers: { authorization: `Bearer ${keys.paid}` },
    });
    if (res.status !== 404) return res;
    await res.text();
    await new Promise((r) => setTimeout(r, 100));
  }
  return res as Response;
}

describe("a request that fails after routing began", () => {
  it.each([
    ["non-streamed", false],
    ["streamed (before the stream commits)", true],
  ])(
    "%s: the error carries X-Generation-Id, and GET /generation finds the failure",
    async (_name, stream) => {
      const res = await postJson({ ...hi, model: REFUSED, stream });
      await expectError(res, 400, "invalid_request", "mock: this request is not valid");
      const id = res.headers.get("x-generation-id");
      expect(id).toMatch(/^gen-/);
      const found = await lookUp(id as string);
      expect(found.status).toBe(200);
      expect(await found.json()).toMatchObject({
        data: { id, requested_model: REFUSED, streamed: stream, status: 400, finish_reason: "error" },
      });
    },
  );

  it.each([
    ["non-streamed", false],
    ["streamed", true],
  ])("%s: a provider's 400 for the first of `models` moves on to the next model", async (_name, stream) => {
    const res = await postJson({ ...hi, model: undefined, models: [REFUSED, MODEL], stream });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(`"model":"${MODEL}"`);
  });

  it("a request refused before routing (schema, no endpoint) records nothing and names no id", async () => {
    const invalid = await postJson({ model: MODEL, messages: [] });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("x-generation-id")).toBeNull();
    const filtered = await postJson({ ...hi, provider: { only: ["nobody"] } });
    expect(filtered.status).toBe(404);
    expect(filtered.headers.get("x-generation-id")).toBeNull();
  });
});

describe("a refused request gets the error envelope", () => {
  it("401 without a key, with an unknown key; 403 with a management key; 402 without credits", async () => {
    await expectError(await postJson(hi, ""), 401, "authentication", "No auth credentials found");
    const unknown = await postJson(hi, "sk-sy-v1-nope");
    await expectError(unknown.clone(), 401, "authentication", "Invalid API key");
    expect(await unknown.json()).not.toHaveProperty("user_id");
    await expectError(
      await postJson(hi, keys.management),
      403,
      "permission_denied",
      "Management keys cannot be used for inference; use an API key",
    );
    const broke = await postJson(hi, keys.broke);
    expect(broke.status).toBe(402);
    // Once the key is known, the envelope says whose request it was (API.md b9).
    expect(await broke.json()).toMatchObject({ user_id: expect.stringMatching(/^user_[0-9a-f-]{36}$/) });
  });

  it("404 for web search (:online), which this gateway does not offer, rather than an unsearched answer", async () => {
    const error = await expectError(
      await postJson({ ...hi, model: `${MODEL}:online` }),
      404,
      "not_found",
      /^Web search \(the :online variant, or the web plugin\) is not available on this gateway/,
    );
    expect(error).toMatchObject({ availability: { excluded_by: ["web_search"] } });
  });

  it("413 for a declared length over 16 MiB, after reading the body, before the key is checked", async () => {
    const big = new Uint8Array(16 * MiB + 1).fill(0x20);
    await expectError(
      await post(big, { "content-type": "application/json" }, undefined),
      413,
      "payload_too_large",
      "Request body exceeds 16 MiB",
    );
  });

  it("413 for a chunked body that passes 16 MiB", async () => {
    await expectError(
      await post(chunked(17 * MiB), { "content-type": "application/json" }),
      413,
      "payload_too_large",
      "Request body exceeds 16 MiB",
    );
  });

  it("415 for a body that is not JSON, and for a body without a content-type", async () => {
    await expectError(
      await post(JSON.stringify(hi), { "content-type": "text/plain" }),
      415,
      "invalid_request",
      "Unsupported Media Type",
    );
    await expectError(await post(JSON.stringify(hi)), 415, "invalid_request", "Unsupported Media Type");
  });

  it("400 for malformed JSON, but 401 first when the key is missing", async () => {
    await expectError(
      await post("{not json", { "content-type": "application/json" }),
      400,
      "invalid_request",
      "Malformed JSON in request body",
    );
    await expectError(
      await post("{not json", { "content-type": "application/json" }, ""),
      401,
      "authentication",
      "No auth credentials found",
    );
  });

  it("400 naming the fields that fail the schema, with the issues in metadata", async () => {
    const error = await expectError(
      await postJson({ model: MODEL, messages: [{ role: "wizard", content: "hi" }] }),
      400,
      "invalid_request",
      /^Invalid request json: messages\.0/,
    );
    expect(error.metadata).toMatchObject({
      issues: [{ path: ["messages", "0", "role"], message: expect.stringMatching(/discriminator/) }],
    });
    await expectError(await post(null), 400, "invalid_request", /^Invalid request json: messages: /);
  });

  it("404 with error.availability (beside metadata) when routing preferences leave no endpoint", async () => {
    const error = await expectError(
      await postJson({ ...hi, provider: { only: ["nobody"] } }),
      404,
      "not_found",
      /No endpoints found that can serve/,
    );
    expect(error).toMatchObject({
      availability: {
        code: "constraint_filtered",
        retryable: false,
        requested_models: [MODEL],
        excluded_by: ["allowed_providers"],
      },
    });
    expect(error.metadata).not.toHaveProperty("availability");
  });

  it("404 for another method or a trailing slash", async () => {
    await expectError(
      await exports.default.fetch(URL_, { headers: { authorization: `Bearer ${keys.paid}` } }),
      404,
      "not_found",
      "No route for GET /api/v1/chat/completions",
    );
    await expectError(
      await post(JSON.stringify(hi), { "content-type": "application/json" }, keys.paid, `${URL_}/`),
      404,
      "not_found",
      "No route for POST /api/v1/chat/completions/",
    );
  });
});

describe("browser apps may call the API from any origin (CORS)", () => {
  const ORIGIN = { origin: "https://app.example" };

  it("answers a preflight for chat with any requested header, before any key", async () => {
    const res = await exports.default.fetch(URL_, {
      method: "OPTIONS",
      headers: {
        ...ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, http-referer, x-title",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toBe(
      "authorization,content-type,http-referer,x-title",
    );
    expect(res.headers.get("access-control-max-age")).toBe("86400");
  });

  it("lets the app read a served answer and the headers that say who served it", async () => {
    for (const stream of [false, true]) {
      const res = await post(JSON.stringify({ ...hi, stream }), {
        ...ORIGIN,
        "content-type": "application/json",
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("access-control-expose-headers")).toMatch(/X-Generation-Id/);
      await res.text();
    }
  });

  it("and its refusals", async () => {
    const res = await post(JSON.stringify(hi), { ...ORIGIN, "content-type": "application/json" }, "");
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("covers the other routes too", async () => {
    const res = await exports.default.fetch("http://gateway/api/v1/models", { headers: ORIGIN });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const preflight = await exports.default.fetch("http://gateway/api/v1/auth/keys", {
      method: "OPTIONS",
      headers: { ...ORIGIN, "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
  });
});
