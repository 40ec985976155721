/**
 * A tiny row factory for routing tests: catalog rows written by hand, prices in USD per million
 * tokens (as people quote them), so a table reads `{ provider: "groq", prompt: 1, completion: 1 }`.
 */
import { buildSnapshot, type CatalogSnapshot } from "../../../src/catalog/snapshot";
import type { EndpointRow, ModelRow, ProviderRow } from "../../../src/db/queries/catalog";
import type { RecentEndpointStats } from "../../../src/db/queries/endpoint-stats";
import type { ChatRequest } from "../../../src/schema/chat-request";
import { formatDecimal, parseDecimal } from "../../../src/usage/decimal";

const EPOCH = new Date("2025-01-01T00:00:00Z");

/** USD per million tokens → the catalog's USD-per-token decimal string, exactly. */
export function perToken(usdPerMillion: number): string {
  return formatDecimal(parseDecimal(String(usdPerMillion)) / 1_000_000n, 18);
}

export function providerRow(slug: string, overrides: Partial<ProviderRow> = {}): ProviderRow {
  return {
    slug,
    name: slug.charAt(0).toUpperCase() + slug.slice(1),
    adapter: "openai",
    baseUrl: `https://${slug.replace("/", "-")}.example/v1`,
    apiKeyEnv: null,
    config: {},
    dataPolicy: { training: false, retainsPrompts: false },
    privacyPolicyUrl: null,
    termsOfServiceUrl: null,
    statusPageUrl: null,
    headquarters: null,
    createdAt: EPOCH,
    updatedAt: EPOCH,
    ...overrides,
  };
}

export function modelRow(id: string, overrides: Partial<ModelRow> = {}): ModelRow {
  return {
    id,
    canonicalSlug: id,
    name: id,
    releasedAt: EPOCH,
    description: "",
    contextLength: 128_000,
    inputModalities: ["text"],
    outputModalities: ["text"],
    tokenizer: "Other",
    instructType: null,
    reasoning: null,
    defaultParameters: null,
    expirationDate: null,
    createdAt: EPOCH,
    updatedAt: EPOCH,
    ...overrides,
  };
}

/** One endpoint as a test states it: the provider slug, prices per million, and any row field. */
export interface EndpointSpec extends Partial<Omit<EndpointRow, "modelId" | "providerSlug">> {
  provider: string;
  /** USD per million prompt tokens (default 1). */
  prompt?: number;
  /** USD per million completion tokens (default 1). */
  completion?: number;
  /** Its measured health (the endpoint_stats rollup): p50s over 30 minutes, attempts over 5. */
  measured?: Measured;
}

/** p50 latency (ms) and throughput (tokens/s); successes and failures in the last 5 minutes. */
export interface Measured {
  latency?: number;
  throughput?: number;
  successes?: number;
  failures?: number;
  /** The last 5 minutes' percentiles (time to first token in ms; tokens per second). */
  recentLatency?: { p50?: number; p75?: number; p90?: number; p99?: number };
  recentThroughput?: { p50?: number; p75?: number; p90?: number; p99?: number };
  /** Tool calls checked over the last day, and the broken ones (Auto Exacto). */
  toolCalls?: number;
  toolCallErrors?: number;
}

let nextId = 1;

export function endpointRow(modelId: string, spec: EndpointSpec): EndpointRow {
  const { provider, prompt = 1, completion = 1, measured: _, ...rest } = spec;
  return {
    id: nextId++,
    modelId,
    providerSlug: provider,
    providerModelId: `${modelId}@${provider}`,
    contextLength: 128_000,
    maxCompletionTokens: null,
    maxPromptTokens: null,
    pricePrompt: perToken(prompt),
    priceCompletion: perToken(completion),
    priceRequest: "0",
    priceImage: "0",
    priceInputCacheRead: null,
    priceInputCacheWrite: null,
    priceInternalReasoning: null,
    supportedParameters: ["max_tokens", "temperature", "tools", "tool_choice", "response_format"],
    quantization: "unknown",
    status: 0,
    supportsImplicitCaching: false,
    maxMessages: null,
    createdAt: EPOCH,
    updatedAt: EPOCH,
    ...rest,
  };
}

/**
 * A snapshot from `{ modelId: [endpoint specs] }`. Providers are created for every slug used;
 * `providers` overrides some of their fields (data policy, display name).
 */
export function catalogOf(
  models: Record<string, EndpointSpec[]>,
  providers: Record<string, Partial<ProviderRow>> = {},
): CatalogSnapshot {
  const endpoints = Object.entries(models).flatMap(([id, specs]) => specs.map((s) => endpointRow(id, s)));
  const slugs = new Set([...endpoints.map((e) => e.providerSlug), ...Object.keys(providers)]);
  const stats = Object.entries(models).flatMap(([id, specs]) =>
    specs.flatMap((s) => (s.measured ? [statsRow(id, s.provider, s.measured)] : [])),
  );
  return buildSnapshot(
    {
      providers: [...slugs].map((slug) => providerRow(slug, providers[slug])),
      models: Object.keys(models).map((id) => modelRow(id)),
      endpoints,
    },
    stats,
  );
}

/** A row as `readRecentEndpointStats` returns it. */
export function statsRow(modelId: string, provider: string, m: Measured): RecentEndpointStats {
  return {
    model_id: modelId,
    provider_slug: provider,
    successes_5m: m.successes ?? 0,
    failures_5m: m.failures ?? 0,
    tool_calls_1d: m.toolCalls ?? 0,
    tool_call_errors_1d: m.toolCallErrors ?? 0,
    latency_p50: m.latency ?? null,
    throughput_p50: m.throughput ?? null,
    latency_5m_p50: m.recentLatency?.p50 ?? null,
    latency_5m_p75: m.recentLatency?.p75 ?? null,
    latency_5m_p90: m.recentLatency?.p90 ?? null,
    latency_5m_p99: m.recentLatency?.p99 ?? null,
    throughput_5m_p50: m.recentThroughput?.p50 ?? null,
    throughput_5m_p75: m.recentThroughput?.p75 ?? null,
    throughput_5m_p90: m.recentThroughput?.p90 ?? null,
    throughput_5m_p99: m.recentThroughput?.p99 ?? null,
  };
}

/** A request with one user message; everything else as given. */
export function chat(fields: Partial<ChatRequest>): ChatRequest {
  return { messages: [{ role: "user", content: "Hello" }], ...fields };
}
