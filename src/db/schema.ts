/**
 * The Postgres schema. Every table is declared once here; row types are inferred
 * (`typeof t.$inferSelect`) and migrations are generated from this file by drizzle-kit.
 *
 * Money is `numeric` (USD) everywhere and handled as decimal strings, never floats.
 */
import { sql } from "drizzle-orm";
import {
  boolean,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/** USD amounts: 38 digits, 12 after the point (prices per token go down to 1e-9 and below). */
const usd = (name: string) => numeric(name, { precision: 38, scale: 12 });
const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

/** A company that serves models, reached through one wire protocol (`adapter`). */
export const providers = pgTable("providers", {
  slug: text("slug").primaryKey(),
  name: text("name").notNull(),
  adapter: text("adapter").notNull(),
  /** Only ever from the catalog, never from a request (no SSRF through the gateway). */
  baseUrl: text("base_url").notNull(),
  /** Name of the Worker secret holding the provider's API key; null for keyless local servers. */
  apiKeyEnv: text("api_key_env"),
  /** Adapter-specific settings (Azure api-version, Bedrock region, …). */
  config: jsonb("config").$type<Record<string, string | number | boolean>>().notNull().default({}),
  /** Whether the provider trains on prompts, retains them, and for how long. */
  dataPolicy: jsonb("data_policy")
    .$type<{ training: boolean; retainsPrompts: boolean; retentionDays?: number | undefined }>()
    .notNull(),
  privacyPolicyUrl: text("privacy_policy_url"),
  termsOfServiceUrl: text("terms_of_service_url"),
  statusPageUrl: text("status_page_url"),
  headquarters: text("headquarters"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** A model as users name it (`author/slug`), independent of who serves it. */
export const models = pgTable(
  "models",
  {
    id: text("id").primaryKey(),
    canonicalSlug: text("canonical_slug").notNull(),
    name: text("name").notNull(),
    /** When the model was released (OpenRouter's `created`, unix seconds on the wire). */
    releasedAt: timestamp("released_at", { withTimezone: true }).notNull(),
    description: text("description").notNull().default(""),
    contextLength: integer("context_length").notNull(),
    inputModalities: text("input_modalities").array().notNull(),
    outputModalities: text("output_modalities").array().notNull(),
    tokenizer: text("tokenizer").notNull().default("Other"),
    instructType: text("instruct_type"),
    /** Reasoning capabilities as /models reports them; null when the model does not reason. */
    reasoning: jsonb("reasoning").$type<Record<string, unknown>>(),
    defaultParameters: jsonb("default_parameters").$type<Record<string, unknown>>(),
    expirationDate: date("expiration_date"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("models_released_at_idx").on(t.releasedAt)],
);

/** One model served by one provider: the unit that routing chooses among. */
export const endpoints = pgTable(
  "endpoints",
  {
    id: serial("id").primaryKey(),
    modelId: text("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    providerSlug: text("provider_slug")
      .notNull()
      .references(() => providers.slug, { onDelete: "cascade" }),
    /** The id the provider's own API expects (`gpt-4o-mini`, `meta-llama/Llama-3.3-70B-Instruct-Turbo`, …). */
    providerModelId: text("provider_model_id").notNull(),
    contextLength: integer("context_length").notNull(),
    maxCompletionTokens: integer("max_completion_tokens"),
    maxPromptTokens: integer("max_prompt_tokens"),
    /** USD per token (per request / per image for those two). */
    pricePrompt: usd("price_prompt").notNull(),
    priceCompletion: usd("price_completion").notNull(),
    priceRequest: usd("price_request").notNull().default("0"),
    priceImage: usd("price_image").notNull().default("0"),
    priceInputCacheRead: usd("price_input_cache_read"),
    priceInputCacheWrite: usd("price_input_cache_write"),
    priceInternalReasoning: usd("price_internal_reasoning"),
    supportedParameters: text("supported_parameters").array().notNull(),
    quantization: text("quantization").notNull().default("unknown"),
    /** OpenRouter's endpoint status: 0 ok, negative values are degraded or down. */
    status: integer("status").notNull().default(0),
    supportsImplicitCaching: boolean("supports_implicit_caching").notNull().default(false),
    /** Messages per request the provider accepts (Anthropic: 1000); null when unlimited. */
    maxMessages: integer("max_messages"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("endpoints_model_provider_uq").on(t.modelId, t.providerSlug),
    index("endpoints_provider_idx").on(t.providerSlug),
  ],
);

/** Who pays. Balance = credits − usage, both monotonic, so settling is a single `usage += cost`. */
export const accounts = pgTable("accounts", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().default(""),
  credits: usd("credits").notNull().default("0"),
  usage: usd("usage").notNull().default("0"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * API keys, stored only as SHA-256 hex of the secret. Management keys manage keys and
 * cannot call models (as OpenRouter's).
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    hash: text("hash").primaryKey(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** A recognisable, non-secret rendering of the key: `sk-sy-v1-abc…xyz`. */
    label: text("label").notNull(),
    isManagement: boolean("is_management").notNull().default(false),
    /** Spending cap in USD for the current `limitReset` period (or for ever); null = no cap. */
    limit: usd("limit"),
    limitReset: text("limit_reset", { enum: ["daily", "weekly", "monthly"] }),
    includeByokInLimit: boolean("include_byok_in_limit").notNull().default(false),
    disabled: boolean("disabled").notNull().default(false),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    /** Lifetime spend through this key. Per-period spend lives in `key_usage_daily`. */
    usage: usd("usage").notNull().default("0"),
    /**
     * Lifetime BYOK spend through this key at the endpoints' list prices (what the user's own
     * provider keys were billed; `/key`'s `byok_usage`). The BYOK fee itself is in `usage`.
     */
    byokUsage: usd("byok_usage").notNull().default("0"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("api_keys_account_idx").on(t.accountId)],
);

/**
 * OAuth PKCE authorization codes (API.md b11, "OAuth PKCE"): approved by one of the account's API
 * keys, exchanged once within 10 minutes for a new key on that account. Stored only as the
 * SHA-256 hex of the code, as keys are. What the new key will be (name, limit, expiry) is fixed
 * when the code is made. Deleting the account or the approving key deletes its pending codes.
 */
export const authCodes = pgTable(
  "auth_codes",
  {
    codeHash: text("code_hash").primaryKey(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** The key that approved the code: it must still be enabled when the code is exchanged. */
    approvedByKeyHash: text("approved_by_key_hash")
      .notNull()
      .references(() => apiKeys.hash, { onDelete: "cascade" }),
    /** Null in the headless mode (the code was shown on the page, not sent to a callback). */
    callbackUrl: text("callback_url"),
    /** PKCE (RFC 7636): null when the app sent no challenge; then the exchange needs no verifier. */
    codeChallenge: text("code_challenge"),
    codeChallengeMethod: text("code_challenge_method", { enum: ["S256", "plain"] }),
    /** The new key's name, limit (USD), limit period and expiry. */
    keyName: text("key_name").notNull(),
    keyLimit: usd("key_limit"),
    keyLimitReset: text("key_limit_reset", { enum: ["daily", "weekly", "monthly"] }),
    keyExpiresAt: timestamp("key_expires_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** Set by the one exchange that wins; a used code is refused afterwards. */
    usedAt: timestamp("used_at", { withTimezone: true }),
    /**
     * Exchanges refused for a wrong verifier or method, counted by the same UPDATE that checks
     * them: at MAX_FAILED_EXCHANGES the code is dead, so a leaked code allows only a few guesses.
     */
    failedAttempts: integer("failed_attempts").notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    index("auth_codes_expires_at_idx").on(t.expiresAt),
    index("auth_codes_approved_by_idx").on(t.approvedByKeyHash),
  ],
);

/**
 * Bring-your-own-key provider credentials (API.md b12, OpenRouter's `/byok`), per account. The
 * provider's key is stored only AES-256-GCM encrypted (src/byok/crypto.ts) under the Worker secret
 * BYOK_ENCRYPTION_KEY: `keyCiphertext` is base64 of IV ‖ ciphertext ‖ tag; `label` is the masked
 * snippet shown instead. `provider` is a catalog provider slug, deliberately without a foreign
 * key: pruning a provider from the catalog must not delete users' keys (routing skips them).
 */
export const byokCredentials = pgTable(
  "byok_credentials",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    keyCiphertext: text("key_ciphertext").notNull(),
    label: text("label").notNull(),
    name: text("name"),
    /** Tried after the shared endpoints instead of before them. */
    isFallback: boolean("is_fallback").notNull().default(false),
    /** The provider's shared endpoints are removed for the models this credential applies to. */
    isRequired: boolean("is_required").notNull().default(false),
    /** The provider's shared endpoints are removed for every model. */
    isByokOnly: boolean("is_byok_only").notNull().default(false),
    /** Order within the provider, ascending. */
    sortOrder: integer("sort_order").notNull().default(0),
    disabled: boolean("disabled").notNull().default(false),
    /** Allowlists; null = no restriction. */
    allowedModels: text("allowed_models").array(),
    allowedApiKeyHashes: text("allowed_api_key_hashes").array(),
    allowedUserIds: text("allowed_user_ids").array(),
    /** The user's own (unverified) zero-data-retention declaration; null inherits the provider's. */
    declaredZdr: boolean("declared_zdr"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("byok_credentials_account_idx").on(t.accountId, t.provider, t.sortOrder)],
);

/** Spend per key per UTC day: daily/weekly/monthly usage and limit resets read ≤ 31 rows. */
export const keyUsageDaily = pgTable(
  "key_usage_daily",
  {
    keyHash: text("key_hash")
      .notNull()
      .references(() => apiKeys.hash, { onDelete: "cascade" }),
    day: date("day").notNull(),
    usage: usd("usage").notNull().default("0"),
    /** BYOK spend that day at list prices (see `api_keys.byok_usage`). */
    byokUsage: usd("byok_usage").notNull().default("0"),
    requests: integer("requests").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.keyHash, t.day] })],
);

/** One attempt at one provider within a generation (OpenRouter's `provider_responses[]`). */
export type GenerationAttempt = {
  provider: string;
  model: string;
  status: number | null;
  errorType?: string | undefined;
  message?: string | undefined;
  latencyMs: number;
  /** Made with the user's own provider key. */
  byok?: boolean | undefined;
};

/** What middle-out did to a request, when it ran. */
export type CompressionReport = {
  engine: "middle-out";
  messagesIn: number;
  messagesOut: number;
  tokensIn: number;
  tokensOut: number;
  truncatedMessages: number;
};

/**
 * One row per chat request, partitioned by month on `created_at` (see migrations/0001_*).
 * At 100 M rows every query must prune partitions: the generation id embeds its creation
 * second (`gen-<unix>-<random>`), so a lookup by id is a lookup by (id, time range).
 */
export const generations = pgTable(
  "generations",
  {
    id: text("id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    accountId: uuid("account_id").notNull(),
    keyHash: text("key_hash").notNull(),
    requestedModel: text("requested_model").notNull(),
    /** The model that served it (null when every attempt failed). */
    model: text("model"),
    providerSlug: text("provider_slug"),
    providerName: text("provider_name"),
    upstreamId: text("upstream_id"),
    streamed: boolean("streamed").notNull(),
    cancelled: boolean("cancelled").notNull().default(false),
    status: integer("status").notNull(),
    finishReason: text("finish_reason"),
    nativeFinishReason: text("native_finish_reason"),
    tokensPrompt: integer("tokens_prompt").notNull().default(0),
    tokensCompletion: integer("tokens_completion").notNull().default(0),
    tokensReasoning: integer("tokens_reasoning").notNull().default(0),
    tokensCached: integer("tokens_cached").notNull().default(0),
    tokensCacheWrite: integer("tokens_cache_write").notNull().default(0),
    /** True when the provider sent no usage and the gateway counted the tokens itself. */
    usageEstimated: boolean("usage_estimated").notNull().default(false),
    totalCost: usd("total_cost").notNull().default("0"),
    /** Served with the user's own provider key: `totalCost` is then the BYOK fee (b12). */
    isByok: boolean("is_byok").notNull().default(false),
    /** What the tokens cost at the endpoint's list price, for BYOK generations (b7); null otherwise. */
    upstreamInferenceCost: usd("upstream_inference_cost"),
    latencyMs: integer("latency_ms"),
    generationTimeMs: integer("generation_time_ms"),
    timeToFirstTokenMs: integer("time_to_first_token_ms"),
    attempts: jsonb("attempts").$type<GenerationAttempt[]>().notNull().default([]),
    compression: jsonb("compression").$type<CompressionReport>(),
    rawUsage: jsonb("raw_usage"),
    error: jsonb("error").$type<{ code: number; message: string; type: string }>(),
    httpReferer: text("http_referer"),
    appTitle: text("app_title"),
    userAgent: text("user_agent"),
    externalUser: text("external_user"),
    sessionId: text("session_id"),
    /**
     * Of a served request that offered tools: the tool calls checked against them, and the broken
     * ones (unknown function, arguments not JSON or not valid by its schema: routing/tool-call-quality.ts).
     */
    toolCalls: integer("tool_calls").notNull().default(0),
    toolCallErrors: integer("tool_call_errors").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.createdAt] }),
    // Activity per key and per account over time; rankings by model over time.
    index("generations_key_time_idx").on(t.keyHash, t.createdAt),
    index("generations_account_time_idx").on(t.accountId, t.createdAt),
    index("generations_model_time_idx").on(t.model, t.createdAt).where(sql`${t.model} is not null`),
  ],
);

/**
 * Per-endpoint health in 5-minute buckets, maintained by a trigger on `generations` (see
 * migrations/0004_*): never written by the Worker. Keyed by provider slug and base model id
 * (the `:variant` stripped), so it names a catalog endpoint whatever its serial id. Buckets older
 * than 2 days are pruned by the same trigger.
 *
 * `latencyMs` and `throughput` are histograms: 64 counts over log-spaced bins, 4 per doubling
 * (bin i holds values in [2^(i/4), 2^((i+1)/4)), bin 0 everything below 2^(1/4), bin 63
 * everything from 2^15.75 up). Null when the bucket has no such sample.
 */
export const endpointStats = pgTable(
  "endpoint_stats",
  {
    modelId: text("model_id").notNull(),
    providerSlug: text("provider_slug").notNull(),
    /** Start of the 5-minute bucket (UTC, aligned to the epoch). */
    bucket: timestamp("bucket", { withTimezone: true }).notNull(),
    /** Attempts the endpoint served. */
    successes: integer("successes").notNull().default(0),
    /** Attempts it failed for availability (≥ 500, 408, 429); a refusal of the request is neither. */
    failures: integer("failures").notNull().default(0),
    /** Time to first token of streamed served attempts, from the attempt's own start (ms). */
    latencyMs: integer("latency_ms").array(),
    /** Completion tokens per second of generation time, of complete served attempts. */
    throughput: integer("throughput").array(),
    /** Tool calls of served attempts checked against the request's tools (migrations/0006_*). */
    toolCalls: integer("tool_calls").notNull().default(0),
    /** Of those, the broken ones. */
    toolCallErrors: integer("tool_call_errors").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.modelId, t.providerSlug, t.bucket] }),
    // Routing reads the last 30 minutes of every endpoint; pruning deletes by age.
    index("endpoint_stats_bucket_idx").on(t.bucket),
    // …and a day of the buckets with tool calls (Auto Exacto): only those, not a day of everything.
    index("endpoint_stats_tool_calls_idx").on(t.bucket).where(sql`${t.toolCalls} > 0`),
  ],
);
