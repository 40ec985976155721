/**
 * The `/auth` page of OpenRouter's OAuth PKCE flow (API.md b11, "OAuth PKCE"; CONTRACT.md §4).
 *
 * An app sends the user to `/auth?callback_url=…&code_challenge=…&code_challenge_method=…`. The
 * gateway has no web login (an API key is its only identity), so the user approves by pasting one
 * of their API keys into the page's form. The form posts back here with the parameters as hidden
 * fields, which are validated again. A valid, enabled, unexpired API key makes a code bound to its
 * account (stored as a hash), and the browser is sent to the callback with `?code=…` (303). Without
 * a callback (headless), the code is shown on the page. A wrong key shows the form again (401) and
 * stores nothing. The app then exchanges the code at `POST /api/v1/auth/keys` (src/api/auth-keys.ts).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { hashApiKey } from "../auth/api-key";
import { callbackWithCode, generateAuthCode } from "../auth/pkce";
import { dbTimeoutMs } from "../cache/routing-data";
import { withTimeout } from "../cache/swr";
import { createDb } from "../db/client";
import { describeDbError } from "../db/errors";
import { findKeyRecord, type KeyRecord } from "../db/queries/keys";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { type AuthPageParams, authPageParamsSchema, type CodeRequest, toCodeRequest } from "../schema/auth";
import { storeAuthCode } from "./auth-keys";
import { approvalRoute, consentPageRoute, MAX_FORM_BYTES } from "./auth-page-routes";
import { renderCodePage, renderConsentPage, renderInvalidLinkPage } from "./auth-page-view";
import { describeZodError, errorResponse } from "./error-response";

/** The schema's fields, so the page reads exactly the parameters the OpenAPI document lists. */
const PARAM_NAMES = Object.keys(authPageParamsSchema.shape);

/** Longer than any key of ours: not worth hashing. */
const MAX_PASTED_KEY_LENGTH = 256;

/**
 * No scripts, no framing (clickjacking an approval), no referrer, no caching. No `form-action`:
 * browsers apply it to the redirect that follows the POST, and an `[::1]` callback cannot be
 * named in a CSP source list.
 */
const PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

/** The flow's parameters from a query or a form: strings only, empty ones dropped (a blank field is no field). */
function pickParams(source: Record<string, unknown>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of PARAM_NAMES) {
    const value = source[name];
    if (typeof value === "string" && value !== "") picked[name] = value;
  }
  return picked;
}

type Parsed = { ok: true; params: AuthPageParams; request: CodeRequest } | { ok: false; message: string };

function parseParams(source: Record<string, unknown>): Parsed {
  const result = authPageParamsSchema.safeParse(pickParams(source));
  if (!result.success) return { ok: false, message: describeZodError(result.error) };
  return { ok: true, params: result.data, request: toCodeRequest(result.data) };
}

function html(c: Context, body: string, status: 200 | 400 | 401 | 403 | 413 | 503): Response {
  return c.html(body, status, PAGE_HEADERS);
}

/** Why a pasted key cannot approve, or nothing when it can. */
function refusal(key: KeyRecord): { status: 401 | 403; message: string } | undefined {
  if (key.disabled) return { status: 401, message: "That API key is disabled." };
  if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) {
    return { status: 401, message: "That API key has expired." };
  }
  if (key.isManagement) {
    return {
      status: 403,
      message:
        "That is an admin token. Paste an API key (sk-sy-v1-…) of the account the new key should belong to.",
    };
  }
  return undefined;
}

const authPage = new Hono<AppEnv>()
  .get("/auth", (c) => {
    const parsed = parseParams(c.req.query());
    if (!parsed.ok) return html(c, renderInvalidLinkPage(parsed.message), 400);
    return html(c, renderConsentPage(parsed.params, parsed.request), 200);
  })
  .post(
    "/auth",
    bodyLimit({
      maxSize: MAX_FORM_BYTES,
      onError: (c) => html(c, renderInvalidLinkPage("The form is too large."), 413),
    }),
    async (c) => {
      const form = await c.req.parseBody().catch(() => undefined);
      if (!form) return html(c, renderInvalidLinkPage("The form could not be read."), 400);
      const parsed = parseParams(form);
      if (!parsed.ok) return html(c, renderInvalidLinkPage(parsed.message), 400);
      const { params, request } = parsed;
      const again = (status: 401 | 403 | 503, message: string) =>
        html(c, renderConsentPage(params, request, message), status);

      const pasted = typeof form.api_key === "string" ? form.api_key.trim() : "";
      if (!pasted) return again(401, "Paste one of your Switchyard API keys to approve.");
      const db = createDb(c.env.HYPERDRIVE.connectionString);
      // As the API's routes (database-deadline.ts): an unreachable database must not hang the page.
      const deadline = 4 * dbTimeoutMs(c.env);
      let key: KeyRecord | null = null;
      try {
        // Read fresh, not through the isolate's cache: a key disabled a moment ago must not approve.
        if (pasted.length <= MAX_PASTED_KEY_LENGTH)
          key = await withTimeout(findKeyRecord(db, await hashApiKey(pasted)), deadline, "key lookup");
      } catch (error) {
        console.error(`auth page: key lookup failed: ${describeDbError(error)}`);
        return again(503, "The key store is unavailable. Try again in a moment.");
      }
      if (!key) return again(401, "That is not a valid Switchyard API key.");
      const refused = refusal(key);
      if (refused) return again(refused.status, refused.message);

      const code = generateAuthCode();
      try {
        await withTimeout(storeAuthCode(db, code, key, request), deadline, "storing the code");
      } catch (error) {
        console.error(`auth page: storing the code failed: ${describeDbError(error)}`);
        return again(503, "The approval could not be stored. Try again in a moment.");
      }
      if (!request.callback) return html(c, renderCodePage(code), 200);
      for (const [name, value] of Object.entries(PAGE_HEADERS)) c.header(name, value);
      return c.redirect(callbackWithCode(request.callback, code), 303);
    },
  )
  .all("/auth", (c) =>
    errorResponse(
      c,
      new GatewayError(405, "invalid_request", `Method ${c.req.method} is not allowed here; use GET or POST`),
      { Allow: "GET, POST" },
    ),
  );

/**
 * Serves the page on `app` and lists it in the OpenAPI document (outside /api/v1, so with the
 * server `/`), from the schemas the page validates with.
 */
export function mountAuthPage(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath(consentPageRoute);
  app.openAPIRegistry.registerPath(approvalRoute);
  app.route("/", authPage);
}
