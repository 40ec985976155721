import { env, exports } from "cloudflare:workers";
import { inArray, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateApiKey, hashApiKey, keyLabel } from "../../src/auth/api-key";
import { createDb } from "../../src/db/client";
import { insertKey, type NewKey } from "../../src/db/queries/keys";
import { accounts, generations, models, providers } from "../../src/db/schema";
import { type ActivityItem, activityResponseSchema } from "../../src/schema/activity";

// The clock stands at 2025-03-15 00:00:01 UTC (in the worker too: it runs in this isolate), so the
// window is 2025-02-13 … 2025-03-14, a month before anything the other files write.
const NOW = Date.parse("2025-03-15T00:00:01Z");
const run = `at${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const db = () => createDb(env.HYPERDRIVE.connectionString);

const GPT = `${run}-lab/gpt`;
const NITRO = `${GPT}:nitro`;
const PA = `${run}-pa`; // in the catalog, renamed since the requests were recorded
const PB = `${run}-pb`; // no longer in the catalog: its recorded name stands

let admin: string;
let adminAccount: string;
const keyA = { secret: "", hash: "", account: "" }; // account X
const keyC = { secret: "", hash: "" }; // account X too
const keyB = { secret: "", hash: "", account: "" }; // account Y

async function makeKey(fields: Partial<NewKey> & { name: string }, management = false) {
  const secret = generateApiKey(management);
  const hash = await hashApiKey(secret);
  const row = await insertKey(db(), { hash, label: keyLabel(secret), isManagement: management, ...fields });
  return { secret, hash, account: row.accountId };
}

let seq = 0;
function row(
  key: { hash: string },
  account: string,
  createdAt: string,
  fields: {
    model?: string | null;
    provider?: string | null;
    cost?: string;
    tokens?: [number, number, number];
  } = {},
): typeof generations.$inferInsert {
  const [prompt, completion, reasoning] = fields.tokens ?? [10, 5, 1];
  const model = fields.model === undefined ? GPT : fields.model;
  const provider = fields.provider === undefined ? PA : fields.provider;
  return {
    id: `gen-${run}-${seq++}`,
    createdAt: new Date(createdAt),
    accountId: account,
    keyHash: key.hash,
    requestedModel: model ?? GPT,
    model,
    providerSlug: provider,
    providerName: provider === PA ? "PA (recorded)" : provider === PB ? "PB (recorded)" : null,
    streamed: false,
    status: model ? 200 : 502,
    tokensPrompt: prompt,
    tokensCompletion: completion,
    tokensReasoning: reasoning,
    totalCost: fields.cost ?? "0.1",
  };
}

beforeAll(async () => {
  ({ secret: admin, account: adminAccount } = await makeKey({ name: `${run}-admin` }, true));
  Object.assign(keyA, await makeKey({ name: `${run}-a`, credits: "10" }));
  Object.assign(keyC, await makeKey({ name: `${run}-c`, accountId: keyA.account }));
  Object.assign(keyB, await makeKey({ name: `${run}-b`, credits: "10" }));
  await db()
    .insert(providers)
    .values({
      slug: PA,
      name: "Provider A",
      adapter: "openai",
      baseUrl: "https://pa.example/v1",
      dataPolicy: { training: false, retainsPrompts: false },
    });
  await db()
    .insert(models)
    .values({
      id: GPT,
      canonicalSlug: `${GPT}-2025-01-01`,
      name: "Lab: gpt",
      releasedAt: new Date("2025-01-01T00:00:00Z"),
      contextLength: 1000,
      inputModalities: ["text"],
      outputModalities: ["text"],
    });
  const X = keyA.account;
  await db()
    .insert(generations)
    .values([
      // 2025-03-14, the last completed day: gpt@PA from three keys in two accounts…
      row(keyA, X, "2025-03-14T23:59:59.999Z", { cost: "0.1", tokens: [10, 5, 1] }),
      row(keyA, X, "2025-03-14T08:00:00Z", { cost: "0.2", tokens: [20, 10, 2] }),
      row(keyC, X, "2025-03-14T12:00:00Z", { cost: "0.3", tokens: [30, 15, 0] }),
      row(keyB, keyB.account, "2025-03-14T13:00:00Z", { cost: "1", tokens: [100, 50, 25] }),
      // …gpt@PB, and gpt:nitro@PA: the same endpoint under the id the request named.
      row(keyA, X, "2025-03-14T09:00:00Z", { provider: PB, cost: "0.05", tokens: [7, 3, 0] }),
      row(keyA, X, "2025-03-14T10:00:00Z", { model: NITRO, cost: "0.4", tokens: [40, 20, 4] }),
      // A request every attempt of which failed: no endpoint to count it under.
      row(keyA, X, "2025-03-14T11:00:00Z", { model: null, provider: null, cost: "0", tokens: [0, 0, 0] }),
      // 2025-02-13, the first day of the window.
      row(keyA, X, "2025-02-13T00:00:00Z", { cost: "0.000000000001", tokens: [1, 1, 1] }),
      // Just outside it on both sides: the day before, and today (not over yet).
      row(keyA, X, "2025-02-12T23:59:59.999Z", { cost: "5" }),
      row(keyA, X, "2025-03-15T00:00:00Z", { cost: "5" }),
    ]);
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});

afterAll(async () => {
  vi.useRealTimers();
  await db()
    .delete(generations)
    .where(like(generations.id, `gen-${run}-%`));
  await db()
    .delete(accounts)
    .where(inArray(accounts.id, [keyA.account, keyB.account, adminAccount]));
  await db()
    .delete(models)
    .where(inArray(models.id, [GPT]));
  await db()
    .delete(providers)
    .where(inArray(providers.slug, [PA]));
});

function activity(query: string, key = admin) {
  return exports.default.fetch(`http://gateway/api/v1/activity${query ? `?${query}` : ""}`, {
    headers: { authorization: `Bearer ${key}` },
  });
}

async function rows(query = ""): Promise<ActivityItem[]> {
  const res = await activity(query);
  expect(res.status).toBe(200);
  return activityResponseSchema.parse(await res.json()).data;
}

const item = (
  date: string,
  model: string,
  provider: string,
  sums: { requests: number; usage: number; tokens: [number, number, number] },
): ActivityItem => ({
  date,
  model,
  model_permaslug: `${GPT}-2025-01-01`,
  endpoint_id: `${GPT}@${provider}`,
  provider_name: provider === PA ? "Provider A" : "PB (recorded)",
  usage: sums.usage,
  byok_usage_inference: 0,
  requests: sums.requests,
  prompt_tokens: sums.tokens[0],
  completion_tokens: sums.tokens[1],
  reasoning_tokens: sums.tokens[2],
});

const LAST_DAY = [
  item("2025-03-14", GPT, PA, { requests: 4, usage: 1.6, tokens: [160, 80, 28] }),
  item("2025-03-14", GPT, PB, { requests: 1, usage: 0.05, tokens: [7, 3, 0] }),
  item("2025-03-14", NITRO, PA, { requests: 1, usage: 0.4, tokens: [40, 20, 4] }),
];
const FIRST_DAY = [item("2025-02-13", GPT, PA, { requests: 1, usage: 1e-12, tokens: [1, 1, 1] })];

describe("GET /api/v1/activity", () => {
  it("sums requests, spend and tokens per day, model and endpoint over the 30 completed days, newest first", async () => {
    expect(await rows()).toEqual([...LAST_DAY, ...FIRST_DAY]);
  });

  it("answers one day with date", async () => {
    expect(await rows("date=2025-03-14")).toEqual(LAST_DAY);
    expect(await rows("date=2025-02-13")).toEqual(FIRST_DAY);
    expect(await rows("date=2025-03-01")).toEqual([]);
  });

  it("narrows to one key with api_key_hash", async () => {
    expect(await rows(`api_key_hash=${keyA.hash}`)).toEqual([
      item("2025-03-14", GPT, PA, { requests: 2, usage: 0.3, tokens: [30, 15, 3] }),
      ...LAST_DAY.slice(1),
      ...FIRST_DAY,
    ]);
    expect(await rows(`api_key_hash=${keyB.hash}&date=2025-03-14`)).toEqual([
      item("2025-03-14", GPT, PA, { requests: 1, usage: 1, tokens: [100, 50, 25] }),
    ]);
  });

  it.each([
    ["workspace_id", (account: string) => account],
    ["user_id", (account: string) => `user_${account}`],
  ])("narrows to one account with %s", async (param, idOf) => {
    expect(await rows(`${param}=${idOf(keyA.account)}&date=2025-03-14`)).toEqual([
      item("2025-03-14", GPT, PA, { requests: 3, usage: 0.6, tokens: [60, 30, 3] }),
      ...LAST_DAY.slice(1),
    ]);
  });

  it("refuses user_id and workspace_id naming different accounts", async () => {
    const res = await activity(`user_id=user_${keyA.account}&workspace_id=${keyB.account}`);
    expect(res.status).toBe(400);
  });

  it("splits rows per account with group_by=workspace, naming each", async () => {
    const X = keyA.account;
    const Y = keyB.account;
    const inX = {
      ...item("2025-03-14", GPT, PA, { requests: 3, usage: 0.6, tokens: [60, 30, 3] }),
      workspace_id: X,
    };
    const inY = {
      ...item("2025-03-14", GPT, PA, { requests: 1, usage: 1, tokens: [100, 50, 25] }),
      workspace_id: Y,
    };
    // Rows of the same day, model and endpoint come in workspace id order.
    const expected = [
      ...(X < Y ? [inX, inY] : [inY, inX]),
      { ...LAST_DAY[1]!, workspace_id: X },
      { ...LAST_DAY[2]!, workspace_id: X },
    ];
    expect(await rows("group_by=workspace&date=2025-03-14")).toEqual(expected);
    expect((await rows("date=2025-03-14")).every((r) => !("workspace_id" in r))).toBe(true);
  });

  it.each([
    ["date=2025-3-14", "date"],
    ["date=2025-02-30", "date"],
    ["date=yesterday", "date"],
    ["date=2025-02-12", "not one of the last 30 completed UTC days (2025-02-13 to 2025-03-14)"],
    ["date=2025-03-15", "not one of the last 30 completed UTC days"],
    ["date=2026-01-01", "not one of the last 30 completed UTC days"],
    ["api_key_hash=abc", "api_key_hash"],
    [`api_key_hash=${"A".repeat(64)}`, "api_key_hash"],
    ["workspace_id=not-a-uuid", "workspace_id"],
    ["group_by=model", "group_by"],
    ["user_id=user_1", "user_id"],
  ])("refuses %s with a 400 naming it", async (query, says) => {
    const res = await activity(query);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: number; message: string; metadata: unknown } };
    expect(body.error).toMatchObject({ code: 400, metadata: { error_type: "invalid_request" } });
    expect(body.error.message).toContain(says);
  });

  it.each([
    ["api_key_hash", "a".repeat(64), "No key with hash"],
    ["workspace_id", "00000000-0000-4000-8000-000000000000", "No workspace with id"],
    ["user_id", "user_00000000-0000-4000-8000-000000000000", "No user"],
  ])("answers 404 for an unknown %s", async (param, value, says) => {
    const res = await activity(`${param}=${value}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      error: { code: 404, message: `${says} ${value}`, metadata: { error_type: "not_found" } },
    });
  });

  it("refuses an API key with 403, and no key with 401", async () => {
    const res = await activity("", keyA.secret);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: {
        code: 403,
        message: expect.stringMatching(/management key/),
        metadata: { error_type: "permission_denied" },
      },
    });
    const anonymous = await exports.default.fetch("http://gateway/api/v1/activity");
    expect(anonymous.status).toBe(401);
  });
});
