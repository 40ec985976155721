/**
 * OpenRouter's OAuth PKCE flow inside workerd against the real database: the `/auth` page, the
 * exchange (`POST /api/v1/auth/keys`) and codes made by API (`POST /api/v1/auth/keys/code`),
 * with every refusal. The whole flow over real HTTP with OpenRouter's SDK is in test/e2e/oauth-pkce.test.ts.
 */
import { env, exports } from "cloudflare:workers";
import { eq, like, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { generateApiKey, hashApiKey, keyLabel } from "../../src/auth/api-key";
import { MAX_FAILED_EXCHANGES, s256Challenge } from "../../src/auth/pkce";
import { createDb } from "../../src/db/client";
import { SWEEP_BATCH, sweepAuthCodes } from "../../src/db/queries/auth-codes";
import { insertKey, type NewKey } from "../../src/db/queries/keys";
import { apiKeys, authCodes } from "../../src/db/schema";
import { currentKeyResponseSchema } from "../../src/schema/keys";

const run = `oa${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const db = () => createDb(env.HYPERDRIVE.connectionString);
const ORIGIN = "http://gateway";

async function makeKey(fields: Partial<NewKey> = {}, management = false) {
  const secret = generateApiKey(management);
  const hash = await hashApiKey(secret);
  const row = await insertKey(db(), {
    hash,
    label: keyLabel(secret),
    name: `${run}-owner`,
    isManagement: management,
    credits: "5",
    ...fields,
  });
  return { secret, hash, accountId: row.accountId };
}

/** A fresh verifier and its S256 challenge. */
async function pkce() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const verifier = btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
  return { verifier, challenge: await s256Challenge(verifier) };
}

/** A callback URL of this run (so rows can be found and removed). */
const callback = (path = "cb", query = "") => `https://${run}.example.com/${path}${query}`;

const page = (query: Record<string, string>) =>
  exports.default.fetch(`${ORIGIN}/auth?${new URLSearchParams(query)}`);

const approve = (fields: Record<string, string>) =>
  exports.default.fetch(`${ORIGIN}/auth`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
    redirect: "manual",
  });

const postJson = (path: string, body: unknown, key?: string) =>
  exports.default.fetch(`${ORIGIN}/api/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });

const exchange = (body: Record<string, unknown>) => postJson("/auth/keys", body);

/** Approves on the page with `key`; returns the code from the redirect. */
async function codeFromPage(key: string, params: Record<string, string>): Promise<string> {
  const res = await approve({ ...params, api_key: key });
  expect(res.status).toBe(303);
  const code = new URL(res.headers.get("location") ?? "").searchParams.get("code");
  expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return code!;
}

async function codesFor(callbackUrl: string) {
  return db().select().from(authCodes).where(eq(authCodes.callbackUrl, callbackUrl));
}

/** The one answer to an unknown code, a wrong proof, and a code dead from wrong proofs. */
const INVALID = {
  code: 403,
  message: "Invalid authorization code or code_verifier",
  metadata: { error_type: "permission_denied" },
};

/** Keys the flow made on `owner`'s account (every key there but the owner's own). */
async function keysMadeFor(owner: { accountId: string; hash: string }) {
  return db()
    .select()
    .from(apiKeys)
    .where(sql`${apiKeys.accountId} = ${owner.accountId} and ${apiKeys.hash} <> ${owner.hash}`);
}

async function failedAttemptsOf(code: string): Promise<number | undefined> {
  const [row] = await db()
    .select({ failedAttempts: authCodes.failedAttempts })
    .from(authCodes)
    .where(eq(authCodes.codeHash, await hashApiKey(code)));
  return row?.failedAttempts;
}

async function errorOf(res: Response) {
  return (
    (await res.json()) as { error: { code: number; message: string; metadata: { error_type: string } } }
  ).error;
}

afterAll(async () => {
  // Codes go with their keys (on delete cascade).
  await db()
    .delete(apiKeys)
    .where(like(apiKeys.name, `${run}-%`));
  await db()
    .delete(apiKeys)
    .where(like(apiKeys.name, `OAuth: ${run}%`));
});

describe("GET /auth", () => {
  it("asks for approval: who asks, the key it gets, and a form that posts back here", async () => {
    const { challenge } = await pkce();
    const res = await page({
      callback_url: callback(),
      code_challenge: challenge,
      code_challenge_method: "S256",
      key_label: `${run}-label`,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain(`<strong>https://${run}.example.com</strong> wants an API key`);
    expect(html).toContain(`<bdi>${run}-label</bdi>`);
    expect(html).toContain('<form method="post" action="/auth">');
    expect(html).toContain(`<input type="hidden" name="code_challenge" value="${challenge}">`);
    expect(html).not.toContain("<script");
  });

  it("escapes what a link carries: no markup from key_label or callback_url reaches the page", async () => {
    const res = await page({
      callback_url: callback("cb", `?q="><script>alert(1)</script>`),
      key_label: `</title><script>alert(2)</script><img src=x onerror=alert(3)>`,
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toMatch(/<script|<img|<\/title><script/);
    expect(html).toContain(
      "&lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt;&lt;img src=x onerror=alert(3)&gt;",
    );
  });

  it.each([
    [
      "a non-localhost http callback",
      { callback_url: "http://app.example.com/cb" },
      /callback_url: must use https/,
    ],
    ["a javascript: callback", { callback_url: "javascript:alert(1)" }, /callback_url/],
    ["a data: callback", { callback_url: "data:text/html,hi" }, /callback_url/],
    [
      "an unknown method",
      { callback_url: callback(), code_challenge: "x", code_challenge_method: "S512" },
      /code_challenge_method/,
    ],
    [
      "a method without a challenge",
      { callback_url: callback(), code_challenge_method: "S256" },
      /code_challenge_method/,
    ],
    ["headless without a challenge", {}, /code_challenge: is required without a callback_url/],
  ])("refuses %s with a readable 400 page and no form", async (_name, query, message) => {
    const res = await page(query);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("This sign-in link is not valid");
    expect(html).toMatch(message);
    expect(html).not.toContain("<form");
  });

  it("answers other methods with 405", async () => {
    const res = await exports.default.fetch(`${ORIGIN}/auth`, { method: "PUT" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST");
  });
});

describe("POST /auth (approving with an API key)", () => {
  it("stores a hash of a new code for the key's account and sends the browser to the callback with it", async () => {
    const owner = await makeKey();
    const { challenge } = await pkce();
    const url = callback("approved", "?state=xyz&n=1");
    const res = await approve({
      callback_url: url,
      code_challenge: challenge,
      code_challenge_method: "S256",
      api_key: owner.secret,
    });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(`https://${run}.example.com/approved`);
    expect([...location.searchParams.keys()]).toEqual(["state", "n", "code"]);
    expect(location.searchParams.get("state")).toBe("xyz");
    const code = location.searchParams.get("code")!;
    const rows = await codesFor(url);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      codeHash: await hashApiKey(code),
      accountId: owner.accountId,
      approvedByKeyHash: owner.hash,
      codeChallenge: challenge,
      codeChallengeMethod: "S256",
      keyName: `OAuth: ${run}.example.com`,
      usedAt: null,
    });
    // Only the hash is stored, and the code lives 10 minutes.
    expect(JSON.stringify(rows[0])).not.toContain(code);
    const ttl = rows[0]!.expiresAt.getTime() - rows[0]!.createdAt.getTime();
    expect(ttl).toBe(10 * 60 * 1000);
  });

  it.each([
    ["no key", "", 401, /Paste one of your Switchyard API keys/],
    ["an unknown key", generateApiKey(), 401, /not a valid Switchyard API key/],
    ["something that is no key at all", "x".repeat(5000), 401, /not a valid Switchyard API key/],
  ])("with %s: the form again with the error, nothing stored", async (_name, key, status, message) => {
    const url = callback(`refused-${status}-${key.length}`);
    const res = await approve({ callback_url: url, code_challenge: "verifier-1", api_key: key });
    expect(res.status).toBe(status);
    const html = await res.text();
    expect(html).toMatch(message);
    expect(html).toContain('<form method="post" action="/auth">');
    expect(html).toContain(`<input type="hidden" name="callback_url" value="${url}">`);
    expect(await codesFor(url)).toEqual([]);
  });

  it("refuses a disabled key, an expired key and an admin token; stores nothing", async () => {
    const disabled = await makeKey({ name: `${run}-disabled` });
    await db().update(apiKeys).set({ disabled: true }).where(eq(apiKeys.hash, disabled.hash));
    const expired = await makeKey({ name: `${run}-expired`, expiresAt: new Date(Date.now() - 1000) });
    const admin = await makeKey({ name: `${run}-admin` }, true);
    const url = callback("refused-keys");
    for (const [key, status, message] of [
      [disabled.secret, 401, /disabled/],
      [expired.secret, 401, /expired/],
      [admin.secret, 403, /admin token/],
    ] as const) {
      const res = await approve({ callback_url: url, api_key: key });
      expect(res.status).toBe(status);
      expect(await res.text()).toMatch(message);
    }
    expect(await codesFor(url)).toEqual([]);
  });

  it("validates the hidden fields again: a tampered callback is refused, nothing stored", async () => {
    const owner = await makeKey();
    const res = await approve({ callback_url: `http://${run}.example.com/cb`, api_key: owner.secret });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/callback_url: must use https/);
    expect(await codesFor(`http://${run}.example.com/cb`)).toEqual([]);
  });

  it("headless: shows the code on the page instead of redirecting; it exchanges with the verifier", async () => {
    const owner = await makeKey();
    const { verifier, challenge } = await pkce();
    const res = await approve({
      code_challenge: challenge,
      code_challenge_method: "S256",
      key_label: `${run}-headless`,
      api_key: owner.secret,
    });
    expect(res.status).toBe(200);
    const code = /<code class="code">([A-Za-z0-9_-]{43})<\/code>/.exec(await res.text())?.[1];
    expect(code).toBeDefined();
    const exchanged = await exchange({ code, code_verifier: verifier, code_challenge_method: "S256" });
    expect(exchanged.status).toBe(200);
  });
});

describe("POST /api/v1/auth/keys (the exchange)", () => {
  it("gives a new key on the approving key's account, named by key_label, that works", async () => {
    const owner = await makeKey();
    const { verifier, challenge } = await pkce();
    const code = await codeFromPage(owner.secret, {
      callback_url: callback(),
      code_challenge: challenge,
      code_challenge_method: "S256",
      key_label: `${run}-my app`,
      limit: "2.5",
    });
    const res = await exchange({ code, code_verifier: verifier, code_challenge_method: "S256" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { key: string; user_id: string };
    expect(body).toEqual({ key: expect.stringMatching(/^sk-sy-v1-/), user_id: `user_${owner.accountId}` });
    const [row] = await db()
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.hash, await hashApiKey(body.key)));
    expect(row).toMatchObject({ accountId: owner.accountId, name: `${run}-my app`, limit: "2.500000000000" });
    const me = await exports.default.fetch(`${ORIGIN}/api/v1/key`, {
      headers: { authorization: `Bearer ${body.key}` },
    });
    expect(me.status).toBe(200);
    expect(currentKeyResponseSchema.parse(await me.json()).data).toMatchObject({
      label: keyLabel(body.key),
      limit: 2.5,
      workspace_id: owner.accountId,
    });
  });

  it("works once: the second exchange of a code is a 403", async () => {
    const owner = await makeKey();
    const { verifier, challenge } = await pkce();
    const code = await codeFromPage(owner.secret, {
      callback_url: callback(),
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    expect((await exchange({ code, code_verifier: verifier })).status).toBe(200);
    const again = await exchange({ code, code_verifier: verifier });
    expect(again.status).toBe(403);
    expect(await errorOf(again)).toEqual({
      code: 403,
      message: "This authorization code has already been used",
      metadata: { error_type: "permission_denied" },
    });
  });

  it("of concurrent exchanges of one code, exactly one wins", async () => {
    const owner = await makeKey();
    const { verifier, challenge } = await pkce();
    const code = await codeFromPage(owner.secret, {
      callback_url: callback(),
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => exchange({ code, code_verifier: verifier })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 403, 403, 403, 403, 403]);
    const made = await db()
      .select()
      .from(apiKeys)
      .where(sql`${apiKeys.accountId} = ${owner.accountId} and ${apiKeys.hash} <> ${owner.hash}`);
    expect(made).toHaveLength(1);
  });

  it("refuses a wrong or missing verifier, or another method (403), without using the code up", async () => {
    const owner = await makeKey();
    const { verifier, challenge } = await pkce();
    const other = await pkce();
    const code = await codeFromPage(owner.secret, {
      callback_url: callback(),
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const wrong = await exchange({ code, code_verifier: other.verifier });
    expect(wrong.status).toBe(403);
    expect(await errorOf(wrong)).toEqual(INVALID);
    // The challenge itself is not the verifier (an attacker who saw the link has the challenge).
    expect(await errorOf(await exchange({ code, code_verifier: challenge }))).toEqual(INVALID);
    expect(await errorOf(await exchange({ code }))).toEqual(INVALID);
    expect(
      await errorOf(await exchange({ code, code_verifier: verifier, code_challenge_method: "plain" })),
    ).toEqual(INVALID);
    // Four refusals: one fewer than a code survives.
    expect((await exchange({ code, code_verifier: verifier })).status).toBe(200);
  });

  it("plain: the verifier is the challenge", async () => {
    const owner = await makeKey();
    const code = await codeFromPage(owner.secret, {
      callback_url: callback(),
      code_challenge: "your-random-string",
      code_challenge_method: "plain",
    });
    expect((await exchange({ code, code_verifier: "your-random-strinG" })).status).toBe(403);
    expect(
      (await exchange({ code, code_verifier: "your-random-string", code_challenge_method: "plain" })).status,
    ).toBe(200);
  });

  it("a code made without a challenge needs no verifier", async () => {
    const owner = await makeKey();
    const code = await codeFromPage(owner.secret, { callback_url: callback() });
    expect((await exchange({ code })).status).toBe(200);
  });

  it("refuses an expired code (403), even with the right verifier", async () => {
    const owner = await makeKey();
    const { verifier, challenge } = await pkce();
    const url = callback("expired");
    const code = await codeFromPage(owner.secret, {
      callback_url: url,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    await db()
      .update(authCodes)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(authCodes.callbackUrl, url));
    const res = await exchange({ code, code_verifier: verifier });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).message).toMatch(/has expired \(codes last 10 minutes\)/);
  });

  it("refuses a code whose approving key was disabled since", async () => {
    const owner = await makeKey();
    const code = await codeFromPage(owner.secret, { callback_url: callback() });
    await db().update(apiKeys).set({ disabled: true }).where(eq(apiKeys.hash, owner.hash));
    const res = await exchange({ code });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).message).toMatch(/approved this code is disabled/);
  });

  it.each([
    ["an unknown code", { code: "nope" }, 403, /^Invalid authorization code or code_verifier$/],
    ["no code", { code_verifier: "x" }, 400, /code/],
    ["an invalid method", { code: "nope", code_challenge_method: "S512" }, 400, /code_challenge_method/],
    ["a verifier that is not a string", { code: "nope", code_verifier: 42 }, 400, /code_verifier/],
  ])("refuses %s in the error envelope", async (_name, body, status, message) => {
    const res = await exchange(body);
    expect(res.status).toBe(status);
    const error = await errorOf(res);
    expect(error.code).toBe(status);
    expect(error.message).toMatch(message);
  });

  it("refuses malformed JSON with a 400", async () => {
    const res = await exports.default.fetch(`${ORIGIN}/api/v1/auth/keys`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(res.status).toBe(400);
  });

  it.each(["GET", "PUT", "PATCH", "DELETE"])("answers %s with 405 and Allow: POST", async (method) => {
    const res = await exports.default.fetch(`${ORIGIN}/api/v1/auth/keys`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(await errorOf(res)).toMatchObject({ code: 405, metadata: { error_type: "invalid_request" } });
  });
});

describe("POST /api/v1/auth/keys: a bounded number of guesses per code", () => {
  /** A code with an S256 challenge, its verifier, and a wrong verifier. */
  async function s256Code() {
    const owner = await makeKey();
    const { verifier, challenge } = await pkce();
    const code = await codeFromPage(owner.secret, {
      callback_url: callback("guesses"),
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    return { owner, code, verifier, wrong: (await pkce()).verifier };
  }

  it("after 5 refused exchanges the code is dead, even for the right verifier, with the same answer", async () => {
    const { owner, code, verifier, wrong } = await s256Code();
    // Every kind of wrong proof counts: wrong verifiers, none, another method.
    for (const body of [
      { code, code_verifier: wrong },
      { code, code_verifier: `${verifier}x` },
      { code, code_verifier: wrong },
      { code },
      { code, code_verifier: verifier, code_challenge_method: "plain" },
    ]) {
      const res = await exchange(body);
      expect(res.status).toBe(403);
      expect(await errorOf(res)).toEqual(INVALID);
    }
    expect(await failedAttemptsOf(code)).toBe(5);
    const right = await exchange({ code, code_verifier: verifier, code_challenge_method: "S256" });
    expect(right.status).toBe(403);
    // Nothing tells a guesser that this guess was the right one, or that guessing has stopped.
    expect(await errorOf(right)).toEqual(INVALID);
    expect(await failedAttemptsOf(code)).toBe(5);
    expect(await keysMadeFor(owner)).toEqual([]);
  });

  it("of many wrong verifiers at once, only the limit is counted, and the right one afterwards is refused", async () => {
    const { owner, code, verifier } = await s256Code();
    // Each request has its own database client: kept small so the run stays within Postgres's connections.
    const guesses = await Promise.all(
      Array.from({ length: 8 }, async () => exchange({ code, code_verifier: (await pkce()).verifier })),
    );
    expect(guesses.map((r) => r.status)).toEqual(Array(8).fill(403));
    expect(await failedAttemptsOf(code)).toBe(MAX_FAILED_EXCHANGES);
    expect((await exchange({ code, code_verifier: verifier })).status).toBe(403);
    expect(await keysMadeFor(owner)).toEqual([]);
  });

  it.each([
    ["sent first", 0],
    ["sent among them", 3],
    ["sent last", 6],
  ])(
    "wrong verifiers racing the right one (%s) at the limit's edge: at most one key, and never after the limit",
    async (_name, position) => {
      const { owner, code, verifier, wrong } = await s256Code();
      for (let i = 0; i < MAX_FAILED_EXCHANGES - 1; i++) {
        expect((await exchange({ code, code_verifier: wrong })).status).toBe(403);
      }
      // One wrong guess left: whichever of these the database takes first decides.
      const bodies = Array.from({ length: 6 }, () => ({ code, code_verifier: wrong }));
      bodies.splice(position, 0, { code, code_verifier: verifier });
      const results = await Promise.all(bodies.map(exchange));
      const won = results.filter((r) => r.status === 200).length;
      expect(results.filter((r) => r.status === 403)).toHaveLength(results.length - won);
      expect(await keysMadeFor(owner)).toHaveLength(won);
      // The right verifier won before the fifth wrong one (which then found the code used),
      // or the fifth wrong one came first and the code died: nothing in between.
      expect({ won, failed: await failedAttemptsOf(code) }).toEqual(
        won === 1 ? { won: 1, failed: MAX_FAILED_EXCHANGES - 1 } : { won: 0, failed: MAX_FAILED_EXCHANGES },
      );
    },
  );

  it.each([
    ["a NUL", "abc\u0000def"],
    ["a space", "abc def"],
    ["a non-ASCII character", "abcé"],
  ])(
    "a verifier with %s is a wrong verifier like any other (403, counted), not a 400",
    async (_name, bad) => {
      const { code } = await s256Code();
      const plainOwner = await makeKey();
      const plainCode = await codeFromPage(plainOwner.secret, {
        callback_url: callback("odd-verifier"),
        code_challenge: "your-random-string",
        code_challenge_method: "plain",
      });
      for (const c of [code, plainCode]) {
        expect(await errorOf(await exchange({ code: c, code_verifier: bad }))).toEqual(INVALID);
        expect(await failedAttemptsOf(c)).toBe(1);
      }
    },
  );

  it("a refusal about the approving key is not counted as a wrong guess", async () => {
    const { owner, code, verifier } = await s256Code();
    await db().update(apiKeys).set({ disabled: true }).where(eq(apiKeys.hash, owner.hash));
    for (let i = 0; i < MAX_FAILED_EXCHANGES; i++) {
      expect((await errorOf(await exchange({ code, code_verifier: verifier }))).message).toMatch(
        /approved this code is disabled/,
      );
    }
    expect(await failedAttemptsOf(code)).toBe(0);
    await db().update(apiKeys).set({ disabled: false }).where(eq(apiKeys.hash, owner.hash));
    expect((await exchange({ code, code_verifier: verifier })).status).toBe(200);
  });
});

describe("dead codes do not pile up", () => {
  /** Makes the codes sent to `url` expire `age` ago (a Postgres interval), as if made that long ago. */
  async function age(url: string, interval: string) {
    await db()
      .update(authCodes)
      .set({ expiresAt: sql`now() - ${interval}::interval` })
      .where(eq(authCodes.callbackUrl, url));
  }

  it("an exchange, even a refused one, deletes codes (used ones too) that expired more than a day ago", async () => {
    const owner = await makeKey();
    const used = await codeFromPage(owner.secret, { callback_url: callback("swept-used") });
    expect((await exchange({ code: used })).status).toBe(200);
    await codeFromPage(owner.secret, { callback_url: callback("swept") });
    await codeFromPage(owner.secret, { callback_url: callback("swept") });
    await codeFromPage(owner.secret, { callback_url: callback("kept") });
    await age(callback("swept-used"), "25 hours");
    await age(callback("swept"), "25 hours");
    await age(callback("kept"), "1 hour");
    expect(await codesFor(callback("swept"))).toHaveLength(2);

    const res = await exchange({ code: "not-a-code" });
    expect(res.status).toBe(403);
    expect(await codesFor(callback("swept-used"))).toEqual([]);
    expect(await codesFor(callback("swept"))).toEqual([]);
    // A code dead for less than a day stays, so its exchange can still say why.
    expect(await codesFor(callback("kept"))).toHaveLength(1);
  });

  it(`a sweep deletes at most ${SWEEP_BATCH} codes, so no request pays for a large backlog`, async () => {
    const owner = await makeKey();
    const url = callback("backlog");
    await db()
      .insert(authCodes)
      .values(
        Array.from({ length: SWEEP_BATCH + 20 }, (_, i) => ({
          codeHash: `${run}-backlog-${i}`,
          accountId: owner.accountId,
          approvedByKeyHash: owner.hash,
          callbackUrl: url,
          keyName: `${run}-backlog`,
          expiresAt: new Date(Date.now() - 2 * 86_400_000),
        })),
      );
    expect(await sweepAuthCodes(db())).toBe(SWEEP_BATCH);
    expect(await codesFor(url)).toHaveLength(20);
    expect(await sweepAuthCodes(db())).toBe(20);
    expect(await codesFor(url)).toEqual([]);
  });
});

describe("POST /api/v1/auth/keys/code (a code made by API)", () => {
  it("makes a code for the calling key's account; its key carries the limit, period and expiry asked for", async () => {
    const owner = await makeKey();
    const { verifier, challenge } = await pkce();
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const res = await postJson(
      "/auth/keys/code",
      {
        callback_url: "http://127.0.0.1:43210/cb",
        code_challenge: challenge,
        code_challenge_method: "S256",
        key_label: `${run}-api`,
        limit: 3,
        usage_limit_type: "weekly",
        expires_at: expiresAt,
        workspace_id: owner.accountId,
      },
      owner.secret,
    );
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: { id: string; app_id: number; created_at: string } };
    expect(data).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      app_id: 0,
      created_at: expect.any(String),
    });
    const exchanged = await exchange({
      code: data.id,
      code_verifier: verifier,
      code_challenge_method: "S256",
    });
    expect(exchanged.status).toBe(200);
    const { key } = (await exchanged.json()) as { key: string };
    const me = await exports.default.fetch(`${ORIGIN}/api/v1/key`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(currentKeyResponseSchema.parse(await me.json()).data).toMatchObject({
      limit: 3,
      limit_reset: "weekly",
      expires_at: expiresAt,
      workspace_id: owner.accountId,
    });
  });

  it("needs an API key: none is 401, an admin token 403", async () => {
    const body = { callback_url: callback() };
    expect((await postJson("/auth/keys/code", body)).status).toBe(401);
    const admin = await makeKey({ name: `${run}-admin2` }, true);
    expect((await postJson("/auth/keys/code", body, admin.secret)).status).toBe(403);
  });

  it.each([
    [
      "a non-localhost http callback",
      { callback_url: "http://app.example.com/cb" },
      /callback_url: must use https/,
    ],
    ["no callback", { code_challenge: "abc" }, /callback_url/],
    [
      "an invalid method",
      { callback_url: "https://a.example/cb", code_challenge: "a", code_challenge_method: "S1" },
      /code_challenge_method/,
    ],
    [
      "an expiry in the past",
      { callback_url: "https://a.example/cb", expires_at: "2001-01-01T00:00:00Z" },
      /expires_at/,
    ],
    [
      "an expiry without seconds",
      { callback_url: "https://a.example/cb", expires_at: "2099-01-01T00:00Z" },
      /expires_at/,
    ],
    ["a negative limit", { callback_url: "https://a.example/cb", limit: -1 }, /limit/],
    [
      "an unknown period",
      { callback_url: "https://a.example/cb", usage_limit_type: "yearly" },
      /usage_limit_type/,
    ],
  ])("refuses %s with a 400 naming the field", async (_name, body, message) => {
    const owner = await makeKey();
    const res = await postJson("/auth/keys/code", body, owner.secret);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(message);
  });

  it("refuses another workspace's id (403)", async () => {
    const owner = await makeKey();
    const res = await postJson(
      "/auth/keys/code",
      { callback_url: callback(), workspace_id: "00000000-0000-0000-0000-000000000000" },
      owner.secret,
    );
    expect(res.status).toBe(403);
  });

  it("answers GET with 405", async () => {
    const res = await exports.default.fetch(`${ORIGIN}/api/v1/auth/keys/code`);
    expect(res.status).toBe(405);
  });
});
