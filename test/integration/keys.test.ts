import { env, exports } from "cloudflare:workers";
import { eq, inArray, like } from "drizzle-orm";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onError } from "../../src/api/error-response";
import { generateApiKey, hashApiKey, keyLabel } from "../../src/auth/api-key";
import { requireApiKey } from "../../src/auth/middleware";
import { createDb } from "../../src/db/client";
import { insertKey, type NewKey } from "../../src/db/queries/keys";
import { apiKeys } from "../../src/db/schema";
import type { AppEnv } from "../../src/env";
import {
  createKeyResponseSchema,
  creditsResponseSchema,
  deleteKeyResponseSchema,
  keyListResponseSchema,
  keyResponseSchema,
} from "../../src/schema/keys";

const run = `kt${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const db = () => createDb(env.HYPERDRIVE.connectionString);

async function makeKey(fields: Partial<NewKey> = {}, management = false) {
  const secret = generateApiKey(management);
  const hash = await hashApiKey(secret);
  await insertKey(db(), {
    hash,
    label: keyLabel(secret),
    name: `${run}-direct`,
    isManagement: management,
    ...fields,
  });
  return { secret, hash };
}

function api(path: string, key: string | undefined, init: { method?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  return exports.default.fetch(`http://gateway/api/v1${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

async function keysNamed(name: string) {
  return db().select({ hash: apiKeys.hash }).from(apiKeys).where(eq(apiKeys.name, name));
}

let admin: string;

beforeAll(async () => {
  admin = (await makeKey({ name: `${run}-admin` }, true)).secret;
});

afterAll(async () => {
  await db()
    .delete(apiKeys)
    .where(like(apiKeys.name, `${run}-%`));
});

describe("POST /api/v1/keys", () => {
  it("creates a key with its own funded account and shows the secret once", async () => {
    const res = await api("/keys", admin, {
      method: "POST",
      body: { name: `${run}-ci`, credits: 100, limit: 10, limit_reset: "monthly" },
    });
    expect(res.status).toBe(201);
    const body = createKeyResponseSchema.parse(await res.json());
    expect(body.key).toMatch(/^sk-sy-v1-[0-9a-f]{64}$/);
    expect(body.data).toMatchObject({
      hash: await hashApiKey(body.key),
      name: `${run}-ci`,
      label: keyLabel(body.key),
      disabled: false,
      limit: 10,
      limit_remaining: 10,
      limit_reset: "monthly",
      include_byok_in_limit: false,
      usage: 0,
      expires_at: null,
      is_management_key: false,
    });
    // The new key works at once, on an account holding the credits.
    const credits = await api("/credits", body.key);
    expect(creditsResponseSchema.parse(await credits.json()).data).toEqual({
      total_credits: 100,
      total_usage: 0,
    });
    // The secret is not shown again.
    const again = await api(`/keys/${body.data.hash}`, admin);
    expect(JSON.stringify(await again.json())).not.toContain(body.key);
  });

  it("attaches a key to an existing account", async () => {
    const first = createKeyResponseSchema.parse(
      await (await api("/keys", admin, { method: "POST", body: { name: `${run}-a1`, credits: 5 } })).json(),
    );
    const res = await api("/keys", admin, {
      method: "POST",
      body: { name: `${run}-a2`, accountId: first.data.account_id, expires_at: "2099-01-01T00:00:00Z" },
    });
    expect(res.status).toBe(201);
    const second = createKeyResponseSchema.parse(await res.json());
    expect(second.data.account_id).toBe(first.data.account_id);
    expect(second.data.expires_at).toBe("2099-01-01T00:00:00.000Z");
    const credits = creditsResponseSchema.parse(await (await api("/credits", second.key)).json());
    expect(credits.data.total_credits).toBe(5);
  });

  it("answers 404 for an unknown account and creates nothing", async () => {
    const name = `${run}-orphan`;
    const res = await api("/keys", admin, {
      method: "POST",
      body: { name, accountId: "00000000-0000-4000-8000-000000000000" },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 404, metadata: { error_type: "not_found" } } });
    expect(await keysNamed(name)).toEqual([]);
  });

  it.each([
    ["name", {}],
    ["name", { name: "" }],
    ["limit", { limit: -1 }],
    ["limit", { limit: "10" }],
    ["limit_reset", { limit_reset: "hourly" }],
    ["expires_at", { expires_at: "2001-01-01T00:00:00Z" }],
    ["expires_at", { expires_at: "tomorrow" }],
    ["credits", { credits: -5 }],
    ["accountId", { accountId: "not-a-uuid" }],
    ["accountId", { credits: 1, accountId: "00000000-0000-4000-8000-000000000000" }],
  ])("refuses a bad %s with a 400 naming it, creating nothing", async (field, body) => {
    const name = `${run}-bad-${field}`;
    const res = await api("/keys", admin, {
      method: "POST",
      body: field === "name" ? body : { name, ...body },
    });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: { code: number; message: string } };
    expect(json.error.code).toBe(400);
    expect(json.error.message).toContain(field);
    expect(await keysNamed(field === "name" ? "" : name)).toEqual([]);
  });

  it("refuses a value the database cannot store (a NUL) with a 400, and creates nothing", async () => {
    const name = `${run}-nul\u0000name`;
    const res = await api("/keys", admin, { method: "POST", body: { name, credits: "1" } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(400);
    expect(
      await db()
        .select({ hash: apiKeys.hash })
        .from(apiKeys)
        .where(like(apiKeys.name, `${run}-nul%`)),
    ).toEqual([]);
    const lookup = await api("/keys/%00", admin);
    expect(lookup.status).toBeGreaterThanOrEqual(400);
    expect(lookup.status).toBeLessThan(500);
  });

  it("refuses malformed JSON with a 400", async () => {
    const res = await exports.default.fetch("http://gateway/api/v1/keys", {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: "{nope",
    });
    expect(res.status).toBe(400);
  });
});

describe("GET /api/v1/keys", () => {
  it("lists keys of every account, newest first, paged by offset", async () => {
    const made = [];
    for (const n of [1, 2, 3]) made.push(await makeKey({ name: `${run}-list-${n}`, credits: "1" }));
    const all = keyListResponseSchema.parse(await (await api("/keys?limit=1000", admin)).json()).data;
    const hashes = all.map((k) => k.hash);
    for (const k of made) expect(hashes).toContain(k.hash);
    const page0 = keyListResponseSchema.parse(await (await api("/keys?limit=2", admin)).json()).data;
    const page1 = keyListResponseSchema.parse(await (await api("/keys?limit=2&offset=2", admin)).json()).data;
    expect(page0).toHaveLength(2);
    expect(page0.map((k) => k.hash)).toEqual(hashes.slice(0, 2));
    expect(page1.map((k) => k.hash)).toEqual(hashes.slice(2, 4));
    const created = all.map((k) => Date.parse(k.created_at));
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });

  it("hides disabled keys unless include_disabled=true", async () => {
    const off = await makeKey({ name: `${run}-off` });
    await db().update(apiKeys).set({ disabled: true }).where(eq(apiKeys.hash, off.hash));
    const hidden = keyListResponseSchema.parse(await (await api("/keys?limit=1000", admin)).json()).data;
    expect(hidden.map((k) => k.hash)).not.toContain(off.hash);
    const shown = keyListResponseSchema.parse(
      await (await api("/keys?limit=1000&include_disabled=true", admin)).json(),
    ).data;
    expect(shown.find((k) => k.hash === off.hash)?.disabled).toBe(true);
  });

  it("refuses a bad page size with a 400 naming it", async () => {
    const res = await api("/keys?limit=0", admin);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("limit");
  });
});

describe("GET|PATCH|DELETE /api/v1/keys/:hash", () => {
  it("reads one key and answers 404 for an unknown hash", async () => {
    const k = await makeKey({ name: `${run}-one`, limit: "2.5" });
    const res = await api(`/keys/${k.hash}`, admin);
    expect(res.status).toBe(200);
    expect(keyResponseSchema.parse(await res.json()).data).toMatchObject({
      hash: k.hash,
      name: `${run}-one`,
      limit: 2.5,
      limit_remaining: 2.5,
    });
    const missing = await api(`/keys/${"0".repeat(64)}`, admin);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: { code: 404, metadata: { error_type: "not_found" } },
    });
  });

  it("changes a key and the change takes effect at once", async () => {
    const k = await makeKey({ name: `${run}-patch` });
    expect((await api("/key", k.secret)).status).toBe(200);
    const res = await api(`/keys/${k.hash}`, admin, {
      method: "PATCH",
      body: { name: `${run}-patched`, limit: 0.1, limit_reset: "daily", include_byok_in_limit: true },
    });
    expect(res.status).toBe(200);
    const data = keyResponseSchema.parse(await res.json()).data;
    expect(data).toMatchObject({
      name: `${run}-patched`,
      limit: 0.1,
      limit_remaining: 0.1,
      limit_reset: "daily",
      include_byok_in_limit: true,
    });
    expect(Date.parse(data.updated_at!)).toBeGreaterThanOrEqual(Date.parse(data.created_at));
    const disable = await api(`/keys/${k.hash}`, admin, { method: "PATCH", body: { disabled: true } });
    expect(keyResponseSchema.parse(await disable.json()).data.disabled).toBe(true);
    expect((await api("/key", k.secret)).status).toBe(401);
    await api(`/keys/${k.hash}`, admin, { method: "PATCH", body: { disabled: false, limit: null } });
    const back = await api("/key", k.secret);
    expect(back.status).toBe(200);
    expect(await back.json()).toMatchObject({ data: { limit: null, limit_remaining: null } });
  });

  it.each([
    ["limit", { limit: "x" }],
    ["limit_reset", { limit_reset: "yearly" }],
    ["expires_at", { expires_at: "2000-01-01T00:00:00Z" }],
    ["disabled", { disabled: "yes" }],
    ["nothing to change", {}],
  ])("refuses a bad %s with a 400 and changes nothing", async (field, body) => {
    const k = await makeKey({ name: `${run}-keep`, limit: "3" });
    const res = await api(`/keys/${k.hash}`, admin, { method: "PATCH", body: { ...body } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(field);
    const [row] = await db().select().from(apiKeys).where(eq(apiKeys.hash, k.hash));
    expect(row).toMatchObject({ name: `${run}-keep`, disabled: false, limitReset: null, expiresAt: null });
    expect(Number(row!.limit)).toBe(3);
  });

  it("answers 404 when patching an unknown key", async () => {
    const res = await api(`/keys/${"f".repeat(64)}`, admin, { method: "PATCH", body: { disabled: true } });
    expect(res.status).toBe(404);
  });

  it("deletes a key, which stops working at once", async () => {
    const k = await makeKey({ name: `${run}-del` });
    expect((await api("/key", k.secret)).status).toBe(200);
    const res = await api(`/keys/${k.hash}`, admin, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(deleteKeyResponseSchema.parse(await res.json())).toEqual({ deleted: true });
    expect((await api(`/keys/${k.hash}`, admin)).status).toBe(404);
    expect((await api("/key", k.secret)).status).toBe(401);
    expect((await api(`/keys/${k.hash}`, admin, { method: "DELETE" })).status).toBe(404);
  });
});

describe("authentication and permissions", () => {
  it("answers 401 for a missing, unknown, disabled or expired key", async () => {
    const disabled = await makeKey({ name: `${run}-dis` }, true);
    await db().update(apiKeys).set({ disabled: true }).where(eq(apiKeys.hash, disabled.hash));
    const expired = await makeKey({ name: `${run}-exp`, expiresAt: new Date(Date.now() - 1000) }, true);
    for (const key of [undefined, generateApiKey(true), disabled.secret, expired.secret]) {
      const res = await api("/keys", key);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        error: { code: 401, metadata: { error_type: "authentication" } },
      });
    }
    // Auth comes before validation: a bad body from a stranger is still a 401.
    expect((await api("/keys", undefined, { method: "POST", body: {} })).status).toBe(401);
  });

  it("answers 403 for an inference key on /keys", async () => {
    const k = await makeKey({ name: `${run}-inf` });
    for (const [method, path] of [
      ["GET", "/keys"],
      ["POST", "/keys"],
      ["GET", `/keys/${k.hash}`],
      ["PATCH", `/keys/${k.hash}`],
      ["DELETE", `/keys/${k.hash}`],
    ] as const) {
      const res = await api(path, k.secret, { method, body: method === "GET" ? undefined : { name: "x" } });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await res.json()).toMatchObject({ error: { metadata: { error_type: "permission_denied" } } });
    }
    expect(await keysNamed("x")).toEqual([]);
  });

  it("manages API keys only: a management key is not listed, and cannot be changed or deleted, itself included", async () => {
    const other = await makeKey({ name: `${run}-admin2` }, true);
    const self = await hashApiKey(admin);
    const listed = keyListResponseSchema.parse(
      await (await api("/keys?limit=1000&include_disabled=true", admin)).json(),
    ).data;
    expect(listed.map((k) => k.hash)).not.toContain(self);
    expect(listed.map((k) => k.hash)).not.toContain(other.hash);
    for (const hash of [self, other.hash]) {
      for (const [method, body] of [
        ["GET", undefined],
        ["PATCH", { disabled: true }],
        ["DELETE", undefined],
      ] as const) {
        const res = await api(`/keys/${hash}`, admin, { method, body });
        expect(res.status, `${method} ${hash}`).toBe(403);
        expect(await res.json()).toMatchObject({
          error: {
            code: 403,
            message: expect.stringContaining("management key"),
            metadata: { error_type: "permission_denied" },
          },
        });
      }
    }
    const rows = await db()
      .select({ hash: apiKeys.hash, disabled: apiKeys.disabled })
      .from(apiKeys)
      .where(inArray(apiKeys.hash, [self, other.hash]));
    expect(rows.map((r) => r.disabled)).toEqual([false, false]);
    expect((await api("/keys", admin)).status).toBe(200);
  });

  it("answers 403 for a management key where inference is required", async () => {
    const app = new Hono<AppEnv>();
    app.onError(onError);
    app.get("/infer", requireApiKey, (c) => c.json({ ok: true }));
    const res = await app.request("/infer", { headers: { authorization: `Bearer ${admin}` } }, env);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: { code: 403, metadata: { error_type: "permission_denied" } },
    });
    const k = await makeKey({ name: `${run}-inf2` });
    const ok = await app.request("/infer", { headers: { authorization: `Bearer ${k.secret}` } }, env);
    expect(ok.status).toBe(200);
  });
});
