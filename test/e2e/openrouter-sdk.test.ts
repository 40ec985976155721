/**
 * OpenRouter's own TypeScript SDK (`@openrouter/sdk`, CONTRACT.md §4) against the built gateway,
 * beyond chat: the catalog, key management, the key's own view and generation records. The SDK
 * validates every response with zod and throws `ResponseValidationError` on a missing field, so
 * each call parsing at all is half of each test; the other half is that the values are ours.
 */

import { OpenRouter } from "@openrouter/sdk";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { generateApiKey, hashApiKey, keyLabel } from "../../src/auth/api-key";
import { loadCatalog } from "../../src/catalog/load";
import type { Db } from "../../src/db/client";
import { insertKey } from "../../src/db/queries/keys";
import { settleGenerations } from "../../src/usage/record";
import { freshDatabase } from "./support/fresh-database";
import { MOCK_SECRETS, mockCatalog, seed } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

let gateway: Gateway;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
let admin: { key: string; hash: string };
/** A key with requests on earlier days (activity), and its account. */
let active: { hash: string; account: string };
let client: OpenRouter;
let adminClient: OpenRouter;
const mockUrl = inject("mockProvidersUrl");

/**
 * The mock catalog plus a reasoning model (reasoning written as catalog/default.json writes it),
 * and a management key.
 */
async function seedMore(databaseUrl: string): Promise<{ key: string; hash: string }> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const catalog = mockCatalog(mockUrl);
    const [gpt] = catalog.endpoints;
    await loadCatalog(drizzle(sql), {
      ...catalog,
      models: [
        ...catalog.models,
        {
          ...catalog.models[0]!,
          id: "test/thinker",
          name: "Test: thinker",
          reasoning: { supportedEfforts: ["high", "low"], defaultEnabled: true },
        },
      ],
      endpoints: [...catalog.endpoints, { ...gpt!, model: "test/thinker", supportedParameters: ["tools"] }],
    });
    const secret = generateApiKey(true);
    const hash = await hashApiKey(secret);
    await insertKey(drizzle(sql), { hash, label: keyLabel(secret), name: "admin", isManagement: true });
    active = await seedActivity(drizzle(sql));
    return { key: secret, hash };
  } finally {
    await sql.end();
  }
}

const DAY_MS = 86_400_000;
/** The UTC day `n` days before today, as YYYY-MM-DD. */
const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10);

/**
 * Requests of a key of its own on earlier days, written as the usage recorder writes them (today's
 * are not in /activity: the day is not over). Noon, so a run across midnight keeps them in the window.
 */
async function seedActivity(db: Db): Promise<{ hash: string; account: string }> {
  const secret = generateApiKey();
  const hash = await hashApiKey(secret);
  const { accountId: account } = await insertKey(db, {
    hash,
    label: keyLabel(secret),
    name: "active",
    credits: "10",
  });
  const row = (n: number, day: number, model: string, provider: [string, string], cost: string) => ({
    id: `gen-${Math.floor(Date.now() / 1000)}-activity${n}`,
    createdAt: `${daysAgo(day)}T12:00:0${n}.000Z`,
    accountId: account,
    keyHash: hash,
    requestedModel: model,
    model,
    providerSlug: provider[0],
    providerName: provider[1],
    streamed: false,
    status: 200,
    tokensPrompt: 100 * n,
    tokensCompletion: 10 * n,
    tokensReasoning: n,
    totalCost: cost,
  });
  const openai: [string, string] = ["mock-openai", "Mock OpenAI"];
  await settleGenerations(db, [
    row(1, 1, "test/gpt", openai, "0.00012"),
    row(2, 1, "test/gpt", openai, "0.00024"),
    row(3, 3, "test/local:free", ["mock-local", "Mock Local"], "0"),
  ]);
  return { hash, account };
}

beforeAll(async () => {
  db = await freshDatabase("openrouter_sdk");
  ({ key } = await seed(db.url, mockUrl));
  admin = await seedMore(db.url);
  gateway = await startGateway({
    databaseUrl: db.url,
    vars: { ...MOCK_SECRETS, CACHE_TTL_SECONDS: "1" },
    name: "openrouter-sdk",
  });
  client = new OpenRouter({ apiKey: key, serverURL: gateway.baseUrl, retryConfig: { strategy: "none" } });
  adminClient = new OpenRouter({
    apiKey: admin.key,
    serverURL: gateway.baseUrl,
    retryConfig: { strategy: "none" },
  });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

/** Sends a chat request by hand (the SDK throws on the failures these tests are about); returns its generation id. */
async function chat(body: Record<string, unknown>): Promise<{ status: number; id: string }> {
  const res = await fetch(`${gateway.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
  });
  await res.body?.cancel();
  return { status: res.status, id: res.headers.get("x-generation-id") ?? "" };
}

/** Generation records are written just after the response: poll briefly through the SDK. */
async function generation(id: string) {
  for (let i = 0; ; i++) {
    try {
      return (await client.generations.getGeneration({ id })).data;
    } catch (error) {
      if (i >= 50 || (error as { statusCode?: number }).statusCode !== 404) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("the catalog", () => {
  it.each([
    ["no filters", {}],
    ["every output modality", { outputModalities: "all" }],
    ["a supported parameter", { supportedParameters: "tools" }],
    ["a sort and a page", { sort: "pricing-low-to-high" as const, limit: 3, offset: 1 }],
  ])("models.list with %s parses, with each model's details link", async (_name, request) => {
    const { result } = await client.models.list(request);
    expect(result.data.length).toBeGreaterThan(0);
    for (const model of result.data) {
      expect(model.links.details).toBe(`/api/v1/models/${model.id}/endpoints`);
      expect(model.supportedVoices).toBeNull();
    }
  });

  it("models.list shows reasoning in OpenRouter's names, and endpoints take tool_choice as listed", async () => {
    const { result } = await client.models.list({ supportedParameters: "tools" });
    expect(result.data.find((m) => m.id === "test/thinker")?.reasoning).toEqual({
      mandatory: false,
      supportedEfforts: ["high", "low"],
      defaultEnabled: true,
    });
    const { data } = await client.endpoints.list({ author: "test", slug: "thinker" });
    expect(data.endpoints[0]?.supportsToolChoice).toEqual({
      auto: true,
      function: false,
      none: false,
      required: false,
    });
  });

  it("models.list shows a free-only model as its :free entry, whose details link works", async () => {
    const { result } = await client.models.list({});
    const ids = result.data.map((m) => m.id);
    expect(ids).toContain("test/local:free");
    expect(ids).not.toContain("test/local");
    const [author, slug] = "test/local:free".split("/") as [string, string];
    const { data } = await client.endpoints.list({ author, slug });
    expect(data.endpoints.map((e) => e.tag)).toEqual(["mock-local"]);
  });

  it("endpoints.list says which tool_choice values each endpoint takes", async () => {
    const { data } = await client.endpoints.list({ author: "test", slug: "gpt" });
    expect(data.id).toBe("test/gpt");
    expect(data.endpoints).toHaveLength(1);
    expect(data.endpoints[0]).toMatchObject({
      providerName: "Mock OpenAI",
      tag: "mock-openai",
      supportsToolChoice: { auto: true, function: true, none: true, required: true },
    });
  });

  it("a model listed only as :free has no endpoints under its plain id: 404, as it is not in /models", async () => {
    await expect(client.endpoints.list({ author: "test", slug: "local" })).rejects.toMatchObject({
      statusCode: 404,
    });
  });
});

describe("one model, the key's models, the count", () => {
  it("models.get parses, and answers the model as models.list shows it", async () => {
    const { result } = await client.models.list({});
    const { data } = await client.models.get({ author: "test", slug: "gpt" });
    expect(data).toEqual(result.data.find((m) => m.id === "test/gpt"));
  });

  it.each([
    ["local:free", "test/local:free", "Test: test/local (free)"],
    // Its free endpoint serves the plain id, so the plain id resolves to the :free entry.
    ["local", "test/local:free", "Test: test/local (free)"],
    ["gpt:nitro", "test/gpt:nitro", "Test: test/gpt (nitro)"],
  ])("models.get resolves %s", async (slug, id, name) => {
    const { data } = await client.models.get({ author: "test", slug });
    expect(data).toMatchObject({ id, name });
  });

  it("models.get shows :thinking with reasoning on, for a model that reasons", async () => {
    const { data } = await client.models.get({ author: "test", slug: "thinker:thinking" });
    expect(data.reasoning).toEqual({
      mandatory: false,
      supportedEfforts: ["high", "low"],
      defaultEnabled: true,
      defaultEffort: "medium",
    });
  });

  it.each(["nope", "gpt:thinking", "gpt:online", "gpt:free"])(
    "models.get of test/%s is the SDK's NotFound",
    async (slug) => {
      await expect(client.models.get({ author: "test", slug })).rejects.toMatchObject({
        statusCode: 404,
        name: "NotFoundResponseError",
      });
    },
  );

  it("models.listForUser parses, and lists what models.list does", async () => {
    const { result } = await client.models.list({});
    const mine = await client.models.listForUser({ bearer: key }, {});
    expect(mine.result.data).toEqual(result.data);
    expect(mine.result.totalCount).toBe(result.totalCount);
  });

  it("models.listForUser refuses the admin token (it may use no model) with the SDK's Forbidden", async () => {
    await expect(client.models.listForUser({ bearer: admin.key }, {})).rejects.toMatchObject({
      statusCode: 403,
      name: "ForbiddenResponseError",
    });
  });

  it("models.count parses, and counts what models.list lists", async () => {
    const { result } = await client.models.list({ outputModalities: "all" });
    const { data } = await client.models.count({ outputModalities: "all" });
    expect(data.count).toBe(result.data.length);
  });
});

describe("the key's own view", () => {
  it("apiKeys.getCurrentKeyMetadata parses, with the key's own values", async () => {
    const { data } = await client.apiKeys.getCurrentKeyMetadata();
    expect(data).toMatchObject({
      label: keyLabel(key),
      isManagementKey: false,
      isFreeTier: false,
      allowedDataRegions: ["global"],
      organizationId: null,
      byokUsage: 0,
      rateLimit: { requests: -1, interval: "10s", note: expect.any(String) },
      freeModelDailyRequests: { limit: 1000, used: 0, remaining: 1000 },
    });
    expect(data.workspaceId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("key management", () => {
  it("create, get, update, list and delete parse, and carry the key's values", async () => {
    const created = await adminClient.apiKeys.create({
      requestBody: { name: "sdk key", limit: 5, limitReset: "weekly" },
    });
    expect(created.key).toMatch(/^sk-/);
    const { hash } = created.data;
    expect(created.data).toMatchObject({
      name: "sdk key",
      label: keyLabel(created.key),
      disabled: false,
      limit: 5,
      limitRemaining: 5,
      limitReset: "weekly",
      usage: 0,
      byokUsage: 0,
      byokUsageDaily: 0,
      byokUsageWeekly: 0,
      byokUsageMonthly: 0,
      creatorUserId: null,
      externalUser: null,
    });
    const workspace = created.data.workspaceId;
    expect(workspace).toMatch(/^[0-9a-f-]{36}$/);

    expect((await adminClient.apiKeys.get({ hash })).data).toMatchObject({ hash, workspaceId: workspace });

    const updated = await adminClient.apiKeys.update({ hash, requestBody: { name: "renamed", limit: 7 } });
    expect(updated.data).toMatchObject({ hash, name: "renamed", limit: 7, byokUsage: 0 });

    const listed = await adminClient.apiKeys.list();
    expect(listed.data.find((k) => k.hash === hash)).toMatchObject({ name: "renamed" });

    expect(await adminClient.apiKeys.delete({ hash })).toEqual({ deleted: true });
    await expect(adminClient.apiKeys.get({ hash })).rejects.toMatchObject({ statusCode: 404 });
  });

  it("lists API keys only: management keys are not managed through /keys", async () => {
    const { data } = await adminClient.apiKeys.list({ includeDisabled: true });
    expect(data.map((k) => k.hash)).not.toContain(admin.hash);
    expect(data.length).toBeGreaterThan(0);
  });

  it("refuses a management key disabling or deleting itself, and changes nothing", async () => {
    await expect(
      adminClient.apiKeys.update({ hash: admin.hash, requestBody: { disabled: true } }),
    ).rejects.toMatchObject({ statusCode: 403 });
    await expect(adminClient.apiKeys.delete({ hash: admin.hash })).rejects.toMatchObject({ statusCode: 403 });
    const res = await fetch(`${gateway.baseUrl}/keys/${admin.hash}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${admin.key}` },
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: {
        code: 403,
        message: expect.stringMatching(/management key/),
        metadata: { error_type: "permission_denied" },
      },
    });
    // Still a working admin token: the list answers (and so does a fresh isolate's cache read).
    expect((await adminClient.apiKeys.list()).data.length).toBeGreaterThan(0);
    const me = await adminClient.apiKeys.getCurrentKeyMetadata();
    expect(me.data.isManagementKey).toBe(true);
  });
});

describe("generation records", () => {
  it("a request no provider served: the requested model, and every attempt with its status", async () => {
    // Its two providers cost the same: `order` fixes which is tried first (else the 1/price² draw's).
    const { status, id } = await chat({
      model: "test/broken",
      provider: { order: ["mock-openai", "mock-openai-b"] },
    });
    expect(status).toBeGreaterThanOrEqual(429);
    const data = await generation(id);
    expect(data).toMatchObject({ id, model: "test/broken", providerName: null, finishReason: "error" });
    expect(data.providerResponses).toEqual([
      {
        providerName: "Mock OpenAI",
        modelPermaslug: "test/broken",
        status: 500,
        latency: expect.any(Number),
        isByok: false,
      },
      {
        providerName: "Mock OpenAI B",
        modelPermaslug: "test/broken",
        status: 429,
        latency: expect.any(Number),
        isByok: false,
      },
    ]);
  });

  it("a single failed attempt is listed too", async () => {
    const { status, id } = await chat({
      model: "test/flaky",
      provider: { order: ["mock-openai"], allow_fallbacks: false },
    });
    expect(status).toBe(500);
    const data = await generation(id);
    expect(data.model).toBe("test/flaky");
    expect(data.providerResponses).toEqual([
      {
        providerName: "Mock OpenAI",
        modelPermaslug: "test/flaky",
        status: 500,
        latency: expect.any(Number),
        isByok: false,
      },
    ]);
  });

  it("a served request after fallbacks: the serving model, and the failed attempts before it", async () => {
    const { status, id } = await chat({
      models: ["test/broken", "test/gpt"],
      provider: { order: ["mock-openai", "mock-openai-b"] },
    });
    expect(status).toBe(200);
    const data = await generation(id);
    expect(data).toMatchObject({ model: "test/gpt", providerName: "Mock OpenAI", finishReason: "stop" });
    expect(data.providerResponses?.map((r) => [r.modelPermaslug, r.providerName, r.status])).toEqual([
      ["test/broken", "Mock OpenAI", 500],
      ["test/broken", "Mock OpenAI B", 429],
      ["test/gpt", "Mock OpenAI", 200],
    ]);
  });
});

describe("activity", () => {
  it("analytics.getUserActivity parses, with the key's requests summed per day, model and endpoint", async () => {
    const { data } = await adminClient.analytics.getUserActivity({ apiKeyHash: active.hash });
    expect(data).toEqual([
      {
        date: daysAgo(1),
        model: "test/gpt",
        modelPermaslug: "test/gpt",
        endpointId: "test/gpt@mock-openai",
        providerName: "Mock OpenAI",
        usage: 0.00036,
        byokUsageInference: 0,
        requests: 2,
        promptTokens: 300,
        completionTokens: 30,
        reasoningTokens: 3,
      },
      {
        date: daysAgo(3),
        model: "test/local:free",
        modelPermaslug: "test/local",
        endpointId: "test/local@mock-local",
        providerName: "Mock Local",
        usage: 0,
        byokUsageInference: 0,
        requests: 1,
        promptTokens: 300,
        completionTokens: 30,
        reasoningTokens: 3,
      },
    ]);
  });

  it("takes the SDK's date, workspace and group_by, naming the workspace", async () => {
    const { data } = await adminClient.analytics.getUserActivity({
      date: daysAgo(1),
      workspaceId: active.account,
      groupBy: "workspace",
    });
    expect(data).toEqual([
      expect.objectContaining({
        endpointId: "test/gpt@mock-openai",
        requests: 2,
        workspaceId: active.account,
      }),
    ]);
  });

  it("is the SDK's Forbidden for an API key, and BadRequest for a date outside the window", async () => {
    await expect(client.analytics.getUserActivity()).rejects.toMatchObject({
      statusCode: 403,
      name: "ForbiddenResponseError",
    });
    await expect(adminClient.analytics.getUserActivity({ date: daysAgo(0) })).rejects.toMatchObject({
      statusCode: 400,
      name: "BadRequestResponseError",
    });
  });
});
