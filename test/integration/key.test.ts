import { env, exports } from "cloudflare:workers";
import { eq, like, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { generateApiKey, hashApiKey, keyLabel } from "../../src/auth/api-key";
import { createDb } from "../../src/db/client";
import { insertKey, type NewKey } from "../../src/db/queries/keys";
import { accounts, apiKeys, keyUsageDaily } from "../../src/db/schema";
import { creditsResponseSchema, currentKeyResponseSchema } from "../../src/schema/keys";

const run = `k1${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const db = () => createDb(env.HYPERDRIVE.connectionString);

async function makeKey(fields: Partial<NewKey> = {}, management = false) {
  const secret = generateApiKey(management);
  const hash = await hashApiKey(secret);
  await insertKey(db(), {
    hash,
    label: keyLabel(secret),
    name: `${run}-k`,
    isManagement: management,
    ...fields,
  });
  return { secret, hash };
}

/** Lifetime spend 8: 3 today (in every period) and 5 forty days ago (in none). */
async function spend(hash: string) {
  await db().update(apiKeys).set({ usage: "8" }).where(eq(apiKeys.hash, hash));
  await db()
    .insert(keyUsageDaily)
    .values([
      { keyHash: hash, day: sql`(now() at time zone 'utc')::date`, usage: "3", requests: 3 },
      { keyHash: hash, day: sql`(now() at time zone 'utc')::date - 40`, usage: "5", requests: 5 },
    ]);
}

const get = (path: string, key?: string) =>
  exports.default.fetch(`http://gateway/api/v1${path}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });

afterAll(async () => {
  await db()
    .delete(apiKeys)
    .where(like(apiKeys.name, `${run}-%`));
});

describe("GET /api/v1/key", () => {
  it("shows the calling key in OpenRouter's shape", async () => {
    const k = await makeKey({ name: `${run}-shape`, credits: "25", limit: "10", includeByokInLimit: true });
    const res = await get("/key", k.secret);
    expect(res.status).toBe(200);
    expect(currentKeyResponseSchema.parse(await res.json()).data).toEqual({
      label: keyLabel(k.secret),
      limit: 10,
      limit_remaining: 10,
      limit_reset: null,
      include_byok_in_limit: true,
      usage: 0,
      usage_daily: 0,
      usage_weekly: 0,
      usage_monthly: 0,
      byok_usage: 0,
      byok_usage_daily: 0,
      byok_usage_weekly: 0,
      byok_usage_monthly: 0,
      is_free_tier: false,
      is_management_key: false,
      is_provisioning_key: false,
      expires_at: null,
      creator_user_id: null,
      organization_id: null,
      workspace_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      allowed_data_regions: ["global"],
      free_model_daily_requests: { limit: 1000, remaining: 1000, used: 0 },
      rate_limit: { requests: -1, interval: "10s", note: expect.any(String) },
    });
  });

  it.each([
    [null, 2],
    ["daily", 7],
    ["weekly", 7],
    ["monthly", 7],
  ] as const)(
    "limit_remaining with limit_reset %s is the limit minus that period's spend",
    async (reset, left) => {
      const k = await makeKey({ name: `${run}-reset`, limit: "10", limitReset: reset });
      await spend(k.hash);
      const data = currentKeyResponseSchema.parse(await (await get("/key", k.secret)).json()).data;
      expect(data).toMatchObject({
        limit: 10,
        limit_reset: reset,
        limit_remaining: left,
        usage: 8,
        usage_daily: 3,
        usage_weekly: 3,
        usage_monthly: 3,
      });
    },
  );

  it("never reports a negative limit_remaining", async () => {
    const k = await makeKey({ name: `${run}-over`, limit: "2", limitReset: "daily" });
    await spend(k.hash);
    const data = currentKeyResponseSchema.parse(await (await get("/key", k.secret)).json()).data;
    expect(data.limit_remaining).toBe(0);
  });

  it("marks an account that never had credits as free tier, and answers the legacy /auth/key alias", async () => {
    const k = await makeKey({ name: `${run}-free`, expiresAt: new Date("2099-06-01T00:00:00Z") });
    const a = currentKeyResponseSchema.parse(await (await get("/key", k.secret)).json());
    const b = currentKeyResponseSchema.parse(await (await get("/auth/key", k.secret)).json());
    expect(a.data).toMatchObject({ is_free_tier: true, expires_at: "2099-06-01T00:00:00.000Z", limit: null });
    expect(b).toEqual(a);
  });

  it("answers a management key too, saying so", async () => {
    const k = await makeKey({ name: `${run}-mgmt` }, true);
    const res = await get("/key", k.secret);
    expect(res.status).toBe(200);
    expect(currentKeyResponseSchema.parse(await res.json()).data.is_management_key).toBe(true);
  });

  it("answers 401 without a valid key", async () => {
    expect((await get("/key")).status).toBe(401);
    expect((await get("/key", generateApiKey())).status).toBe(401);
    expect((await get("/auth/key", "not-a-key")).status).toBe(401);
  });
});

describe("GET /api/v1/credits", () => {
  it("reports the account's credits and usage, shared by its keys", async () => {
    const k = await makeKey({ name: `${run}-cr`, credits: "12.5" });
    const [row] = await db().select().from(apiKeys).where(eq(apiKeys.hash, k.hash));
    await db().update(accounts).set({ usage: "2.25" }).where(eq(accounts.id, row!.accountId));
    const sibling = await makeKey({ name: `${run}-cr2`, accountId: row!.accountId });
    for (const key of [k.secret, sibling.secret]) {
      const res = await get("/credits", key);
      expect(res.status).toBe(200);
      expect(creditsResponseSchema.parse(await res.json())).toEqual({
        data: { total_credits: 12.5, total_usage: 2.25 },
      });
    }
    expect((await get("/credits")).status).toBe(401);
  });
});
