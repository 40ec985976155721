/**
 * The HTML of the `/auth` page (src/api/auth-page.ts): small, no scripts, no remote assets. Every
 * value from the request goes through `escapeHtml`, in element content and in quoted attributes
 * alike, and the page's CSP forbids scripts anyway.
 */
import { AUTH_CODE_TTL_MINUTES } from "../auth/pkce";
import type { AuthPageParams, CodeRequest } from "../schema/auth";
import { escapeHtml as esc } from "./html";

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:36rem;padding:2rem 1.25rem;color:#1b1f24}
h1{font-size:1.35rem;margin:0 0 1rem}code{font:14px ui-monospace,monospace;background:#f3f4f6;padding:0 .25em;border-radius:3px;word-break:break-all}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:1rem 0}dt{color:#57606a}dd{margin:0;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin:1.25rem 0 .25rem}input[type=password]{box-sizing:border-box;width:100%;font:15px ui-monospace,monospace;padding:.5rem;border:1px solid #8c959f;border-radius:6px}
button{margin-top:1rem;font:inherit;font-weight:600;padding:.5rem 1.25rem;border:0;border-radius:6px;background:#1a7f37;color:#fff;cursor:pointer}
.error{background:#ffebe9;border:1px solid #ff8182;border-radius:6px;padding:.5rem .75rem}.note{color:#57606a;font-size:14px}
.code{display:block;font-size:18px;padding:.75rem;margin:1rem 0;user-select:all}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(title)} · Switchyard</title><style>${STYLE}</style></head>
<body>
${body}
</body></html>`;
}

function errorBox(message: string | undefined): string {
  return message ? `<p class="error" role="alert">${esc(message)}</p>` : "";
}

/** Who is asking, as the user can check it: the callback's origin (punycode for IDN hosts, as URL gives it). */
function requester(callback: URL | null): string {
  if (!callback) return "An application";
  const loopback = callback.protocol === "http:";
  return `<strong>${esc(callback.origin)}</strong>${loopback ? " (an app on this computer)" : ""}`;
}

/** The form's hidden fields: the validated parameters, sent back to be validated again. */
function hiddenFields(params: AuthPageParams): string {
  return Object.entries(params)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`)
    .join("\n");
}

/** The consent page: what will be created, for whom, and the field to approve it with. */
export function renderConsentPage(params: AuthPageParams, request: CodeRequest, error?: string): string {
  const details = [
    ["Key name", `<bdi>${esc(request.keyName)}</bdi>`],
    ...(request.limit === null ? [] : [["Spending limit", `$${esc(request.limit)}`]]),
    [
      "Sent back to",
      request.callback
        ? `<code>${esc(request.callback.toString())}</code>`
        : "nowhere: the code is shown on this page for you to copy into the app",
    ],
  ];
  return page(
    "Authorize an app",
    `<h1>${requester(request.callback)} wants an API key for your Switchyard account</h1>
${errorBox(error)}
<p>Approving creates a <em>new</em> API key on the account of the key you paste below. The app receives
only the new key, never the one you paste; you can disable the new key at any time.</p>
<dl>${details.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join("")}</dl>
<form method="post" action="/auth">
${hiddenFields(params)}
<label for="api_key">One of your Switchyard API keys</label>
<input type="password" id="api_key" name="api_key" required autocomplete="off" autofocus spellcheck="false" placeholder="sk-sy-v1-…">
<button type="submit">Approve</button>
</form>
<p class="note">If you did not start this from an app you trust, close this page: nothing is created until you approve.</p>`,
  );
}

/** The headless result: the code to copy into the app. */
export function renderCodePage(code: string): string {
  return page(
    "App authorized",
    `<h1>Approved</h1>
<p>Copy this code into the app that asked for a key:</p>
<code class="code">${esc(code)}</code>
<p class="note">It works once, within ${AUTH_CODE_TTL_MINUTES} minutes, and only with the app's own code verifier.</p>`,
  );
}

/** A sign-in link that cannot be served: why, and no form. */
export function renderInvalidLinkPage(message: string): string {
  return page(
    "Invalid sign-in link",
    `<h1>This sign-in link is not valid</h1>
${errorBox(message)}
<p class="note">The app that sent you here built a link the gateway cannot accept. Nothing was created.</p>`,
  );
}
