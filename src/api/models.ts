/**
 * The model catalog in OpenRouter's shapes (API.md b11): `/models`, `/models/user`,
 * `/models/count` and `/models/{author}/{slug}/endpoints` (`/model/{author}/{slug}` is
 * model.ts). Everything is read from the in-isolate catalog snapshot, never from Postgres per
 * request, and the per-model views are built once per snapshot; the endpoints' measured health
 * comes from an isolate cache of its own with the same TTL (cache/model-endpoint-stats.ts).
 *
 * A model is listed once for its paid endpoints (`author/slug`) and once more as
 * `author/slug:free` when it has endpoints whose prompt and completion prices are both 0
 * (CONTRACT.md §2). The model-level price is the cheapest endpoint's, as OpenRouter shows it.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { requestScope, requireApiKey } from "../auth/middleware";
import { getModelEndpointStats, type ModelStats } from "../cache/model-endpoint-stats";
import { getCatalog } from "../cache/routing-data";
import type { CatalogSnapshot } from "../catalog/snapshot";
import type { EndpointRow, ModelRow, ProviderRow } from "../db/queries/catalog";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import {
  countModelsQuerySchema,
  type Endpoint,
  type ListModelsQuery,
  listModelsQuerySchema,
  type Model,
  type ModelReasoning,
  type ModelSort,
  modelCountResponseSchema,
  modelEndpointsParamsSchema,
  modelEndpointsResponseSchema,
  modelListResponseSchema,
  type Pricing,
} from "../schema/models";
import { endpointStatsView } from "./endpoint-stats-view";
import { bearerAuth, errorResponses } from "./openapi";

export const FREE_SUFFIX = ":free";

/** "0.000000150000" → "0.00000015", "2.000" → "2": numeric columns come back zero-padded. */
export function trimDecimal(value: string): string {
  return value.includes(".") ? value.replace(/0+$/, "").replace(/\.$/, "") : value;
}

function isFree(e: EndpointRow): boolean {
  return Number(e.pricePrompt) === 0 && Number(e.priceCompletion) === 0;
}

function pricing(e: EndpointRow): Pricing {
  const out: Pricing = {
    prompt: trimDecimal(e.pricePrompt),
    completion: trimDecimal(e.priceCompletion),
    request: trimDecimal(e.priceRequest),
    image: trimDecimal(e.priceImage),
    web_search: "0",
    internal_reasoning: trimDecimal(e.priceInternalReasoning ?? "0"),
  };
  // Omitted rather than "0" when the endpoint has no cache prices: "0" would read as free caching.
  if (e.priceInputCacheRead !== null) out.input_cache_read = trimDecimal(e.priceInputCacheRead);
  if (e.priceInputCacheWrite !== null) out.input_cache_write = trimDecimal(e.priceInputCacheWrite);
  return out;
}

function architecture(m: ModelRow): Model["architecture"] {
  return {
    modality: `${m.inputModalities.join("+")}->${m.outputModalities.join("+")}`,
    input_modalities: m.inputModalities,
    output_modalities: m.outputModalities,
    tokenizer: m.tokenizer,
    instruct_type: m.instructType,
  };
}

/**
 * The catalog's reasoning object (camelCase, as catalog/default.json writes it) in OpenRouter's
 * snake_case; `mandatory` is required by OpenRouter's SDK, so it is false unless the catalog says so.
 */
function reasoningView(r: Record<string, unknown>): ModelReasoning {
  const field = (camel: string, snake: string) => r[camel] ?? r[snake];
  const out: ModelReasoning = { mandatory: field("mandatory", "mandatory") === true };
  const efforts = field("supportedEfforts", "supported_efforts");
  if (Array.isArray(efforts)) out.supported_efforts = efforts.map(String);
  const effort = field("defaultEffort", "default_effort");
  if (typeof effort === "string") out.default_effort = effort;
  const enabled = field("defaultEnabled", "default_enabled");
  if (typeof enabled === "boolean") out.default_enabled = enabled;
  const maxTokens = field("supportsMaxTokens", "supports_max_tokens");
  if (typeof maxTokens === "boolean") out.supports_max_tokens = maxTokens;
  return out;
}

const unixSeconds = (d: Date) => Math.floor(d.getTime() / 1000);
const priceOf = (e: EndpointRow) => Number(e.pricePrompt) + Number(e.priceCompletion);

/** The endpoint a price-based router tries first: healthy before degraded, then cheapest. */
function cheapest(endpoints: readonly EndpointRow[]): EndpointRow {
  return [...endpoints].sort(
    (a, b) =>
      Number(a.status < 0) - Number(b.status < 0) ||
      priceOf(a) - priceOf(b) ||
      a.providerSlug.localeCompare(b.providerSlug),
  )[0]!;
}

function modelView(m: ModelRow, endpoints: readonly EndpointRow[], free: boolean): Model {
  const top = cheapest(endpoints);
  const params = [...new Set(endpoints.flatMap((e) => e.supportedParameters))].sort();
  const id = free ? `${m.id}${FREE_SUFFIX}` : m.id;
  const view: Model = {
    id,
    canonical_slug: m.canonicalSlug,
    name: free ? `${m.name} (free)` : m.name,
    created: unixSeconds(m.releasedAt),
    description: m.description,
    context_length: m.contextLength,
    architecture: architecture(m),
    pricing: pricing(top),
    top_provider: {
      context_length: top.contextLength,
      max_completion_tokens: top.maxCompletionTokens,
      is_moderated: false,
    },
    per_request_limits: null,
    supported_parameters: params,
    default_parameters: m.defaultParameters,
    expiration_date: m.expirationDate,
    supported_voices: null,
    links: { details: `/api/v1/models/${id}/endpoints` },
  };
  if (m.reasoning) view.reasoning = reasoningView(m.reasoning);
  return view;
}

/**
 * A model id as requested (`author/slug` or `author/slug:free`) → its row and the endpoints it
 * names; null for exactly the ids /models does not list.
 */
export function resolveModel(
  snapshot: CatalogSnapshot,
  id: string,
): { model: ModelRow; endpoints: EndpointRow[]; free: boolean } | null {
  const exact = snapshot.models.get(id);
  if (exact) {
    // A model with free endpoints only is listed as `author/slug:free` alone: its plain id is
    // not in /models, so it is not found here either (OpenRouter: `:free` is its own entry).
    const endpoints = (snapshot.endpointsByModel.get(id) ?? []).filter((e) => !isFree(e));
    return endpoints.length ? { model: exact, endpoints, free: false } : null;
  }
  if (!id.endsWith(FREE_SUFFIX)) return null;
  const base = snapshot.models.get(id.slice(0, -FREE_SUFFIX.length));
  if (!base) return null;
  const endpoints = (snapshot.endpointsByModel.get(base.id) ?? []).filter(isFree);
  return endpoints.length ? { model: base, endpoints, free: true } : null;
}

interface Views {
  /** Newest first, as /models lists them. */
  list: Model[];
  byId: ReadonlyMap<string, Model>;
  /** By listed id: the best measured p50 among its endpoints, for the speed sorts. */
  speed: ModelSpeeds;
}

/** The fastest first token (ms) and the most tokens per second any endpoint of a model measured. */
export interface ModelSpeed {
  latency: number | undefined;
  throughput: number | undefined;
}
export type ModelSpeeds = ReadonlyMap<string, ModelSpeed>;

/** What `endpoint_stats` measured of these endpoints (last 30 minutes), or undefined for nothing. */
function speedOf(snapshot: CatalogSnapshot, endpoints: readonly EndpointRow[]): ModelSpeed | undefined {
  let latency: number | undefined;
  let throughput: number | undefined;
  for (const e of endpoints) {
    const m = snapshot.measured.byEndpoint.get(e.id);
    if (m?.latency !== undefined && (latency === undefined || m.latency < latency)) latency = m.latency;
    if (m?.throughput !== undefined && (throughput === undefined || m.throughput > throughput))
      throughput = m.throughput;
  }
  return latency === undefined && throughput === undefined ? undefined : { latency, throughput };
}

const viewsBySnapshot = new WeakMap<CatalogSnapshot, Views>();

function views(snapshot: CatalogSnapshot): Views {
  let built = viewsBySnapshot.get(snapshot);
  if (!built) {
    const list: Model[] = [];
    const speed = new Map<string, ModelSpeed>();
    const add = (m: ModelRow, endpoints: EndpointRow[], free: boolean) => {
      if (endpoints.length === 0) return;
      const view = modelView(m, endpoints, free);
      list.push(view);
      const measured = speedOf(snapshot, endpoints);
      if (measured) speed.set(view.id, measured);
    };
    for (const m of snapshot.models.values()) {
      const all = snapshot.endpointsByModel.get(m.id) ?? [];
      add(
        m,
        all.filter((e) => !isFree(e)),
        false,
      );
      add(m, all.filter(isFree), true);
    }
    list.sort((a, b) => b.created - a.created || a.id.localeCompare(b.id));
    built = { list, byId: new Map(list.map((v) => [v.id, v])), speed };
    viewsBySnapshot.set(snapshot, built);
  }
  return built;
}

/** Every listed model (paid entries and `:free` variants), newest first; built once per snapshot. */
export function modelViews(snapshot: CatalogSnapshot): Model[] {
  return views(snapshot).list;
}

/** The measured speed of each listed model, for `sort=throughput-high-to-low | latency-low-to-high`. */
export function modelSpeeds(snapshot: CatalogSnapshot): ModelSpeeds {
  return views(snapshot).speed;
}

/** The /models entry with exactly this id (`author/slug` or `author/slug:free`), if listed. */
export function listedModel(snapshot: CatalogSnapshot, id: string): Model | undefined {
  return views(snapshot).byId.get(id);
}

const listPrice = (m: Model) => Number(m.pricing.prompt) + Number(m.pricing.completion);

const SORTS: Partial<Record<ModelSort, (a: Model, b: Model) => number>> = {
  "pricing-low-to-high": (a, b) => listPrice(a) - listPrice(b),
  "pricing-high-to-low": (a, b) => listPrice(b) - listPrice(a),
  "context-high-to-low": (a, b) => b.context_length - a.context_length,
  "context-low-to-high": (a, b) => a.context_length - b.context_length,
};

const splitList = (v: string | undefined) =>
  v
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean) ?? [];

/**
 * The speed sorts: by the best measured p50 of a model's endpoints over the last 30 minutes;
 * models with nothing measured follow, in the default order (newest first).
 */
function bySpeed(speeds: ModelSpeeds, key: keyof ModelSpeed, sign: 1 | -1) {
  return (a: Model, b: Model): number => {
    const x = speeds.get(a.id)?.[key];
    const y = speeds.get(b.id)?.[key];
    if (x === undefined || y === undefined) return Number(x === undefined) - Number(y === undefined);
    return sign * (x - y);
  };
}

/**
 * Applies `/models` filters and sort (stable: ties keep the default newest-first order). `speeds`
 * (`modelSpeeds`) serves the throughput and latency sorts; without it those keep the default order.
 */
export function filterModels(
  views: readonly Model[],
  q: Pick<ListModelsQuery, "output_modalities" | "supported_parameters"> & { sort?: ModelSort | undefined },
  speeds?: ModelSpeeds,
): Model[] {
  const outputs = splitList(q.output_modalities ?? "text");
  const params = splitList(q.supported_parameters);
  let out = views.filter(
    (m) =>
      (outputs.includes("all") || m.architecture.output_modalities.some((o) => outputs.includes(o))) &&
      params.every((p) => m.supported_parameters.includes(p)),
  );
  const compare =
    q.sort === "throughput-high-to-low" && speeds
      ? bySpeed(speeds, "throughput", -1)
      : q.sort === "latency-low-to-high" && speeds
        ? bySpeed(speeds, "latency", 1)
        : q.sort
          ? SORTS[q.sort]
          : undefined;
  if (compare) out = [...out].sort(compare);
  return out;
}

/** The catalog snapshot, or a 503 the client may retry when it cannot be read. */
export async function catalog(c: Parameters<typeof requestScope>[0]): Promise<CatalogSnapshot> {
  return getCatalog(requestScope(c)).catch((cause: unknown) => {
    throw new GatewayError(503, "server", "Model catalog unavailable, try again shortly", { cause });
  });
}

/**
 * What `tool_choice` an endpoint takes, from its supported parameters: `tool_choice` listed means
 * every value; `tools` alone means the provider's default, "auto", only.
 */
function toolChoiceSupport(params: readonly string[]): Endpoint["supports_tool_choice"] {
  const all = params.includes("tool_choice");
  return { auto: all || params.includes("tools"), function: all, none: all, required: all };
}

function endpointView(
  m: ModelRow,
  e: EndpointRow,
  provider: ProviderRow | undefined,
  stats: ModelStats,
): Endpoint {
  const providerName = provider?.name ?? e.providerSlug;
  return {
    name: `${providerName} | ${m.id}`,
    model_id: m.id,
    model_name: m.name,
    provider_name: providerName,
    tag: e.providerSlug,
    context_length: e.contextLength,
    max_completion_tokens: e.maxCompletionTokens,
    max_prompt_tokens: e.maxPromptTokens,
    pricing: pricing(e),
    quantization: e.quantization,
    status: e.status,
    supported_parameters: e.supportedParameters,
    supports_implicit_caching: e.supportsImplicitCaching,
    supports_tool_choice: toolChoiceSupport(e.supportedParameters),
    ...endpointStatsView(stats.get(e.providerSlug)),
  };
}

// --- routes -------------------------------------------------------------------------------------

const tags = ["Models"];

const listModelsRoute = createRoute({
  method: "get",
  path: "/models",
  tags,
  summary: "List models (public)",
  security: [],
  request: { query: listModelsQuerySchema },
  responses: {
    200: {
      description: "A page of models",
      content: { "application/json": { schema: modelListResponseSchema } },
    },
    ...errorResponses(400, 503),
  },
});

/**
 * OpenRouter filters this list by the account's provider preferences, privacy settings and
 * guardrails. Accounts here have none of those yet, so every model the catalog lists is one the
 * key may route to, and the list is /models' (same filters, sort and pages) behind a key. The
 * balance does not narrow it (a key out of credits still sees paid models, as on OpenRouter); a
 * management key, which may use no model at all, gets the 403 inference gets.
 */
const listUserModelsRoute = createRoute({
  method: "get",
  path: "/models/user",
  tags,
  summary: "List the models the calling key may use",
  description:
    "With no per-account provider or privacy preferences yet, the same list as GET /models, behind an API key.",
  security: bearerAuth,
  middleware: requireApiKey,
  request: { query: listModelsQuerySchema },
  responses: {
    200: {
      description: "A page of models",
      content: { "application/json": { schema: modelListResponseSchema } },
    },
    ...errorResponses(400, 401, 403, 503),
  },
});

const countModelsRoute = createRoute({
  method: "get",
  path: "/models/count",
  tags,
  summary: "Count models (public)",
  security: [],
  request: { query: countModelsQuerySchema },
  responses: {
    200: { description: "The count", content: { "application/json": { schema: modelCountResponseSchema } } },
    ...errorResponses(400, 503),
  },
});

const modelEndpointsRoute = createRoute({
  method: "get",
  path: "/models/{author}/{slug}/endpoints",
  tags,
  summary: "The providers serving a model, with their prices and limits (public)",
  security: [],
  request: { params: modelEndpointsParamsSchema },
  responses: {
    200: {
      description: "The model and its endpoints",
      content: { "application/json": { schema: modelEndpointsResponseSchema } },
    },
    ...errorResponses(404, 503),
  },
});

/** One page of the filtered list, with the link to the next one (the same query, moved on). */
function modelPage(snapshot: CatalogSnapshot, q: ListModelsQuery, requestUrl: string) {
  const matched = filterModels(modelViews(snapshot), q, modelSpeeds(snapshot));
  const page = matched.slice(q.offset, q.offset + q.limit);
  let next: string | null = null;
  if (q.offset + q.limit < matched.length) {
    const url = new URL(requestUrl);
    url.searchParams.set("offset", String(q.offset + q.limit));
    url.searchParams.set("limit", String(q.limit));
    next = `${url.pathname}${url.search}`;
  }
  return { data: page, total_count: matched.length, links: { next } };
}

export const modelsApi = new OpenAPIHono<AppEnv>()
  .openapi(listModelsRoute, async (c) =>
    c.json(modelPage(await catalog(c), c.req.valid("query"), c.req.url), 200),
  )
  .openapi(listUserModelsRoute, async (c) =>
    c.json(modelPage(await catalog(c), c.req.valid("query"), c.req.url), 200),
  )
  .openapi(countModelsRoute, async (c) => {
    const count = filterModels(modelViews(await catalog(c)), c.req.valid("query")).length;
    return c.json({ data: { count } }, 200);
  })
  .openapi(modelEndpointsRoute, async (c) => {
    const { author, slug } = c.req.valid("param");
    const snapshot = await catalog(c);
    const id = `${author}/${slug}`;
    const found = resolveModel(snapshot, id);
    if (!found) throw new GatewayError(404, "not_found", `Model ${id} not found`, { extra: { model: id } });
    const { model, endpoints, free } = found;
    // Kept per base model and provider: a `:free` listing's endpoints are the base model's free ones.
    const stats = await getModelEndpointStats(requestScope(c), model.id);
    return c.json(
      {
        data: {
          id: free ? `${model.id}${FREE_SUFFIX}` : model.id,
          name: free ? `${model.name} (free)` : model.name,
          created: unixSeconds(model.releasedAt),
          description: model.description,
          architecture: architecture(model),
          endpoints: [...endpoints]
            .sort((a, b) => priceOf(a) - priceOf(b) || a.providerSlug.localeCompare(b.providerSlug))
            .map((e) => endpointView(model, e, snapshot.providers.get(e.providerSlug), stats)),
        },
      },
      200,
    );
  });
