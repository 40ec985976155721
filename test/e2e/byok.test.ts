/**
 * Bring-your-own-key end to end (API.md b10, b12, b7): credentials managed through OpenRouter's
 * own SDK (`byok.*`, whose zod schemas parse our answers), then chat requests through the built
 * gateway to the mock providers, which record the key each request arrived with.
 */
import { OpenRouter } from "@openrouter/sdk";
import type { BYOKProviderSlug } from "@openrouter/sdk/models";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { generateApiKey, hashApiKey, keyLabel } from "../../src/auth/api-key";
import { insertKey } from "../../src/db/queries/keys";
import { freshDatabase } from "./support/fresh-database";
import { COMPLETION_PRICE, MOCK_SECRETS, PROMPT_PRICE, seed } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

const mockUrl = inject("mockProvidersUrl");
/**
 * The test catalog's provider slugs are not OpenRouter's; the SDK's provider enum is open (it
 * passes and parses unknown slugs at run time), only its type lists OpenRouter's.
 */
const slug = (s: string) => s as BYOKProviderSlug;
/** The user's own OpenAI-dialect key, and one the mock refuses (it contains `refused`). */
const USER_KEY = "sk-byok-user-0123456789-AbCd";
const REFUSED_KEY = "sk-byok-refused-0123456789-WxYz";

let db: Awaited<ReturnType<typeof freshDatabase>>;
let gateway: Gateway;
let user: { key: string; hash: string; account: string };
let adminKey: string;
let admin: OpenRouter;

async function sql<T>(run: (q: postgres.Sql) => Promise<T>): Promise<T> {
  const q = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    return await run(q);
  } finally {
    await q.end();
  }
}

beforeAll(async () => {
  db = await freshDatabase("byok");
  const seeded = await seed(db.url, mockUrl);
  const [row] = await sql(
    (q) => q<{ account_id: string }[]>`select account_id from api_keys where hash = ${seeded.hash}`,
  );
  user = { ...seeded, account: row!.account_id };
  adminKey = generateApiKey(true);
  await sql(async (q) =>
    insertKey(drizzle(q), {
      hash: await hashApiKey(adminKey),
      label: keyLabel(adminKey),
      name: "admin",
      isManagement: true,
    }),
  );
  gateway = await startGateway({
    databaseUrl: db.url,
    vars: { ...MOCK_SECRETS, CACHE_TTL_SECONDS: "1" },
    name: "byok",
  });
  admin = new OpenRouter({ apiKey: adminKey, serverURL: gateway.baseUrl, retryConfig: { strategy: "none" } });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

function api(path: string, init: { method?: string; key?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`${gateway.baseUrl}${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${init.key ?? adminKey}`, "content-type": "application/json" },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

interface ChatBody {
  id: string;
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    cost: number;
    is_byok: boolean;
    cost_details: { upstream_inference_cost: number | null };
  };
  error?: { code: number; message: string; metadata: Record<string, unknown> };
}

async function chat(
  marker: string,
  extra: Record<string, unknown> = {},
): Promise<{ status: number; body: ChatBody }> {
  const res = await api("/chat/completions", {
    method: "POST",
    key: user.key,
    body: { model: "test/gpt", messages: [{ role: "user", content: marker }], ...extra },
  });
  return { status: res.status, body: (await res.json()) as ChatBody };
}

/** The bearer keys the mock OpenAI received for the request carrying `marker`, in order. */
async function keysReceived(marker: string): Promise<string[]> {
  const list = (await (await fetch(`${mockUrl}/__requests?model=${marker}`)).json()) as {
    headers: Record<string, string>;
  }[];
  return list.map((r) => String(r.headers.authorization).replace(/^Bearer /, ""));
}

/** The list price of the mock's usage at the test catalog's prices. */
function listPrice(u: ChatBody["usage"]): number {
  return u.prompt_tokens * Number(PROMPT_PRICE) + u.completion_tokens * Number(COMPLETION_PRICE);
}

async function generation(id: string): Promise<Record<string, unknown>> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const res = await api(`/generation?id=${id}`, { key: user.key });
    if (res.status === 200) return ((await res.json()) as { data: Record<string, unknown> }).data;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`generation ${id} was never recorded`);
}

async function deleteAll(): Promise<void> {
  await sql((q) => q`delete from byok_credentials`);
}

describe("managing credentials with OpenRouter's SDK", () => {
  it("create, get, update, list and delete parse, and never show the key", async () => {
    const created = await admin.byok.create({
      createBYOKKeyRequest: {
        provider: slug("mock-openai"),
        key: USER_KEY,
        name: "my openai",
        workspaceId: user.account,
        allowedModels: ["test/gpt"],
      },
    });
    expect(created.data).toMatchObject({
      provider: "mock-openai",
      label: "sk-...AbCd",
      name: "my openai",
      isFallback: false,
      isRequired: false,
      isByokOnly: false,
      sortOrder: 0,
      disabled: false,
      allowedModels: ["test/gpt"],
      allowedApiKeyHashes: null,
      allowedUserIds: null,
      declaredZdr: null,
      workspaceId: user.account,
    });
    const { id } = created.data;

    expect((await admin.byok.get({ id })).data).toMatchObject({ id, label: "sk-...AbCd" });
    const updated = await admin.byok.update({
      id,
      updateBYOKKeyRequest: { name: "renamed", isFallback: true, allowedUserIds: [`user_${user.account}`] },
    });
    expect(updated.data).toMatchObject({ id, name: "renamed", isFallback: true });

    const page = await admin.byok.list({ workspaceId: user.account, provider: slug("mock-openai") });
    expect(page.result.totalCount).toBe(1);
    expect(page.result.data.map((k) => k.id)).toEqual([id]);
    const other = await admin.byok.list({ workspaceId: user.account, provider: slug("mock-anthropic") });
    expect(other.result.totalCount).toBe(0);

    // Nowhere in what the API answers, nor in the database.
    const raw = await (await api(`/byok?workspace_id=${user.account}`)).text();
    expect(raw).not.toContain(USER_KEY.slice(3, 20));
    const stored = await sql(
      (q) => q<{ key_ciphertext: string }[]>`select key_ciphertext from byok_credentials`,
    );
    expect(stored[0]?.key_ciphertext).not.toContain(USER_KEY.slice(3, 20));

    expect(await admin.byok.delete({ id })).toEqual({ deleted: true });
    await expect(admin.byok.get({ id })).rejects.toMatchObject({ statusCode: 404 });
  });

  it.each<[string, Record<string, unknown>, number, RegExp]>([
    ["a provider the gateway does not serve", { provider: "moonshotai", key: USER_KEY }, 400, /not served/],
    ["a provider one key cannot call", { provider: "mock-bedrock", key: USER_KEY }, 400, /not supported/],
    ["no key", { provider: "mock-openai" }, 400, /key/],
    [
      "required on a fallback key",
      { provider: "mock-openai", key: USER_KEY, is_fallback: true, is_required: true },
      400,
      /non-fallback/,
    ],
    [
      "another account's key hash",
      { provider: "mock-openai", key: USER_KEY, allowed_api_key_hashes: ["0".repeat(64)] },
      400,
      /allowed_api_key_hashes/,
    ],
  ])("refuses %s in the API's error shape", async (_what, body, status, message) => {
    const res = await api("/byok", { method: "POST", body: { workspace_id: user.account, ...body } });
    expect(res.status).toBe(status);
    const { error } = (await res.json()) as { error: { code: number; message: string } };
    expect(error.code).toBe(status);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(USER_KEY);
  });

  it("is for management keys only", async () => {
    const res = await api("/byok", { key: user.key });
    expect(res.status).toBe(403);
  });
});

describe("routing with the user's own key", () => {
  let id: string;
  beforeAll(async () => {
    await deleteAll();
    const res = await api("/byok", {
      method: "POST",
      body: { provider: "mock-openai", key: USER_KEY, workspace_id: user.account },
    });
    expect(res.status).toBe(201);
    id = ((await res.json()) as { data: { id: string } }).data.id;
  });

  it("sends the user's key to the provider, and charges the 5% fee of the list price", async () => {
    const marker = `byok-plain-${Date.now()}`;
    const { status, body } = await chat(marker);
    expect(status).toBe(200);
    expect(await keysReceived(marker)).toEqual([USER_KEY]);
    const list = listPrice(body.usage);
    expect(body.usage.is_byok).toBe(true);
    expect(body.usage.cost_details.upstream_inference_cost).toBeCloseTo(list, 12);
    expect(body.usage.cost).toBeCloseTo(list * 0.05, 12);

    const g = await generation(body.id);
    expect(g).toMatchObject({ is_byok: true });
    expect(g.total_cost).toBeCloseTo(list * 0.05, 12);
    expect(g.upstream_inference_cost).toBeCloseTo(list, 12);
  });

  it("keeps BYOK spend at list price (/key's byok_usage) apart from the fee (usage)", async () => {
    const { body } = await chat(`byok-usage-${Date.now()}`);
    await generation(body.id);
    // The database: the key's and its days' BYOK spend are its BYOK generations' list prices.
    const totals = () =>
      sql(async (q) => {
        const [row] = await q<{ key: string; day: string; list: string; charged: string }[]>`
          select (select byok_usage::text from api_keys where hash = ${user.hash}) as key,
                 (select sum(byok_usage)::text from key_usage_daily where key_hash = ${user.hash}) as day,
                 (select sum(upstream_inference_cost)::text from generations
                   where key_hash = ${user.hash} and is_byok) as list,
                 (select sum(total_cost)::text from generations where key_hash = ${user.hash}) as charged`;
        return row!;
      });
    // /key agrees once the cached record and the written rows are the same (reads lag writes ≤ 2 s).
    const until = Date.now() + 10_000;
    for (;;) {
      const db = await totals();
      const { data } = (await (await api("/key", { key: user.key })).json()) as {
        data: { usage: number; byok_usage: number; byok_usage_daily: number };
      };
      const agreed =
        Number(db.key) === Number(db.list) &&
        Number(db.day) === Number(db.list) &&
        Math.abs(data.byok_usage - Number(db.list)) < 1e-12 &&
        Math.abs(data.byok_usage_daily - Number(db.list)) < 1e-12 &&
        Math.abs(data.usage - Number(db.charged)) < 1e-12;
      if (agreed) {
        expect(Number(db.list)).toBeGreaterThan(listPrice(body.usage) - 1e-12);
        expect(Number(db.charged)).toBeCloseTo(Number(db.list) * 0.05, 12);
        break;
      }
      if (Date.now() > until) expect({ db, data }).toBe("in agreement");
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it("streams with is_byok and the fee in the usage chunk", async () => {
    const marker = `byok-stream-${Date.now()}`;
    const res = await api("/chat/completions", {
      method: "POST",
      key: user.key,
      body: { model: "test/gpt", stream: true, messages: [{ role: "user", content: marker }] },
    });
    const text = await res.text();
    const usage = text
      .split("\n")
      .filter((l) => l.startsWith("data: {"))
      .map((l) => JSON.parse(l.slice(6)) as { usage?: ChatBody["usage"] })
      .find((c) => c.usage)?.usage;
    expect(await keysReceived(marker)).toEqual([USER_KEY]);
    expect(usage?.is_byok).toBe(true);
    expect(usage?.cost).toBeCloseTo(listPrice(usage!) * 0.05, 12);
  });

  it("falls back to the shared key when the provider refuses the user's", async () => {
    await admin.byok.update({ id, updateBYOKKeyRequest: { key: REFUSED_KEY } });
    const marker = `byok-refused-${Date.now()}`;
    const { status, body } = await chat(marker);
    expect(status).toBe(200);
    expect(await keysReceived(marker)).toEqual([REFUSED_KEY, MOCK_SECRETS.MOCK_OPENAI_KEY]);
    expect(body.usage.is_byok).toBe(false);
    expect(body.usage.cost).toBeCloseTo(listPrice(body.usage), 12);
    const g = (await generation(body.id)) as { provider_responses: { status: number; is_byok: boolean }[] };
    expect(g.provider_responses.map((a) => [a.status, a.is_byok])).toEqual([
      [401, true],
      [200, false],
    ]);
  });

  it("says the user's key was refused when it was the only way (is_byok_only), without echoing it", async () => {
    await admin.byok.update({ id, updateBYOKKeyRequest: { key: REFUSED_KEY, isByokOnly: true } });
    const marker = `byok-only-${Date.now()}`;
    const { status, body } = await chat(marker);
    expect(await keysReceived(marker)).toEqual([REFUSED_KEY]);
    expect(status).toBe(401);
    expect(body.error?.message).toMatch(/refused your own provider key/);
    expect(body.error?.metadata.is_byok).toBe(true);
    expect(JSON.stringify(body)).not.toContain(REFUSED_KEY.slice(0, 14));
  });

  it("ignores a disabled credential", async () => {
    await admin.byok.update({ id, updateBYOKKeyRequest: { disabled: true } });
    const marker = `byok-disabled-${Date.now()}`;
    expect((await chat(marker)).status).toBe(200);
    expect(await keysReceived(marker)).toEqual([MOCK_SECRETS.MOCK_OPENAI_KEY]);
  });
});

describe("a gateway without BYOK_ENCRYPTION_KEY", () => {
  let bare: Gateway;
  beforeAll(async () => {
    await deleteAll();
    const res = await api("/byok", {
      method: "POST",
      body: { provider: "mock-openai", key: USER_KEY, workspace_id: user.account, is_byok_only: true },
    });
    expect(res.status).toBe(201);
    bare = await startGateway({
      databaseUrl: db.url,
      vars: { ...MOCK_SECRETS, BYOK_ENCRYPTION_KEY: "" },
      name: "byok-off",
    });
  }, 180_000);
  afterAll(() => bare?.stop());

  it("refuses to store a key with a 503 that says why", async () => {
    const res = await fetch(`${bare.baseUrl}/byok`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ provider: "mock-openai", key: USER_KEY, workspace_id: user.account }),
    });
    expect(res.status).toBe(503);
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).toMatch(/BYOK_ENCRYPTION_KEY/);
  });

  it("routes as if the account had no credentials", async () => {
    const marker = `byok-off-${Date.now()}`;
    const res = await fetch(`${bare.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "test/gpt", messages: [{ role: "user", content: marker }] }),
    });
    expect(res.status).toBe(200);
    expect(await keysReceived(marker)).toEqual([MOCK_SECRETS.MOCK_OPENAI_KEY]);
  });
});
