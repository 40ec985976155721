/**
 * The `/auth` page (src/api/auth-page.ts) as the OpenAPI document lists it. The page answers a
 * browser in HTML, so it validates by hand (an invalid link is a readable page, not a JSON 400):
 * these declarations are registered for the document only, from the same schemas the page
 * validates with, and no validator middleware comes with them.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { AUTH_CODE_TTL_MINUTES } from "../auth/pkce";
import { authApprovalFormSchema, authPageParamsSchema } from "../schema/auth";

const tags = ["OAuth"];

/** The form carries a few short fields; anything bigger is not ours. */
export const MAX_FORM_BYTES = 16 * 1024;

const htmlPage = (description: string) => ({
  description,
  content: { "text/html": { schema: z.string().openapi({ description: "An HTML page" }) } },
});

export const consentPageRoute = createRoute({
  method: "get",
  path: "/auth",
  tags,
  summary: "The sign-in page an app sends its user to (OAuth PKCE)",
  description:
    "An HTML page for a browser, not JSON. It names the app (the callback's origin) and the key it " +
    "would get, and asks the user to approve by pasting one of their API keys into a form that " +
    "posts to `POST /auth`. The user is then sent to `callback_url` with `?code=…` (without a " +
    "callback, the page shows the code), and the app exchanges the code at " +
    `\`POST /api/v1/auth/keys\` within ${AUTH_CODE_TTL_MINUTES} minutes. Empty parameters count as absent.`,
  security: [],
  request: { query: authPageParamsSchema },
  responses: {
    200: htmlPage("The consent page, with its form"),
    400: htmlPage(
      "The link is invalid (callback_url, code_challenge or its method): a page saying why, no form",
    ),
  },
});

export const approvalRoute = createRoute({
  method: "post",
  path: "/auth",
  tags,
  summary: "Approve a sign-in with an API key (the consent page's form)",
  description:
    "What the consent page's form sends: the link's parameters again, validated again, and the " +
    "pasted `api_key`. An enabled, unexpired API key makes a single-use code for its account, " +
    "stored only as a hash. A refused key shows the form again with the reason and stores nothing.",
  security: [],
  request: {
    body: {
      required: true,
      content: { "application/x-www-form-urlencoded": { schema: authApprovalFormSchema } },
    },
  },
  responses: {
    303: {
      description: "Approved: the browser goes to `callback_url` with `code` added to its query",
      headers: z.object({
        Location: z.string().openapi({ description: "callback_url with `code=…` in its query" }),
      }),
    },
    200: htmlPage("Approved without a callback_url (headless): a page showing the code to copy"),
    400: htmlPage("The parameters are invalid or the form cannot be read: a page saying why, no form"),
    401: htmlPage("No key, or an unknown, disabled or expired one: the form again, with the reason"),
    403: htmlPage("An admin token, which has no account to make the key on: the form again"),
    413: htmlPage(`The form is larger than ${MAX_FORM_BYTES / 1024} KiB`),
    503: htmlPage("The key store is unavailable: the form again, to retry"),
  },
});
