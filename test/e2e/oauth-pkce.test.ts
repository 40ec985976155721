/**
 * OpenRouter's OAuth PKCE sign-in (CONTRACT.md §4) against the built gateway in plain workerd,
 * over real HTTP: an app builds the link with OpenRouter's SDK, the user approves on the /auth
 * page with one of their keys, the browser follows the 303 to the app's local callback server,
 * the app exchanges the code with its verifier through the SDK, and the new key calls a model.
 * The SDK validates every response with zod, so each call parsing is part of each test.
 */
import { createServer, type Server } from "node:http";
import { OpenRouter } from "@openrouter/sdk";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { keyLabel } from "../../src/auth/api-key";
import { freshDatabase } from "./support/fresh-database";
import { MOCK_SECRETS, seed } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

let gateway: Gateway;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
let accountId: string;
let callbackServer: Server;
let callbackOrigin: string;
/** Query strings the callback server received, latest last. */
const callbacks: URLSearchParams[] = [];
const mockUrl = inject("mockProvidersUrl");

/** What an app holds before it has a key: the SDK with no key. */
const app = () => new OpenRouter({ serverURL: gateway.baseUrl, retryConfig: { strategy: "none" } });
const withKey = (apiKey: string) =>
  new OpenRouter({ apiKey, serverURL: gateway.baseUrl, retryConfig: { strategy: "none" } });

beforeAll(async () => {
  db = await freshDatabase("oauth_pkce");
  ({ key } = await seed(db.url, mockUrl));
  gateway = await startGateway({ databaseUrl: db.url, vars: { ...MOCK_SECRETS }, name: "oauth-pkce" });
  accountId = (await withKey(key).apiKeys.getCurrentKeyMetadata()).data.workspaceId!;
  callbackServer = createServer((req, res) => {
    callbacks.push(new URL(req.url ?? "/", "http://callback").searchParams);
    res.writeHead(200, { "content-type": "text/plain" }).end("signed in");
  });
  await new Promise<void>((resolve) => callbackServer.listen(0, "127.0.0.1", resolve));
  const address = callbackServer.address();
  callbackOrigin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}, 180_000);

afterAll(async () => {
  await new Promise((resolve) => callbackServer?.close(resolve));
  await gateway?.stop();
  await db?.drop();
});

/** The consent form as a browser sees it: where it posts and its hidden fields. */
function readForm(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
  if (!action) throw new Error(`no form in the page:\n${html}`);
  const fields: Record<string, string> = {};
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[name!] = value!.replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#39;", "'");
  }
  return { action, fields };
}

/** A user opening `link` and approving with `apiKey`: the response to the form's POST. */
async function approveInBrowser(link: string, apiKey: string): Promise<Response> {
  const page = await fetch(link);
  expect(page.status).toBe(200);
  const { action, fields } = readForm(await page.text());
  return fetch(new URL(action, link), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...fields, api_key: apiKey }),
    redirect: "manual",
  });
}

/** The whole browser part: approve, follow the redirect to the app's callback, return the code it got. */
async function signIn(link: string): Promise<string> {
  const approved = await approveInBrowser(link, key);
  expect(approved.status).toBe(303);
  const location = approved.headers.get("location")!;
  expect(location.startsWith(`${callbackOrigin}/done?`)).toBe(true);
  const landed = await fetch(location);
  expect(await landed.text()).toBe("signed in");
  const code = callbacks.at(-1)?.get("code");
  expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return code!;
}

async function sdkLink(extra: Record<string, string> = {}) {
  const { codeChallenge, codeVerifier } = await app().oAuth.createSHA256CodeChallenge();
  const link = new URL(
    await app().oAuth.createAuthorizationUrl({
      callbackUrl: `${callbackOrigin}/done?state=s1`,
      codeChallenge,
      codeChallengeMethod: "S256",
    }),
  );
  for (const [name, value] of Object.entries(extra)) link.searchParams.set(name, value);
  return { link: link.toString(), codeVerifier };
}

describe("signing in with OpenRouter's flow", () => {
  it("link, approval, callback, exchange: the new key is on the user's account and calls a model", async () => {
    const { link, codeVerifier } = await sdkLink({ key_label: "E2E app" });
    expect(link.startsWith(`${gateway.origin}/auth?`)).toBe(true);
    const code = await signIn(link);
    expect(callbacks.at(-1)?.get("state")).toBe("s1");

    const exchanged = await app().oAuth.exchangeAuthCodeForAPIKey({
      requestBody: { code, codeVerifier, codeChallengeMethod: "S256" },
    });
    expect(exchanged).toEqual({ key: expect.stringMatching(/^sk-sy-v1-/), userId: `user_${accountId}` });
    expect(exchanged.key).not.toBe(key);

    const { data } = await withKey(exchanged.key).apiKeys.getCurrentKeyMetadata();
    expect(data).toMatchObject({
      label: keyLabel(exchanged.key),
      workspaceId: accountId,
      isManagementKey: false,
    });

    const chat = await fetch(`${gateway.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${exchanged.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "test/gpt", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(200);
    const completion = (await chat.json()) as { model: string; choices: { message: { content: string } }[] };
    expect(completion.model).toBe("test/gpt");
    expect(completion.choices[0]?.message.content).toEqual(expect.any(String));

    // The code worked once.
    await expect(
      app().oAuth.exchangeAuthCodeForAPIKey({
        requestBody: { code, codeVerifier, codeChallengeMethod: "S256" },
      }),
    ).rejects.toMatchObject({ statusCode: 403, name: "ForbiddenResponseError" });
  });

  it("a wrong verifier and an expired code are 403s the SDK reports as such", async () => {
    const { link, codeVerifier } = await sdkLink();
    const code = await signIn(link);
    const other = await app().oAuth.createSHA256CodeChallenge();
    await expect(
      app().oAuth.exchangeAuthCodeForAPIKey({ requestBody: { code, codeVerifier: other.codeVerifier } }),
    ).rejects.toMatchObject({ statusCode: 403, message: "Invalid authorization code or code_verifier" });

    // Ten minutes later, as far as the database knows.
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await sql`update auth_codes set expires_at = now() - interval '1 second' where used_at is null`;
    } finally {
      await sql.end();
    }
    await expect(
      app().oAuth.exchangeAuthCodeForAPIKey({ requestBody: { code, codeVerifier } }),
    ).rejects.toMatchObject({ statusCode: 403, message: expect.stringMatching(/expired/) });
  });

  it("a wrong key on the page: the form again with the error, no redirect", async () => {
    const { link } = await sdkLink();
    const res = await approveInBrowser(link, "sk-sy-v1-not-a-real-key");
    expect(res.status).toBe(401);
    expect(await res.text()).toContain("That is not a valid Switchyard API key.");
  });

  it("a key_label or callback carrying markup is shown as text", async () => {
    const link = new URL(`${gateway.origin}/auth`);
    link.searchParams.set("callback_url", `${callbackOrigin}/done?x="><script>alert(1)</script>`);
    link.searchParams.set("key_label", `<img src=x onerror=alert(2)>`);
    const res = await fetch(link);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain("&lt;img src=x onerror=alert(2)&gt;");
  });

  it("refuses a plain-http callback off localhost, and wrong methods", async () => {
    const page = await fetch(
      `${gateway.origin}/auth?callback_url=${encodeURIComponent("http://app.example.com/cb")}`,
    );
    expect(page.status).toBe(400);
    const get = await fetch(`${gateway.baseUrl}/auth/keys`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const badMethod = await fetch(`${gateway.baseUrl}/auth/keys`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: "x", code_verifier: "y", code_challenge_method: "S512" }),
    });
    expect(badMethod.status).toBe(400);
    expect(await badMethod.json()).toMatchObject({
      error: { code: 400, message: expect.stringMatching(/code_challenge_method/) },
    });
  });
});

describe("codes made by API (createAuthCode)", () => {
  it("createAuthCode and exchangeAuthCodeForAPIKey parse; the key has the limit and expiry asked for", async () => {
    const { codeChallenge, codeVerifier } = await app().oAuth.createSHA256CodeChallenge();
    const expiresAt = new Date(Date.now() + 7 * 86_400_000);
    const created = await withKey(key).oAuth.createAuthCode({
      requestBody: {
        callbackUrl: "http://localhost:3000/callback",
        codeChallenge,
        codeChallengeMethod: "S256",
        keyLabel: "SDK-made",
        limit: 1.5,
        usageLimitType: "monthly",
        expiresAt,
      },
    });
    expect(created.data).toEqual({ id: expect.any(String), appId: 0, createdAt: expect.any(String) });

    const exchanged = await app().oAuth.exchangeAuthCodeForAPIKey({
      requestBody: { code: created.data.id, codeVerifier, codeChallengeMethod: "S256" },
    });
    expect(exchanged.userId).toBe(`user_${accountId}`);
    const { data } = await withKey(exchanged.key).apiKeys.getCurrentKeyMetadata();
    expect(data).toMatchObject({
      limit: 1.5,
      limitRemaining: 1.5,
      limitReset: "monthly",
      expiresAt,
      workspaceId: accountId,
    });
  });

  it("refuses a plain-http callback off localhost with a 400 the SDK reports", async () => {
    await expect(
      withKey(key).oAuth.createAuthCode({ requestBody: { callbackUrl: "http://app.example.com/cb" } }),
    ).rejects.toMatchObject({ statusCode: 400, name: "BadRequestResponseError" });
  });

  it("refuses a caller without a key (401)", async () => {
    await expect(
      app().oAuth.createAuthCode({ requestBody: { callbackUrl: "https://app.example.com/cb" } }),
    ).rejects.toMatchObject({ statusCode: 401 });
  });
});
