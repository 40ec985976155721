/**
 * Wire shapes of the BYOK credential API (`/api/v1/byok`), as OpenRouter's SDK names them
 * (@openrouter/sdk `BYOKKey`, `CreateBYOKKeyRequest`, `UpdateBYOKKeyRequest`). The raw key is
 * write-only: accepted on create and update, never part of a response.
 */
import { z } from "@hono/zod-openapi";

/** OpenRouter caps each allowlist at 100 entries (API.md b12). */
const allowlist = (what: string) =>
  z
    .array(z.string().trim().min(1).max(256))
    .min(1)
    .max(100)
    .nullable()
    .optional()
    .openapi({ description: `Allowlist of ${what}; null means no restriction` });

const providerKey = z
  .string()
  .trim()
  .min(8, "is too short to be a provider key")
  .max(4096)
  .openapi({ description: "The provider's API key; encrypted at rest and never returned" });

const flags = {
  is_fallback: z.boolean().optional().openapi({ description: "Tried after the shared endpoints" }),
  is_required: z
    .boolean()
    .optional()
    .openapi({ description: "Removes the provider's shared endpoints for the models this key applies to" }),
  is_byok_only: z
    .boolean()
    .optional()
    .openapi({ description: "Removes the provider's shared endpoints for every model" }),
};

const common = {
  name: z.string().trim().max(200).nullable().optional(),
  disabled: z.boolean().optional(),
  allowed_models: allowlist("model ids"),
  allowed_api_key_hashes: allowlist("API key hashes of the account"),
  allowed_user_ids: allowlist("user ids (`user_<account id>`)"),
  declared_zdr: z.boolean().nullable().optional(),
  ...flags,
};

type Flags = {
  is_fallback?: boolean | undefined;
  is_required?: boolean | undefined;
  is_byok_only?: boolean | undefined;
};

/** byok_only and required only make sense on keys tried first (the SDK's documented rule). */
function flagsConsistent(b: Flags): boolean {
  return !(b.is_fallback === true && (b.is_required === true || b.is_byok_only === true));
}
const FLAGS_MESSAGE = "is_required and is_byok_only are only valid on non-fallback credentials";

export const createByokBodySchema = z
  .object({
    provider: z.string().trim().min(1).max(100).openapi({ description: "Provider slug, e.g. `openai`" }),
    key: providerKey,
    workspace_id: z
      .uuid()
      .optional()
      .openapi({ description: "The account (workspace) the key belongs to; default: the caller's own" }),
    ...common,
  })
  .refine(flagsConsistent, { path: ["is_fallback"], message: FLAGS_MESSAGE })
  .openapi("CreateBYOKKeyRequest");
export type CreateByokBody = z.infer<typeof createByokBodySchema>;

export const updateByokBodySchema = z
  .object({ key: providerKey.optional(), ...common })
  .refine((b) => Object.values(b).some((v) => v !== undefined), "nothing to change: give at least one field")
  .openapi("UpdateBYOKKeyRequest");
export type UpdateByokBody = z.infer<typeof updateByokBodySchema>;

export const byokIdParamSchema = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, description: "The credential's id" }),
});

export const listByokQuerySchema = z.object({
  provider: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: "Only this provider's keys" }),
  workspace_id: z
    .uuid()
    .optional()
    .openapi({ description: "The account (workspace); default: the caller's own" }),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .openapi({ type: "integer", minimum: 0, default: 0, description: "Credentials to skip" }),
  limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ description: "Page size (≤ 100)" }),
});

/** A credential as the API shows it: never the key, only its masked `label`. */
export const byokKeySchema = z
  .object({
    id: z.string(),
    provider: z.string(),
    label: z.string().openapi({ description: "Masked snippet of the key, e.g. `sk-...AbCd`" }),
    name: z.string().nullable(),
    is_fallback: z.boolean(),
    is_required: z.boolean(),
    is_byok_only: z.boolean(),
    sort_order: z.number().int(),
    disabled: z.boolean(),
    allowed_models: z.array(z.string()).nullable(),
    allowed_api_key_hashes: z.array(z.string()).nullable(),
    allowed_user_ids: z.array(z.string()).nullable(),
    declared_zdr: z.boolean().nullable(),
    workspace_id: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("BYOKKey");
export type ByokKeyData = z.infer<typeof byokKeySchema>;

export const byokResponseSchema = z.object({ data: byokKeySchema }).openapi("BYOKKeyResponse");
export const byokListResponseSchema = z
  .object({ data: z.array(byokKeySchema), total_count: z.number().int() })
  .openapi("ListBYOKKeysResponse");
export const deleteByokResponseSchema = z
  .object({ deleted: z.literal(true) })
  .openapi("DeleteBYOKKeyResponse");
