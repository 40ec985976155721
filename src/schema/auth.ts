/**
 * Wire shapes of OpenRouter's OAuth PKCE flow (API.md b11, "OAuth PKCE"): the `/auth` page's
 * parameters, `POST /auth/keys/code` (a code made by API) and `POST /auth/keys` (the exchange).
 * The response shapes are the ones `@openrouter/sdk` parses (`createAuthCode`,
 * `exchangeAuthCodeForAPIKey`).
 */
import { z } from "@hono/zod-openapi";
import {
  CODE_CHALLENGE_METHODS,
  type CodeChallengeMethod,
  checkCallbackUrl,
  defaultKeyName,
  MAX_CALLBACK_URL_LENGTH,
  MAX_FAILED_EXCHANGES,
  normalizeS256Challenge,
  PLAIN_CHALLENGE,
} from "../auth/pkce";
import { futureIsoDate, LIMIT_RESETS, usdAmount } from "./keys";

const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_KEY_LABEL_LENGTH = 200;

const callbackUrl = z.string().max(MAX_CALLBACK_URL_LENGTH).openapi({
  description: "Where the user is sent back with `?code=…`: https, or http on localhost/127.0.0.1/[::1]",
});
const codeChallenge = z.string().max(256).openapi({
  description: "PKCE challenge: base64url(SHA-256(verifier)) for S256, the verifier itself for plain",
});
const codeChallengeMethod = z
  .enum(CODE_CHALLENGE_METHODS)
  .openapi({ description: "How the challenge was made from the verifier; plain when omitted" });
const keyLabel = z
  .string()
  .max(MAX_KEY_LABEL_LENGTH)
  .refine((v) => !/\p{Cc}/u.test(v), "must not contain control characters")
  .openapi({ description: "Name of the key to create; defaults to `OAuth: <callback host>`" });

interface CodeRequestInput {
  callback_url?: string | undefined;
  code_challenge?: string | undefined;
  code_challenge_method?: CodeChallengeMethod | undefined;
}

/** The rules no single field can check: a usable callback, a challenge that fits its method. */
function refineCodeRequest(v: CodeRequestInput, ctx: z.RefinementCtx): void {
  if (v.callback_url !== undefined) {
    const check = checkCallbackUrl(v.callback_url);
    if (!check.ok) ctx.addIssue({ code: "custom", path: ["callback_url"], message: check.reason });
  } else if (v.code_challenge === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["code_challenge"],
      message: "is required without a callback_url (headless sign-in shows the code on the page)",
    });
  }
  if (v.code_challenge === undefined) {
    if (v.code_challenge_method !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["code_challenge_method"],
        message: "is given without a code_challenge",
      });
    }
    return;
  }
  if ((v.code_challenge_method ?? "plain") === "S256") {
    if (!S256_CHALLENGE.test(normalizeS256Challenge(v.code_challenge))) {
      ctx.addIssue({
        code: "custom",
        path: ["code_challenge"],
        message: "an S256 challenge is the 43-character base64url SHA-256 of the code verifier",
      });
    }
  } else if (!PLAIN_CHALLENGE.test(v.code_challenge)) {
    ctx.addIssue({
      code: "custom",
      path: ["code_challenge"],
      message: "a plain challenge is the code verifier: 1 to 256 printable ASCII characters, no spaces",
    });
  }
}

const authPageFields = z.object({
  callback_url: callbackUrl.optional(),
  code_challenge: codeChallenge.optional().openapi({
    description:
      "PKCE challenge: base64url(SHA-256(verifier)) for S256, the verifier itself for plain. " +
      "Required without a callback_url",
  }),
  code_challenge_method: codeChallengeMethod.optional(),
  key_label: keyLabel.optional(),
  limit: z.coerce
    .number()
    .nonnegative()
    .max(1e12)
    .optional()
    // A query value is a string coerced to a number, never null (zod's coerce input says unknown).
    .openapi({
      type: "number",
      description: "Spending cap of the key to create, in USD (`@openrouter/sdk` sends it)",
    }),
});

/**
 * The `/auth` page's query (and, re-validated, its form): OpenRouter's parameters, plus `limit`,
 * which the SDK's `createAuthorizationUrl` adds. Values arrive as strings; empty ones count as absent.
 */
export const authPageParamsSchema = authPageFields.superRefine(refineCodeRequest);
export type AuthPageParams = z.infer<typeof authPageParamsSchema>;

/**
 * The consent page's form as the OpenAPI document shows it: the link's parameters again (hidden
 * fields, validated again by authPageParamsSchema) and the pasted key, which the page reads itself.
 */
export const authApprovalFormSchema = authPageFields
  .extend({
    api_key: z.string().openapi({
      description: "One of the user's API keys (sk-sy-v1-…): the new key is made on its account",
    }),
  })
  .openapi("AuthApprovalForm");

export const createAuthCodeBodySchema = z
  .object({
    callback_url: callbackUrl.openapi({
      description:
        "The app's callback, checked as on the /auth page (https, or http on localhost/127.0.0.1/[::1]). " +
        "Nobody is redirected (the code is in the response); it names the key when key_label is absent",
    }),
    code_challenge: codeChallenge.optional(),
    code_challenge_method: codeChallengeMethod.optional(),
    key_label: keyLabel.optional(),
    limit: usdAmount.optional().openapi({ description: "Spending cap of the key to create, in USD" }),
    usage_limit_type: z
      .enum(LIMIT_RESETS)
      .optional()
      .openapi({ description: "Period after which the limit starts again" }),
    expires_at: futureIsoDate
      .nullable()
      .optional()
      .openapi({ description: "When the key to create expires (ISO 8601 with seconds, in the future)" }),
    workspace_id: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: "Must be the calling key's workspace (its account id) when given" }),
  })
  .superRefine(refineCodeRequest)
  .openapi("CreateAuthCodeRequest");
export type CreateAuthCodeBody = z.infer<typeof createAuthCodeBodySchema>;

export const createAuthCodeResponseSchema = z
  .object({
    data: z.object({
      id: z.string().openapi({ description: "The authorization code, to exchange at POST /auth/keys" }),
      app_id: z.number().int().openapi({ description: "Always 0: the gateway has no app registry" }),
      created_at: z.string().openapi({ format: "date-time", description: "When the code was made" }),
    }),
  })
  .openapi("CreateAuthCodeResponse");

export const exchangeAuthCodeBodySchema = z
  .object({
    code: z.string().min(1).max(256).openapi({ description: "The code the callback received" }),
    code_verifier: z
      .string()
      .max(256)
      .optional()
      .openapi({
        description:
          "Required when the code was made with a code_challenge. A wrong or missing one counts " +
          `against the code: after ${MAX_FAILED_EXCHANGES} the code is dead, even for the right verifier`,
      }),
    code_challenge_method: codeChallengeMethod.nullable().optional().openapi({
      description:
        "When given, must be the method the code was made with; another one counts like a wrong verifier",
    }),
  })
  .openapi("ExchangeAuthCodeRequest");

export const exchangeAuthCodeResponseSchema = z
  .object({
    key: z.string().openapi({ description: "The new API key; shown only in this response" }),
    user_id: z.string().openapi({ description: "A stable id of the account the key belongs to" }),
  })
  .openapi("ExchangeAuthCodeResponse");

/** What a validated request for a code asks for, normalized: the row the code is stored as. */
export interface CodeRequest {
  callback: URL | null;
  challenge: { value: string; method: CodeChallengeMethod } | null;
  keyName: string;
  limit: number | null;
  limitReset: (typeof LIMIT_RESETS)[number] | null;
  keyExpiresAt: Date | null;
}

export function toCodeRequest(
  v: CodeRequestInput & {
    key_label?: string | undefined;
    limit?: number | undefined;
    usage_limit_type?: (typeof LIMIT_RESETS)[number] | undefined;
    expires_at?: string | null | undefined;
  },
): CodeRequest {
  const check = v.callback_url === undefined ? undefined : checkCallbackUrl(v.callback_url);
  if (check && !check.ok) throw new Error(`unvalidated callback_url: ${check.reason}`);
  const callback = check?.url ?? null;
  const method = v.code_challenge_method ?? "plain";
  const label = v.key_label?.trim();
  return {
    callback,
    challenge:
      v.code_challenge === undefined
        ? null
        : {
            method,
            value: method === "S256" ? normalizeS256Challenge(v.code_challenge) : v.code_challenge,
          },
    keyName: label ? label : defaultKeyName(callback ?? undefined),
    limit: v.limit ?? null,
    limitReset: v.usage_limit_type ?? null,
    keyExpiresAt: v.expires_at ? new Date(v.expires_at) : null,
  };
}
