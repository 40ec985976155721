/**
 * A browser app whose users bring their own key, in a real browser (Debian's Chromium through
 * playwright-core): the one real client of both the /auth consent page and our CORS headers.
 *
 * The app is a page served by a local HTTP server on another origin (another port) than the
 * gateway. Its inline script does what a single-page app does with OpenRouter's OAuth PKCE flow:
 * makes a code verifier, derives the S256 challenge with WebCrypto, keeps the verifier in
 * sessionStorage and sends the user to the gateway's /auth page. The test pastes a real key there
 * and approves; the browser follows the 303 to the app's /callback, whose script exchanges the code
 * cross-origin (`POST /api/v1/auth/keys`, JSON: a preflight), then calls chat completions with the
 * new key (a preflight for `Authorization`), plain and streamed, reads `X-Generation-Id` (an
 * exposed header) and writes everything into the page, where the test reads it.
 *
 * Chromium must be at /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it): the test
 * fails without it rather than skipping.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Request } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { hashApiKey } from "../../src/auth/api-key";
import { freshDatabase } from "./support/fresh-database";
import { MOCK_SECRETS, seed } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

const CHROMIUM = "/usr/bin/chromium";
/** Without the background-networking flags Chromium's own connections are refused on a closed network. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let gateway: Gateway;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
let appServer: Server;
let appOrigin: string;
let browser: BrowserContext;
let userDataDir: string;
const mockUrl = inject("mockProvidersUrl");

/** The app's start page: a sign-in button that starts the PKCE flow. */
function startPage(gatewayOrigin: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Browser app</title></head>
<body>
<button id="sign-in">Sign in with Switchyard</button>
<script>
const GATEWAY = ${JSON.stringify(gatewayOrigin)};
const base64url = (bytes) =>
  btoa(String.fromCharCode(...bytes)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
document.getElementById("sign-in").addEventListener("click", async () => {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const challenge = base64url(new Uint8Array(digest));
  sessionStorage.setItem("code_verifier", verifier);
  location.assign(GATEWAY + "/auth?callback_url=" + encodeURIComponent(location.origin + "/callback") +
    "&code_challenge=" + challenge + "&code_challenge_method=S256&key_label=Browser%20app");
});
</script>
</body></html>`;
}

/** The app's callback: exchange the code, then call a model with the new key, plain and streamed. */
function callbackPage(gatewayOrigin: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Browser app: signed in</title></head>
<body>
<pre id="result"></pre>
<script>
const API = ${JSON.stringify(`${gatewayOrigin}/api/v1`)};
const out = { step: "exchange" };
const chat = (key, body) => fetch(API + "/chat/completions", {
  method: "POST",
  headers: { Authorization: "Bearer " + key, "Content-Type": "application/json" },
  body: JSON.stringify(body),
});
(async () => {
  const code = new URLSearchParams(location.search).get("code");
  const exchange = await fetch(API + "/auth/keys", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      code,
      code_verifier: sessionStorage.getItem("code_verifier"),
      code_challenge_method: "S256",
    }),
  });
  const exchanged = await exchange.json();
  if (!exchange.ok) throw new Error("exchange: " + exchange.status + " " + JSON.stringify(exchanged));
  sessionStorage.removeItem("code_verifier");
  history.replaceState(null, "", "/callback");
  out.key = exchanged.key;
  out.user_id = exchanged.user_id;

  out.step = "chat";
  const plain = await chat(out.key, {
    model: "test/gpt",
    messages: [{ role: "user", content: "plain, from the browser" }],
  });
  const completion = await plain.json();
  if (!plain.ok) throw new Error("chat: " + plain.status + " " + JSON.stringify(completion));
  out.text = completion.choices[0].message.content;
  out.generation_id = plain.headers.get("X-Generation-Id");
  out.completion_id = completion.id;

  out.step = "stream";
  const streamed = await chat(out.key, {
    model: "test/gpt",
    stream: true,
    messages: [{ role: "user", content: "streamed, from the browser" }],
  });
  if (!streamed.ok) throw new Error("stream: " + streamed.status + " " + (await streamed.text()));
  out.stream_generation_id = streamed.headers.get("X-Generation-Id");
  out.stream_text = "";
  out.stream_chunk_ids = [];
  const reader = streamed.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let newline;
    while ((newline = buffer.indexOf("\\n")) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (data === "[DONE]") { out.stream_done = true; continue; }
      const chunk = JSON.parse(data);
      if (!out.stream_chunk_ids.includes(chunk.id)) out.stream_chunk_ids.push(chunk.id);
      out.stream_text += chunk.choices?.[0]?.delta?.content ?? "";
    }
  }
  out.step = "done";
})().catch((error) => {
  out.error = String(error);
}).finally(() => {
  const result = document.getElementById("result");
  result.textContent = JSON.stringify(out, null, 2);
  result.dataset.finished = "true";
});
</script>
</body></html>`;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium (.ci/run does)`,
    );
  }
  userDataDir = mkdtempSync(join(tmpdir(), "switchyard-chromium-"));
  const launched = chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  db = await freshDatabase("browser_app");
  ({ key } = await seed(db.url, mockUrl));
  gateway = await startGateway({ databaseUrl: db.url, vars: { ...MOCK_SECRETS }, name: "browser-app" });
  const gatewayOrigin = gateway.origin;
  appServer = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://app").pathname;
    const body =
      path === "/" ? startPage(gatewayOrigin) : path === "/callback" ? callbackPage(gatewayOrigin) : null;
    if (body === null) res.writeHead(404).end();
    else res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(body);
  });
  await new Promise<void>((resolve) => appServer.listen(0, "127.0.0.1", resolve));
  const address = appServer.address();
  appOrigin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  browser = await launched;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await new Promise((resolve) => appServer?.close(resolve));
  await gateway?.stop();
  await db?.drop();
});

interface AppResult {
  step: string;
  error?: string;
  key?: string;
  user_id?: string;
  text?: string;
  generation_id?: string | null;
  completion_id?: string;
  stream_generation_id?: string | null;
  stream_text?: string;
  stream_chunk_ids?: string[];
  stream_done?: boolean;
}

it("a browser app on another origin signs in with PKCE and calls a model with the new key, plain and streamed", async () => {
  expect(new URL(appOrigin).origin).not.toBe(gateway.origin);
  const page = browser.pages()[0] ?? (await browser.newPage());
  const browserLog: string[] = [];
  page.on("console", (message) => browserLog.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => browserLog.push(`pageerror: ${error.message}`));
  /** Requests to the API and the Origin they carried: cross-origin fetches say where they come from. */
  const apiRequests: Request[] = [];
  page.on("request", (request) => {
    if (request.url().startsWith(gateway.baseUrl)) apiRequests.push(request);
  });

  await page.goto(`${appOrigin}/`);
  await page.click("#sign-in");
  await page.waitForURL((url) => url.origin === gateway.origin && url.pathname === "/auth");
  const consent = await page.textContent("h1");
  expect(consent).toContain(appOrigin);
  expect(await page.textContent("dl")).toContain("Browser app");

  await page.fill("#api_key", key);
  await page.click("button[type=submit]");
  await page.waitForURL((url) => url.origin === appOrigin && url.pathname === "/callback");
  await page.waitForSelector("#result[data-finished]", { state: "attached", timeout: 15_000 });
  const result = JSON.parse((await page.textContent("#result")) ?? "{}") as AppResult;
  const why = `app result: ${JSON.stringify(result)}\nbrowser console:\n${browserLog.join("\n")}\ngateway log: ${gateway.logFile}`;

  expect(result.error, why).toBeUndefined();
  expect(result.step, why).toBe("done");
  expect(result.key).toMatch(/^sk-sy-v1-/);
  expect(result.key).not.toBe(key);
  expect(result.user_id).toMatch(/^user_/);

  expect(result.text).toBe("Hello from the openai mock. [plain, from the browser]");
  const GEN_ID = expect.stringMatching(/^gen-\d+-[A-Za-z0-9]+$/);
  // null: the page cannot read the header (not in Access-Control-Expose-Headers).
  expect(result.generation_id, "X-Generation-Id as the page read it").toEqual(GEN_ID);
  expect(result.completion_id).toBe(result.generation_id);

  expect(result.stream_done).toBe(true);
  expect(result.stream_text).toBe("Hello from the openai mock. [streamed, from the browser]");
  expect(result.stream_generation_id, "X-Generation-Id of the stream as the page read it").toEqual(GEN_ID);
  expect(result.stream_generation_id).not.toBe(result.generation_id);
  expect(result.stream_chunk_ids).toEqual([result.stream_generation_id]);

  // Every API call came from the app's origin, as a cross-origin fetch.
  const sent = await Promise.all(
    apiRequests.map(
      async (r) => `${r.method()} ${new URL(r.url()).pathname} from ${(await r.allHeaders()).origin}`,
    ),
  );
  expect(sent).toEqual([
    `POST /api/v1/auth/keys from ${appOrigin}`,
    `POST /api/v1/chat/completions from ${appOrigin}`,
    `POST /api/v1/chat/completions from ${appOrigin}`,
  ]);

  // The new key is on the pasted key's account, named as the app asked.
  const accountOf = async (apiKey: string) => {
    const res = await fetch(`${gateway.baseUrl}/key`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: { workspace_id: string } }).data.workspace_id;
  };
  const account = await accountOf(key);
  expect(await accountOf(result.key!)).toBe(account);
  expect(result.user_id).toBe(`user_${account}`);
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const rows =
      await sql`select account_id, name from api_keys where hash = ${await hashApiKey(result.key!)}`;
    expect(rows).toEqual([{ account_id: account, name: "Browser app" }]);
  } finally {
    await sql.end();
  }
});
