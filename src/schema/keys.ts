/**
 * Wire shapes of the key and account endpoints (`/keys`, `/key`, `/credits`), as OpenRouter
 * names them (API.md b11). Money is a JSON number in USD on the wire and a decimal string in
 * the database; the conversion happens in src/api/keys.ts.
 */
import { z } from "@hono/zod-openapi";

export const LIMIT_RESETS = ["daily", "weekly", "monthly"] as const;
export const limitResetSchema = z.enum(LIMIT_RESETS).nullable().openapi({
  description: "Period after which the limit starts again (UTC days, weeks from Monday, months)",
});

/** A USD amount a client may send: finite, not negative, and small enough for numeric(38,12). */
export const usdAmount = z.number().nonnegative().max(1e12);

export const futureIsoDate = z.iso
  .datetime({ offset: true })
  .refine((v) => Date.parse(v) > Date.now(), "must be in the future");

export const createKeyBodySchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    limit: usdAmount.nullable().optional().openapi({ description: "Spending cap in USD; null for none" }),
    limit_reset: limitResetSchema.optional(),
    include_byok_in_limit: z.boolean().optional(),
    expires_at: futureIsoDate.nullable().optional().openapi({ description: "ISO 8601, in the future" }),
    credits: usdAmount
      .optional()
      .openapi({ description: "Creates the key's own account with this balance (USD)" }),
    accountId: z.uuid().optional().openapi({ description: "Attach the key to this existing account" }),
  })
  .refine((b) => b.credits === undefined || b.accountId === undefined, {
    path: ["accountId"],
    message: "give either credits (a new account) or accountId (an existing one), not both",
  })
  .openapi("CreateKeyRequest");
export type CreateKeyBody = z.infer<typeof createKeyBodySchema>;

export const updateKeyBodySchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    disabled: z.boolean().optional(),
    limit: usdAmount.nullable().optional(),
    limit_reset: limitResetSchema.optional(),
    include_byok_in_limit: z.boolean().optional(),
    expires_at: futureIsoDate.nullable().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), "nothing to change: give at least one field")
  .openapi("UpdateKeyRequest");
export type UpdateKeyBody = z.infer<typeof updateKeyBodySchema>;

export const keyHashParamSchema = z.object({
  hash: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "hash", in: "path" }, description: "The key's SHA-256 hash" }),
});

export const listKeysQuerySchema = z.object({
  // The explicit type: zod-to-openapi would add "null" (a coerced null is 0, which passes min(0)).
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .openapi({ type: "integer", minimum: 0, default: 0, description: "Keys to skip" }),
  limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ description: "Page size (≤ 1000)" }),
  include_disabled: z
    .enum(["true", "false"])
    .default("false")
    .openapi({ description: "Whether disabled keys are listed too" }),
});

/** A key as the management API shows it (never the secret itself). */
export const keyDataSchema = z
  .object({
    hash: z.string(),
    name: z.string(),
    label: z.string(),
    disabled: z.boolean(),
    limit: z.number().nullable(),
    limit_remaining: z.number().nullable(),
    limit_reset: limitResetSchema,
    include_byok_in_limit: z.boolean(),
    usage: z.number(),
    usage_daily: z.number(),
    usage_weekly: z.number(),
    usage_monthly: z.number(),
    byok_usage: z.number().openapi({
      description: "Bring-your-own-key spend at list prices (billed to the user's own provider keys)",
    }),
    byok_usage_daily: z.number(),
    byok_usage_weekly: z.number(),
    byok_usage_monthly: z.number(),
    created_at: z.string(),
    updated_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    account_id: z.string(),
    workspace_id: z.string().openapi({ description: "The key's account: each account is its own workspace" }),
    creator_user_id: z.string().nullable(),
    external_user: z.string().nullable(),
    is_management_key: z.boolean(),
  })
  .openapi("KeyData");
export type KeyData = z.infer<typeof keyDataSchema>;

export const createKeyResponseSchema = z
  .object({
    key: z.string().openapi({ description: "The secret; shown only in this response" }),
    data: keyDataSchema,
  })
  .openapi("CreateKeyResponse");

export const keyResponseSchema = z.object({ data: keyDataSchema }).openapi("KeyResponse");
export const keyListResponseSchema = z.object({ data: z.array(keyDataSchema) }).openapi("KeyListResponse");
export const deleteKeyResponseSchema = z.object({ deleted: z.literal(true) }).openapi("DeleteKeyResponse");

/** `GET /key`: the calling key's own view. */
export const currentKeyResponseSchema = z
  .object({
    data: z.object({
      label: z.string(),
      limit: z.number().nullable(),
      limit_remaining: z.number().nullable(),
      limit_reset: limitResetSchema,
      include_byok_in_limit: z.boolean(),
      usage: z.number(),
      usage_daily: z.number(),
      usage_weekly: z.number(),
      usage_monthly: z.number(),
      byok_usage: z.number(),
      byok_usage_daily: z.number(),
      byok_usage_weekly: z.number(),
      byok_usage_monthly: z.number(),
      is_free_tier: z.boolean(),
      is_management_key: z.boolean(),
      is_provisioning_key: z.boolean(),
      expires_at: z.string().nullable(),
      creator_user_id: z.string().nullable(),
      organization_id: z.string().nullable(),
      workspace_id: z.string().nullable(),
      allowed_data_regions: z
        .array(z.enum(["global", "europe", "us"]))
        .openapi({ description: "Regions requests may be routed in: global only (no regional routing)" }),
      free_model_daily_requests: z
        .object({ limit: z.number().int(), remaining: z.number().int(), used: z.number().int() })
        .openapi({
          description:
            "OpenRouter's daily `:free` allowance for the account's tier (50, or 1000 from $10 of credits). " +
            "Not counted or enforced here (only the 20 per minute is): `used` stays 0",
        }),
      rate_limit: z.object({ requests: z.number(), interval: z.string(), note: z.string() }),
    }),
  })
  .openapi("CurrentKeyResponse");
export type CurrentKeyResponse = z.infer<typeof currentKeyResponseSchema>;

export const creditsResponseSchema = z
  .object({ data: z.object({ total_credits: z.number(), total_usage: z.number() }) })
  .openapi("CreditsResponse");
