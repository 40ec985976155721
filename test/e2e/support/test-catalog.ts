/**
 * A catalog whose providers are the mock servers (test/mocks), one per wire protocol, with
 * round prices so costs are easy to check: $1 per million prompt tokens, $2 per million completion.
 * The upstream model id picks the mock's scenario (test/mocks/types.ts).
 */

import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { generateApiKey, hashApiKey, keyLabel } from "../../../src/auth/api-key";
import { loadCatalog } from "../../../src/catalog/load";
import { parseCatalog } from "../../../src/catalog/parse";
import type { Catalog } from "../../../src/catalog/schema";
import { insertKey } from "../../../src/db/queries/keys";

export const PROMPT_PRICE = "0.000001";
export const COMPLETION_PRICE = "0.000002";

/** Provider secrets the gateway needs for this catalog (any non-empty values: the mocks check presence only). */
export const MOCK_SECRETS = {
  MOCK_OPENAI_KEY: "sk-mock-openai-0123456789",
  MOCK_ANTHROPIC_KEY: "sk-ant-mock-0123456789",
  MOCK_GOOGLE_KEY: "AIzaMockKey0123456789",
  MOCK_AWS_KEY_ID: "AKIAMOCKKEY000000000",
  MOCK_AWS_SECRET: "mock-secret-access-key",
  MOCK_AZURE_KEY: "mock-azure-key-0123456789",
};

const policy = { training: false, retainsPrompts: false };
const ALL_PARAMS = [
  "tools",
  "tool_choice",
  "response_format",
  "temperature",
  "top_p",
  "max_tokens",
  "stop",
  "seed",
  "reasoning",
];

type Endpoint = Catalog["endpoints"][number];

/** An endpoint row of the test catalog: 128k context, every parameter, the default prices; `extra` overrides. */
export function endpoint(
  model: string,
  provider: string,
  providerModelId: string,
  extra: Partial<Endpoint> = {},
): Endpoint {
  return {
    model,
    provider,
    providerModelId,
    contextLength: 128_000,
    maxCompletionTokens: 8_192,
    pricing: { prompt: PROMPT_PRICE, completion: COMPLETION_PRICE },
    supportedParameters: ALL_PARAMS,
    quantization: "unknown",
    ...extra,
  };
}

/** A text model of the test catalog (128k context unless given). */
export function model(id: string, contextLength = 128_000): Catalog["models"][number] {
  return {
    id,
    name: `Test: ${id}`,
    created: "2026-01-01",
    description: "A model served by a mock provider",
    contextLength,
    inputModalities: ["text", "image"],
    outputModalities: ["text"],
  };
}

export function mockCatalog(mockUrl: string): Catalog {
  const p = (
    slug: string,
    name: string,
    adapter: Catalog["providers"][number]["adapter"],
    path: string,
    extra = {},
  ) => ({
    slug,
    name,
    adapter,
    baseUrl: `${mockUrl}${path}`,
    dataPolicy: policy,
    ...extra,
  });
  return parseCatalog(
    {
      providers: [
        p("mock-openai", "Mock OpenAI", "openai", "/openai/v1", { apiKeyEnv: "MOCK_OPENAI_KEY" }),
        p("mock-openai-b", "Mock OpenAI B", "openai", "/openai/v1", { apiKeyEnv: "MOCK_OPENAI_KEY" }),
        p("mock-anthropic", "Mock Anthropic", "anthropic", "/anthropic", { apiKeyEnv: "MOCK_ANTHROPIC_KEY" }),
        p("mock-google", "Mock Google", "google", "/google/v1beta", { apiKeyEnv: "MOCK_GOOGLE_KEY" }),
        p("mock-bedrock", "Mock Bedrock", "bedrock", "/bedrock", {
          apiKeyEnv: "MOCK_AWS_KEY_ID",
          config: { region: "us-east-1", secretAccessKeyEnv: "MOCK_AWS_SECRET" },
        }),
        p("mock-azure", "Mock Azure", "azure", "/azure", {
          apiKeyEnv: "MOCK_AZURE_KEY",
          config: { apiVersion: "2024-10-21" },
        }),
        p("mock-local", "Mock Local", "openai", "/openai/v1"),
        p("mock-unconfigured", "Mock Unconfigured", "openai", "/openai/v1", {
          apiKeyEnv: "MOCK_MISSING_KEY",
        }),
      ],
      models: [
        model("test/gpt"),
        model("test/claude"),
        model("test/gemini"),
        model("test/nova"),
        model("test/azure"),
        model("test/broken"),
        model("test/flaky"),
        model("test/cut"),
        model("test/drip"),
        model("test/local"),
        model("test/small", 8_192),
        model("test/big"),
        model("test/ctx"),
      ],
      endpoints: [
        endpoint("test/gpt", "mock-openai", "gpt-ok"),
        endpoint("test/claude", "mock-anthropic", "claude-ok"),
        endpoint("test/gemini", "mock-google", "gemini-ok"),
        endpoint("test/nova", "mock-bedrock", "nova-ok"),
        endpoint("test/azure", "mock-azure", "azure-ok"),
        endpoint("test/broken", "mock-openai", "broken-fail-500"),
        endpoint("test/broken", "mock-openai-b", "broken-fail-429"),
        endpoint("test/flaky", "mock-openai", "flaky-fail-500", {
          pricing: { prompt: "0.0000005", completion: "0.000001" },
        }),
        endpoint("test/flaky", "mock-openai-b", "flaky-ok"),
        endpoint("test/flaky", "mock-unconfigured", "flaky-unconfigured"),
        endpoint("test/cut", "mock-openai", "cut-stream"),
        endpoint("test/drip", "mock-openai", "drip-stream"),
        endpoint("test/local", "mock-local", "local-ok", { pricing: { prompt: "0", completion: "0" } }),
        endpoint("test/small", "mock-openai", "small-ok", {
          contextLength: 8_192,
          maxCompletionTokens: 2_048,
        }),
        endpoint("test/big", "mock-openai", "big-ok"),
        endpoint("test/ctx", "mock-openai", "ctx-limit"),
      ],
    },
    "test catalog",
  );
}

/** Loads the mock catalog and creates an account with `credits` and a key; returns the key. */
export async function seed(
  databaseUrl: string,
  mockUrl: string,
  credits = "10",
): Promise<{ key: string; hash: string }> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const db = drizzle(sql);
    await loadCatalog(db, mockCatalog(mockUrl));
    return await createKey(databaseUrl, credits, "e2e");
  } finally {
    await sql.end();
  }
}

/** Prompt and completion both at `usdPerToken`: an endpoint's `extra` for a price of its own. */
export const pricedAt = (usdPerToken: string): Partial<Endpoint> => ({
  pricing: { prompt: usdPerToken, completion: usdPerToken },
});

/**
 * Loads the mock providers with these models and endpoints, for a test that routes among endpoints
 * of its own (outages, measurements, stickiness); the mock catalog's own models too unless
 * `onlyThese`.
 */
export async function loadTestModels(
  databaseUrl: string,
  mockUrl: string,
  added: { models: string[]; endpoints: Endpoint[]; onlyThese?: boolean },
): Promise<void> {
  const base = mockCatalog(mockUrl);
  const catalog = parseCatalog(
    {
      providers: base.providers,
      models: [...(added.onlyThese ? [] : base.models), ...added.models.map((id) => model(id))],
      endpoints: [...(added.onlyThese ? [] : base.endpoints), ...added.endpoints],
    },
    "test models",
  );
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await loadCatalog(drizzle(sql), catalog);
  } finally {
    await sql.end();
  }
}

export async function createKey(
  databaseUrl: string,
  credits: string,
  name: string,
  extra: { limit?: string } = {},
): Promise<{ key: string; hash: string }> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const key = generateApiKey();
    const hash = await hashApiKey(key);
    await insertKey(drizzle(sql), {
      hash,
      label: keyLabel(key),
      name,
      credits,
      limit: extra.limit ?? null,
    });
    return { key, hash };
  } finally {
    await sql.end();
  }
}
