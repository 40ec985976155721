/**
 * The catalog file (CONTRACT.md §2): providers, models and the endpoints joining them, with
 * prices in USD per token as decimal strings. Validated whole before anything is written.
 */
import { z } from "zod";
import { ADAPTER_NAMES } from "../providers/types";

/** Token counts are Postgres `integer`s: larger would pass here and fail the load. */
const tokenCount = z.number().int().positive().max(2_147_483_647);

const slug = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "lowercase letters, digits, '.', '_' or '-'");
const DECIMAL_HINT = 'a non-negative decimal string such as "0.0000015"';
/** A non-negative decimal string such as "0.00000015" (never a float: prices are exact). */
export const decimalString = z
  .string({ error: DECIMAL_HINT })
  .regex(/^\d+(\.\d+)?$/, { error: DECIMAL_HINT, abort: true })
  // The price columns are numeric(38, 12): more digits would be rounded on write and the
  // loader would then see a "change" on every load.
  .regex(/^\d+(\.\d{1,12})?$/, "at most 12 digits after the decimal point")
  .regex(/^\d{1,26}(\.|$)/, "at most 26 digits before the decimal point");
const httpUrl = z.url({ protocol: /^https?$/ });

export const catalogProviderSchema = z.strictObject({
  slug,
  name: z.string().min(1),
  adapter: z.enum(ADAPTER_NAMES),
  baseUrl: httpUrl,
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, "an environment variable name such as OPENAI_API_KEY")
    .optional(),
  config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  dataPolicy: z.strictObject({
    training: z.boolean(),
    retainsPrompts: z.boolean(),
    retentionDays: z.number().int().nonnegative().optional(),
  }),
  privacyPolicyUrl: httpUrl.optional(),
  termsOfServiceUrl: httpUrl.optional(),
  statusPageUrl: httpUrl.optional(),
  headquarters: z.string().length(2).optional(),
});

const modality = z.enum(["text", "image", "audio", "video", "file"]);

export const catalogModelSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._:-]*$/, "author/slug in lowercase"),
  name: z.string().min(1),
  created: z.iso.date(),
  description: z.string().default(""),
  contextLength: tokenCount,
  inputModalities: z.array(modality).min(1),
  outputModalities: z.array(modality).min(1),
  tokenizer: z.string().optional(),
  instructType: z.string().optional(),
  reasoning: z
    .strictObject({
      supportedEfforts: z
        .array(z.enum(["max", "xhigh", "high", "medium", "low", "minimal", "none"]))
        .optional(),
      defaultEffort: z.string().optional(),
      defaultEnabled: z.boolean().optional(),
      supportsMaxTokens: z.boolean().optional(),
      mandatory: z.boolean().optional(),
    })
    .optional(),
  expirationDate: z.iso.date().optional(),
});

export const catalogEndpointSchema = z.strictObject({
  model: z.string(),
  provider: z.string(),
  providerModelId: z.string().min(1),
  contextLength: tokenCount,
  maxCompletionTokens: tokenCount.optional(),
  maxPromptTokens: tokenCount.optional(),
  pricing: z.strictObject({
    prompt: decimalString,
    completion: decimalString,
    request: decimalString.optional(),
    image: decimalString.optional(),
    inputCacheRead: decimalString.optional(),
    inputCacheWrite: decimalString.optional(),
    internalReasoning: decimalString.optional(),
  }),
  supportedParameters: z.array(z.string()),
  quantization: z
    .enum(["int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8", "fp16", "bf16", "fp32", "unknown"])
    .default("unknown"),
  status: z.number().int().max(0).optional(),
  supportsImplicitCaching: z.boolean().optional(),
  maxMessages: tokenCount.optional(),
});

export const catalogSchema = z
  .strictObject({
    $schema: z.string().optional(),
    providers: z.array(catalogProviderSchema),
    models: z.array(catalogModelSchema),
    endpoints: z.array(catalogEndpointSchema),
  })
  .superRefine((cat, ctx) => {
    const providerSlugs = new Set<string>();
    cat.providers.forEach((p, i) => {
      if (providerSlugs.has(p.slug)) {
        ctx.addIssue({
          code: "custom",
          path: ["providers", i, "slug"],
          message: `duplicate provider "${p.slug}"`,
        });
      }
      providerSlugs.add(p.slug);
    });
    const modelIds = new Set<string>();
    cat.models.forEach((m, i) => {
      if (modelIds.has(m.id))
        ctx.addIssue({ code: "custom", path: ["models", i, "id"], message: `duplicate model "${m.id}"` });
      modelIds.add(m.id);
    });
    const pairs = new Set<string>();
    cat.endpoints.forEach((e, i) => {
      if (!modelIds.has(e.model)) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "model"],
          message: `unknown model "${e.model}"`,
        });
      }
      if (!providerSlugs.has(e.provider)) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "provider"],
          message: `unknown provider "${e.provider}"`,
        });
      }
      const pair = `${e.model}@${e.provider}`;
      if (pairs.has(pair)) {
        ctx.addIssue({ code: "custom", path: ["endpoints", i], message: `duplicate endpoint ${pair}` });
      }
      pairs.add(pair);
    });
  });

export type Catalog = z.infer<typeof catalogSchema>;
export type CatalogProvider = z.infer<typeof catalogProviderSchema>;
export type CatalogModel = z.infer<typeof catalogModelSchema>;
export type CatalogEndpoint = z.infer<typeof catalogEndpointSchema>;
