/**
 * The hot path: a warm request makes no database round trip before it calls the provider,
 * routing survives a database outage on the data it last read, usage written during the outage
 * is not lost, and a revoked key stops working within the documented bound. An account with BYOK
 * credentials is warm the same way: its decrypted keys come with the cached key record. Postgres is reached
 * through a TCP proxy that counts connections and can refuse or black-hole them.
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { generateApiKey, hashApiKey, keyLabel } from "../../src/auth/api-key";
import { byokCipherKey, encryptSecret, maskKey } from "../../src/byok/crypto";
import { insertKey } from "../../src/db/queries/keys";
import { freshDatabase } from "./support/fresh-database";
import { type ProxyMode, startTcpProxy, type TcpProxy, viaProxy } from "./support/tcp-proxy";
import { createKey, MOCK_SECRETS, seed } from "./support/test-catalog";
import { type Gateway, startGateway, TEST_BYOK_SECRET } from "./support/workerd";

const mockUrl = inject("mockProvidersUrl");

interface Setup {
  db: Awaited<ReturnType<typeof freshDatabase>>;
  proxy: TcpProxy;
  gateway: Gateway;
  key: string;
}

async function setup(name: string, vars: Record<string, string>): Promise<Setup> {
  const db = await freshDatabase(name);
  const { key } = await seed(db.url, mockUrl);
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(db.url).port || 5432) });
  const gateway = await startGateway({
    databaseUrl: viaProxy(db.url, proxy),
    vars: { ...MOCK_SECRETS, ...vars },
    name,
  });
  return { db, proxy, gateway, key };
}

async function teardown(s: Setup | undefined): Promise<void> {
  await s?.gateway.stop();
  await s?.proxy.close();
  await s?.db.drop();
}

function chat(
  s: Setup,
  content: string,
  extra: Record<string, unknown> = {},
  key = s.key,
): Promise<Response> {
  return fetch(`${s.gateway.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "test/gpt", messages: [{ role: "user", content }], ...extra }),
  });
}

/** A management key (the admin token's kind) on its own account. */
async function createManagementKey(databaseUrl: string): Promise<string> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const secret = generateApiKey(true);
    await insertKey(drizzle(sql), {
      hash: await hashApiKey(secret),
      label: keyLabel(secret),
      name: "admin",
      isManagement: true,
    });
    return secret;
  } finally {
    await sql.end();
  }
}

async function mockReceivedAt(marker: string): Promise<number> {
  const list = (await (await fetch(`${mockUrl}/__requests?model=${marker}`)).json()) as {
    receivedAt: number;
  }[];
  if (!list[0]) throw new Error(`the provider never received ${marker}`);
  return list[0].receivedAt;
}

async function generationCount(dbUrl: string): Promise<number> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from generations`;
    return row?.n ?? 0;
  } finally {
    await sql.end();
  }
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("a warm request", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup("warm", {});
  }, 180_000);
  afterAll(() => teardown(s));

  it("opens no database connection before the provider is called, and says so in Server-Timing", async () => {
    expect((await chat(s, "cold")).status).toBe(200);
    await eventually(async () => (await generationCount(s.db.url)) >= 1, 10_000, "the first record");

    for (const [i, stream] of [false, true, false].entries()) {
      // Usage of the previous request is written (coalesced, a moment after its response) before
      // the next is measured, so its connection cannot be mistaken for a hot-path one.
      await eventually(async () => (await generationCount(s.db.url)) >= i + 1, 10_000, "the previous record");
      const marker = `warm-${stream}-${Date.now()}`;
      const sentAt = Date.now();
      const res = await chat(s, marker, { stream });
      expect(res.status).toBe(200);
      expect(res.headers.get("server-timing")).toMatch(/db;desc="0 queries"/);
      await res.text();
      const calledAt = await mockReceivedAt(marker);
      const before = s.proxy.connections.filter((t) => t >= sentAt && t <= calledAt);
      expect(before).toEqual([]);
    }
  });
});

/** A credential for the account of key `hash`, sealed as the API seals it (the gateway's test secret). */
async function addByokCredential(dbUrl: string, hash: string, providerKey: string): Promise<void> {
  const cipherKey = byokCipherKey(TEST_BYOK_SECRET);
  if (!cipherKey) throw new Error("the test BYOK secret is unusable");
  const sealed = await encryptSecret(await cipherKey, providerKey);
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`insert into byok_credentials (account_id, provider, key_ciphertext, label)
      select account_id, 'mock-openai', ${sealed}, ${maskKey(providerKey)} from api_keys where hash = ${hash}`;
  } finally {
    await sql.end();
  }
}

async function keysReceivedFor(marker: string): Promise<string[]> {
  const list = (await (await fetch(`${mockUrl}/__requests?model=${marker}`)).json()) as {
    headers: Record<string, string>;
  }[];
  return list.map((r) => String(r.headers.authorization).replace(/^Bearer /, ""));
}

describe("a warm BYOK request", () => {
  let s: Setup;
  const userKey = "sk-byok-hot-path-0123456789";
  beforeAll(async () => {
    s = await setup("warm_byok", {});
  }, 180_000);
  afterAll(() => teardown(s));

  it("uses the user's key from the key cache, with no database round trip", async () => {
    const k = await createKey(s.db.url, "1", "byok");
    await addByokCredential(s.db.url, k.hash, userKey);
    expect((await chat(s, "cold", {}, k.key)).status).toBe(200);
    await eventually(async () => (await generationCount(s.db.url)) >= 1, 10_000, "the first record");

    for (const [i, stream] of [false, true].entries()) {
      await eventually(async () => (await generationCount(s.db.url)) >= i + 1, 10_000, "the previous record");
      const marker = `warm-byok-${stream}-${Date.now()}`;
      const sentAt = Date.now();
      const res = await chat(s, marker, { stream }, k.key);
      expect(res.status).toBe(200);
      expect(res.headers.get("server-timing")).toMatch(/db;desc="0 queries"/);
      await res.text();
      expect(await keysReceivedFor(marker)).toEqual([userKey]);
      const calledAt = await mockReceivedAt(marker);
      expect(s.proxy.connections.filter((t) => t >= sentAt && t <= calledAt)).toEqual([]);
    }
  });
});

describe("a database outage", () => {
  let s: Setup;
  const setMode = (mode: ProxyMode) => {
    s.proxy.mode = mode;
  };
  beforeAll(async () => {
    // Short TTL and DB timeout so the test sees the cache expire and the timeout fire quickly.
    s = await setup("outage", { CACHE_TTL_SECONDS: "1", DB_TIMEOUT_MS: "300" });
  }, 180_000);
  afterAll(() => teardown(s));

  it("keeps routing on the last data read, without hanging, and loses no usage", async () => {
    expect((await chat(s, "before")).status).toBe(200);
    await eventually(async () => (await generationCount(s.db.url)) >= 1, 10_000, "the first record");
    const recorded = await generationCount(s.db.url);

    let served = 0;
    for (const mode of ["refuse", "blackhole"] as const) {
      setMode(mode);
      await new Promise((r) => setTimeout(r, 2_200)); // past 2 × TTL: the cache must try the database
      for (const stream of [false, true]) {
        const started = Date.now();
        const res = await chat(s, `during ${mode}`, { stream });
        expect(res.status).toBe(200);
        const text = await res.text();
        if (stream) expect(text).toContain("data: [DONE]");
        expect(Date.now() - started).toBeLessThan(3_000);
        served++;
      }
    }

    setMode("forward");
    expect((await chat(s, "after")).status).toBe(200);
    await eventually(
      async () => (await generationCount(s.db.url)) === recorded + served + 1,
      40_000,
      "every request's record, including those made during the outage",
    );
  });

  it("answers the routes that need the database with a 503 and Retry-After, never a 500", async () => {
    setMode("forward");
    const admin = await createManagementKey(s.db.url);
    const keys = () =>
      fetch(`${s.gateway.baseUrl}/keys`, {
        headers: { authorization: `Bearer ${admin}` },
        signal: AbortSignal.timeout(10_000),
      });
    const exchange = () =>
      fetch(`${s.gateway.baseUrl}/auth/keys`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code: "no-such-code", code_verifier: "x".repeat(43) }),
        signal: AbortSignal.timeout(10_000),
      });
    expect((await keys()).status).toBe(200); // the management key is now in the cache
    for (const mode of ["refuse", "blackhole"] as const) {
      setMode(mode);
      for (const call of [keys, exchange]) {
        const res = await call();
        const body = (await res.json()) as { error: { code: number; message: string } };
        expect(res.status, `${mode}: ${JSON.stringify(body)}`).toBe(503);
        expect(res.headers.get("retry-after")).toBe("5");
        expect(body.error.message).toMatch(/database is unavailable/i);
      }
    }
    // The consent page too, as a page: 503 HTML that says to try again.
    setMode("refuse");
    const approval = await fetch(`${s.gateway.origin}/auth`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ callback_url: "http://localhost:3000/cb", api_key: s.key }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(approval.status).toBe(503);
    expect(await approval.text()).toMatch(/Try again in a moment/);
    setMode("forward");
    expect((await keys()).status).toBe(200);
  }, 60_000);

  it("stops honouring a key disabled in the database within 2 × the key TTL", async () => {
    setMode("forward");
    const k = await createKey(s.db.url, "1", "revoke-me");
    expect((await chat(s, "hello", {}, k.key)).status).toBe(200);
    const sql = postgres(s.db.url, { max: 1, onnotice: () => {} });
    await sql`update api_keys set disabled = true where hash = ${k.hash}`;
    await sql.end();
    const revokedAt = Date.now();
    await eventually(async () => (await chat(s, "hello", {}, k.key)).status === 401, 5_000, "the revocation");
    // CACHE_TTL_SECONDS=1 here, so the bound is 2 s (+ request time).
    expect(Date.now() - revokedAt).toBeLessThan(3_000);
  });
});
