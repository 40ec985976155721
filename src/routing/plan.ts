/**
 * The routing plan: from a request and the catalog, the ordered list of (model, endpoint)
 * attempts the gateway will try (API.md b3, b4, b10). Pure and deterministic given `random`,
 * so it is tested table-style; execution (I/O, fallback) is `execute.ts`.
 */
import type { ByokCredential } from "../byok/credential";
import type { EndpointMeasure, MeasuredStats } from "../catalog/measured";
import type { CatalogSnapshot } from "../catalog/snapshot";
import type { EndpointRow, ModelRow, ProviderRow } from "../db/queries/catalog";
import { GatewayError } from "../errors";
import { type ChatRequest, type ProviderPreferences, requestedParameters } from "../schema/chat-request";
import { endpointPrices, readsCacheCheaper } from "../usage/cost";
import { type Fixed, fromNumber } from "../usage/decimal";

export const VARIANTS = ["free", "floor", "nitro", "online", "thinking", "extended", "exacto"] as const;
export type Variant = (typeof VARIANTS)[number];

export interface Attempt {
  /** The model id as the response reports it, variant included (`meta-llama/llama-3.3-70b-instruct:free`). */
  modelId: string;
  model: ModelRow;
  endpoint: EndpointRow;
  provider: ProviderRow;
  /** Set on attempts made with the user's own provider key (routing/byok.ts); absent on shared ones. */
  byok?: ByokCredential | undefined;
}

/** Why endpoints were left out, in OpenRouter's `excluded_by` vocabulary. */
export type Exclusion =
  | "allowed_providers"
  | "quantization"
  | "max_price"
  | "data_policy:training"
  | "data_policy:zdr"
  | "require_parameters"
  | "max_tokens"
  | "context_length"
  | "free_variant"
  | "web_search";

export interface PlanInput {
  request: ChatRequest;
  catalog: CatalogSnapshot;
  /** Estimated prompt tokens (for context-length filtering). */
  promptTokens: number;
  /** Whether middle-out may shrink the prompt to fit on such an endpoint of `model` (b5.2). */
  compression: (endpointContext: number, model: ModelRow) => boolean;
  random?: () => number;
  /**
   * Sticky routing (b10): the provider slug that last served this conversation on `modelId`, if
   * any. Asked only for a model with an endpoint in the plan whose cache reads are cheaper than its
   * input, and never with `provider.order`, so other requests never compute a conversation key.
   */
  sticky?: StickySource;
  /**
   * Endpoints whose latest attempt failed in the last 30 s (b10): they go behind the healthy
   * ones, as a degraded catalog status does. Absent in tests that do not exercise it.
   */
  health?: HealthSource;
  now?: number;
}

/** Where routing asks whether an endpoint is in an outage: the isolate's `EndpointHealth`. */
export interface HealthSource {
  failing(endpointId: number, now: number): boolean;
}

/** Where routing asks for a conversation's sticky provider: the request's `ChatRun`. */
export interface StickySource {
  stickyProvider(modelId: string, request: ChatRequest): string | undefined;
}

export interface Plan {
  attempts: Attempt[];
  /** Endpoints filtered out, per reason, for the error a client sees when nothing is left. */
  excluded: Partial<Record<Exclusion, string[]>>;
}

/** Splits `author/slug:variant`; an unknown suffix is part of the id (and then an unknown model). */
export function parseModelId(id: string): { base: string; variant: Variant | undefined } {
  const colon = id.lastIndexOf(":");
  if (colon > 0) {
    const suffix = id.slice(colon + 1);
    if ((VARIANTS as readonly string[]).includes(suffix))
      return { base: id.slice(0, colon), variant: suffix as Variant };
  }
  return { base: id, variant: undefined };
}

/** `model` first, then `models[]`, without repeats (API.md b4). */
export function requestedModels(req: ChatRequest): string[] {
  const list = [...(req.model ? [req.model] : []), ...(req.models ?? [])];
  return [...new Set(list)];
}

const PER_MILLION = 1_000_000;

interface Candidate {
  endpoint: EndpointRow;
  provider: ProviderRow;
  promptPrice: Fixed;
  completionPrice: Fixed;
  /** Whether the whole request (prompt + max_tokens) fits its window, without compression. */
  fits: boolean;
  /**
   * Whether it goes first, by health and the client's preferences, whatever the order: GOOD;
   * SLOW, below the request's `preferred_max_latency` / `preferred_min_throughput` (b3: moved to
   * the end, not excluded); DOWN, degraded in the catalog (negative status), failing right now in
   * this isolate, or with poor measured uptime across the gateway: last.
   */
  standing: Standing;
  /**
   * With `sort: "latency" | "throughput" | "exacto"`: the endpoint's measure, as a rank where lower
   * is better (p50 latency in ms; p50 throughput negated; tool-call error rate). Undefined when
   * unmeasured, or when not sorting by it.
   */
  rank: number | undefined;
}

const GOOD = 0;
const SLOW = 1;
const DOWN = 2;
type Standing = typeof GOOD | typeof SLOW | typeof DOWN;

/**
 * Below the client's soft preferences (b3), over the last 5 minutes: a latency percentile above
 * `preferred_max_latency` (seconds; a bare number is the p50) or a throughput percentile below
 * `preferred_min_throughput` (tokens per second). An unmeasured endpoint is not held back.
 */
function belowPreference(measure: EndpointMeasure | undefined, prefs: ProviderPreferences): boolean {
  if (measure === undefined) return false;
  const maxLatency = prefs.preferred_max_latency;
  if (maxLatency !== undefined) {
    const limits = typeof maxLatency === "number" ? { p50: maxLatency } : maxLatency;
    for (const p of PERCENTILES) {
      const limit = limits[p];
      const measured = measure.recentLatency[p];
      if (limit !== undefined && measured !== undefined && measured > limit * 1000) return true;
    }
  }
  const minThroughput = prefs.preferred_min_throughput;
  if (minThroughput !== undefined) {
    const limits = typeof minThroughput === "number" ? { p50: minThroughput } : minThroughput;
    for (const p of PERCENTILES) {
      const limit = limits[p];
      const measured = measure.recentThroughput[p];
      if (limit !== undefined && measured !== undefined && measured < limit) return true;
    }
  }
  return false;
}

const PERCENTILES = ["p50", "p75", "p90", "p99"] as const;

/** The sorts that order by a measurement (API.md b3), rather than by price. */
type MeasuredSort = "latency" | "throughput" | "exacto";

function measuredSort(by: string | undefined): MeasuredSort | undefined {
  return by === "latency" || by === "throughput" || by === "exacto" ? by : undefined;
}

function sortSpec(
  prefs: ProviderPreferences | undefined,
  variant: Variant | undefined,
  route: ChatRequest["route"],
) {
  const sort = prefs?.sort;
  let by = typeof sort === "string" ? sort : sort?.by;
  let partition = typeof sort === "object" ? (sort.partition ?? "model") : "model";
  if (!by && variant === "floor") by = "price";
  if (!by && variant === "nitro") by = "throughput";
  // b4: `:exacto` is the quality-first sort, `sort: "exacto"` by another name.
  if (!by && variant === "exacto") by = "exacto";
  if (route === "sort") partition = "none";
  return { by, partition };
}

/** A provider slug matches itself and its variants (`deepinfra` matches `deepinfra/turbo`). */
function slugMatches(list: readonly string[], slug: string, name: string): boolean {
  return list.some((entry) => {
    const e = entry.toLowerCase();
    return e === slug || slug.startsWith(`${e}/`) || e === name.toLowerCase();
  });
}

/** Parameters that steer routing among a model's endpoints even without `require_parameters` (b3). */
const SOFT_CAPABILITIES = ["tools", "response_format", "verbosity"] as const;

/** What an endpoint's window must hold: the prompt and the completion the client asked for. */
function neededTokens(req: ChatRequest, input: PlanInput): number {
  return input.promptTokens + (req.max_tokens ?? req.max_completion_tokens ?? 0);
}

function webSearchRequested(req: ChatRequest): boolean {
  return req.plugins?.some((p) => p.id === "web" && p.enabled !== false) ?? false;
}

/** The hard filters of b3/b4 for one model; context (b5.2) is decided over the whole plan. */
function filterEndpoints(
  req: ChatRequest,
  model: ModelRow,
  variant: Variant | undefined,
  by: string | undefined,
  input: PlanInput,
  excluded: Plan["excluded"],
): Candidate[] {
  const prefs = req.provider;
  const exclude = (reason: Exclusion, c: Candidate) => excludeAs(excluded, reason, model, c);
  const needed = neededTokens(req, input);
  const { health } = input;
  const { byEndpoint, unreliable } = input.catalog.measured;
  const sortBy = measuredSort(by);
  // Asked of the measurements only when the client states a preference.
  const preferences =
    prefs !== undefined &&
    (prefs.preferred_max_latency !== undefined || prefs.preferred_min_throughput !== undefined)
      ? prefs
      : undefined;
  const now = input.now ?? Date.now();
  let candidates: Candidate[] = [];
  for (const endpoint of input.catalog.endpointsByModel.get(model.id) ?? []) {
    const provider = input.catalog.providers.get(endpoint.providerSlug);
    if (!provider) continue;
    candidates.push({
      endpoint,
      provider,
      promptPrice: endpointPrices(endpoint).prompt,
      completionPrice: endpointPrices(endpoint).completion,
      fits: needed <= endpoint.contextLength,
      standing:
        endpoint.status < 0 ||
        (unreliable.size !== 0 && unreliable.has(endpoint.id)) ||
        health?.failing(endpoint.id, now) === true
          ? DOWN
          : preferences !== undefined && belowPreference(byEndpoint.get(endpoint.id), preferences)
            ? SLOW
            : GOOD,
      rank: sortBy === undefined ? undefined : rankOf(byEndpoint.get(endpoint.id), sortBy),
    });
  }

  // Web search (`:online`, or the `web` plugin) is OpenRouter's own service in front of the
  // model; no endpoint here offers it, and an answer without the search would pass for one.
  if (variant === "online" || webSearchRequested(req)) {
    for (const c of candidates) exclude("web_search", c);
    return [];
  }

  // `:free` serves only zero-priced endpoints; the plain id prefers paid ones (free tiers are rate limited).
  const isFreeEndpoint = (c: Candidate) => c.promptPrice === 0n && c.completionPrice === 0n;
  if (variant === "free") {
    for (const c of candidates) if (!isFreeEndpoint(c)) exclude("free_variant", c);
    candidates = candidates.filter(isFreeEndpoint);
  } else if (candidates.some((c) => !isFreeEndpoint(c))) {
    candidates = candidates.filter((c) => !isFreeEndpoint(c));
  }

  const keep = (reason: Exclusion, ok: (c: Candidate) => boolean) => {
    candidates = candidates.filter((c) => {
      if (ok(c)) return true;
      exclude(reason, c);
      return false;
    });
  };

  if (prefs?.only?.length)
    keep("allowed_providers", (c) => slugMatches(prefs.only!, c.provider.slug, c.provider.name));
  if (prefs?.ignore?.length)
    keep("allowed_providers", (c) => !slugMatches(prefs.ignore!, c.provider.slug, c.provider.name));
  if (prefs?.quantizations?.length) {
    const allowed = prefs.quantizations as readonly string[];
    keep("quantization", (c) => allowed.includes(c.endpoint.quantization));
  }
  const maxPrice = prefs?.max_price;
  if (maxPrice) {
    const perToken = (usdPerMillion: number) => fromNumber(usdPerMillion / PER_MILLION);
    if (maxPrice.prompt !== undefined) {
      const cap = perToken(maxPrice.prompt);
      keep("max_price", (c) => c.promptPrice <= cap);
    }
    if (maxPrice.completion !== undefined) {
      const cap = perToken(maxPrice.completion);
      keep("max_price", (c) => c.completionPrice <= cap);
    }
    if (maxPrice.request !== undefined) {
      const cap = fromNumber(maxPrice.request);
      keep("max_price", (c) => endpointPrices(c.endpoint).request <= cap);
    }
  }
  // b3: "deny" keeps only providers that neither train on nor store prompts.
  if (prefs?.data_collection === "deny") {
    keep(
      "data_policy:training",
      (c) => !c.provider.dataPolicy.training && !c.provider.dataPolicy.retainsPrompts,
    );
  }
  if (prefs?.zdr) keep("data_policy:zdr", (c) => !c.provider.dataPolicy.retainsPrompts);

  const wanted = requestedParameters(req);
  if (prefs?.require_parameters) {
    keep("require_parameters", (c) => wanted.every((p) => c.endpoint.supportedParameters.includes(p)));
  }

  const maxTokens = req.max_tokens ?? req.max_completion_tokens ?? undefined;
  if (maxTokens !== undefined) {
    keep(
      "max_tokens",
      (c) => c.endpoint.maxCompletionTokens === null || maxTokens <= c.endpoint.maxCompletionTokens,
    );
  }

  return candidates;
}

/** Exclusions are recorded as `model@provider`, per reason. */
function excludeAs(excluded: Plan["excluded"], reason: Exclusion, model: ModelRow, c: Candidate) {
  const list = excluded[reason] ?? [];
  list.push(`${model.id}@${c.provider.slug}`);
  excluded[reason] = list;
}

/**
 * b5.2 over the whole plan (every requested model): endpoints whose window holds the request
 * stay; of the rest, only compressible ones whose window holds at least half of it. If no
 * endpoint does either, only the single largest compressible window remains. A cheaper small
 * window must not win over one that fits, or the conversation is cut for nothing.
 */
function selectByContext(
  groups: { model: ModelRow; candidates: Candidate[] }[],
  input: PlanInput,
  needed: number,
) {
  const all = groups.flatMap((g) => g.candidates);
  const modelOf = new Map(groups.flatMap((g) => g.candidates.map((c) => [c, g.model] as const)));
  const compressible = (c: Candidate) => {
    const model = modelOf.get(c);
    return !c.fits && model !== undefined && input.compression(c.endpoint.contextLength, model);
  };
  const qualifies = (c: Candidate) => c.fits || (compressible(c) && c.endpoint.contextLength * 2 >= needed);
  let usable: (c: Candidate) => boolean = qualifies;
  if (!all.some(qualifies)) {
    const largest = all
      .filter(compressible)
      .reduce<Candidate | undefined>(
        (best, c) => (!best || c.endpoint.contextLength > best.endpoint.contextLength ? c : best),
        undefined,
      );
    usable = (c) => c === largest;
  }
  return usable;
}

/**
 * Soft capability filter (b3): prefer endpoints that can do tools / structured output /
 * verbosity, but never empty a model because of it — unsupported parameters are then dropped.
 * It runs after the hard filters and the context selection, or it could keep only capable
 * endpoints that a later filter then removes. The names are the catalog's `supportedParameters`
 * (OpenRouter's).
 */
function preferCapable(req: ChatRequest, candidates: Candidate[]): Candidate[] {
  if (req.provider?.require_parameters) return candidates;
  const wanted = requestedParameters(req);
  for (const capability of SOFT_CAPABILITIES) {
    if (!wanted.includes(capability)) continue;
    const capable = candidates.filter((c) => c.endpoint.supportedParameters.includes(capability));
    if (capable.length > 0) candidates = capable;
  }
  return candidates;
}

const price = (c: Candidate) => c.promptPrice + c.completionPrice;

function byPrice(a: Candidate, b: Candidate): number {
  const d = price(a) - price(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Endpoints below the client's preferences go after the rest, degraded and failing ones last. */
function healthy(a: Candidate, b: Candidate): number {
  return a.standing - b.standing;
}

/** Lower is better: fastest to the first token, most tokens per second, fewest broken tool calls. */
function rankOf(measure: EndpointMeasure | undefined, by: MeasuredSort): number | undefined {
  if (measure === undefined) return undefined;
  switch (by) {
    case "latency":
      return measure.latency;
    case "throughput":
      return measure.throughput === undefined ? undefined : -measure.throughput;
    case "exacto":
      return measure.toolCallErrorRate;
  }
}

/**
 * Auto Exacto's bar (API.md b4): an endpoint is markedly worse at tool calls when its error rate
 * is at least TOOL_CALL_LAGGARD_FACTOR times the best measured one among the model's candidates
 * AND at least TOOL_CALL_LAGGARD_MARGIN above it. The ratio alone would demote 2 % against 1 %
 * (noise, and a cheap endpoint lost for nothing); the margin alone would demote 65 % against 60 %
 * (both bad, the cheaper one is as good a bet). Both rates rest on TOOL_CALL_MIN_SAMPLES calls
 * at least (catalog/measured.ts), so one broken call (5 points at 20) cannot clear the margin alone.
 */
export const TOOL_CALL_LAGGARD_FACTOR = 2;
export const TOOL_CALL_LAGGARD_MARGIN = 0.05;

/**
 * Auto Exacto (API.md b4), for a request with tools and neither `sort` nor `order`: endpoints
 * markedly worse at tool calls than the best measured one go SLOW, behind the others, so the
 * price-weighted draw runs among the rest; they stay as fallbacks. Unmeasured endpoints are not
 * held back. The best is taken among endpoints not DOWN: an endpoint in an outage sets no bar.
 */
function demoteToolCallLaggards(candidates: Candidate[], measured: MeasuredStats): void {
  if (measured.byEndpoint.size === 0) return;
  let best: number | undefined;
  for (const c of candidates) {
    const rate = measured.byEndpoint.get(c.endpoint.id)?.toolCallErrorRate;
    if (c.standing !== DOWN && rate !== undefined && (best === undefined || rate < best)) best = rate;
  }
  if (best === undefined) return;
  for (const c of candidates) {
    const rate = measured.byEndpoint.get(c.endpoint.id)?.toolCallErrorRate;
    if (
      c.standing === GOOD &&
      rate !== undefined &&
      rate >= TOOL_CALL_LAGGARD_FACTOR * best &&
      rate - best >= TOOL_CALL_LAGGARD_MARGIN
    )
      c.standing = SLOW;
  }
}

/** Measured endpoints by their rank; the unmeasured after them (in price order, by the next key). */
function byMeasurement(a: Candidate, b: Candidate): number {
  if (a.rank === undefined || b.rank === undefined)
    return Number(a.rank === undefined) - Number(b.rank === undefined);
  return a.rank - b.rank;
}

/**
 * `sort` (b3): healthy first; then by the measured p50 for latency and throughput, or the tool-call
 * error rate for exacto (all ranks are undefined for price, or when nothing is measured: then it is
 * price order, deterministic); then price.
 */
function sortedOrder(a: Candidate, b: Candidate): number {
  return healthy(a, b) || byMeasurement(a, b) || byPrice(a, b);
}

/**
 * Default order (b10): one endpoint drawn with probability ∝ 1/price² among those in the best
 * standing there is (the healthy ones meeting the client's preferences, if any), then the rest by
 * standing and price. Free endpoints weigh as if they cost a micro-dollar per million tokens.
 */
function priceWeighted(candidates: Candidate[], random: () => number): Candidate[] {
  const sorted = [...candidates].sort(byPrice).sort(healthy);
  const best = sorted[0]?.standing;
  const pool = sorted.filter((c) => c.standing === best);
  if (pool.length <= 1) return sorted;
  const weights = pool.map((c) => {
    const p = Math.max(Number(price(c)) / 1e18, 1e-12);
    return 1 / (p * p);
  });
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  let chosen = pool[pool.length - 1]!;
  for (let i = 0; i < pool.length; i++) {
    r -= weights[i]!;
    if (r <= 0) {
      chosen = pool[i]!;
      break;
    }
  }
  return [chosen, ...sorted.filter((c) => c !== chosen)];
}

/**
 * Sticky routing (b10): the conversation's provider goes first, the rest keep their order as its
 * fallbacks. Only an endpoint the filters kept, and one in the best standing there is (a degraded,
 * failing or too slow endpoint goes behind, whatever the order); `sorted` is this call's own array.
 */
function stickyFirst(sorted: Candidate[], sticky: string): Candidate[] {
  const best = sorted[0]?.standing;
  const i = sorted.findIndex((c) => c.provider.slug === sticky && c.standing === best);
  if (i > 0) sorted.unshift(...sorted.splice(i, 1));
  return sorted;
}

function orderCandidates(
  candidates: Candidate[],
  prefs: ProviderPreferences | undefined,
  by: string | undefined,
  random: () => number,
  sticky: string | undefined,
): Candidate[] {
  const order = prefs?.order;
  if (order?.length) {
    const rank = (c: Candidate) => {
      const i = order.findIndex((o) => slugMatches([o], c.provider.slug, c.provider.name));
      return i === -1 ? Number.POSITIVE_INFINITY : i;
    };
    const ordered = candidates
      .filter((c) => rank(c) !== Number.POSITIVE_INFINITY)
      .sort((a, b) => rank(a) - rank(b));
    if (prefs?.allow_fallbacks === false) return ordered;
    const rest = candidates
      .filter((c) => !ordered.includes(c))
      .sort(byPrice)
      .sort(healthy);
    return [...ordered, ...rest];
  }
  let sorted = by ? [...candidates].sort(sortedOrder) : priceWeighted(candidates, random);
  if (sticky !== undefined) sorted = stickyFirst(sorted, sticky);
  return prefs?.allow_fallbacks === false ? sorted.slice(0, 1) : sorted;
}

/** Endpoints that hold the whole request go before those that would have to compress it (b5.2). */
function fitsFirst(a: Candidate, b: Candidate): number {
  return Number(!a.fits) - Number(!b.fits);
}

/**
 * `orderCandidates` within each class, the endpoints that fit first: a window that holds the
 * request is never passed over for a cheaper one that must cut it. The client's own `order` is
 * theirs to keep, and when every endpoint fits (nearly every request) there is one class. With
 * `allow_fallbacks: false` and no `order`, still a single attempt.
 */
function orderFitsFirst(
  candidates: Candidate[],
  prefs: ProviderPreferences | undefined,
  by: string | undefined,
  random: () => number,
  sticky: string | undefined,
): Candidate[] {
  if (prefs?.order?.length || candidates.every((c) => c.fits))
    return orderCandidates(candidates, prefs, by, random, sticky);
  // A sticky endpoint that would have to cut the prompt stays behind those that hold it: cutting
  // the conversation loses the cached prefix anyway.
  const fitting = candidates.filter((c) => c.fits);
  const compressing = candidates.filter((c) => !c.fits);
  const ordered = [
    ...orderCandidates(fitting, prefs, by, random, sticky),
    ...orderCandidates(compressing, prefs, by, random, sticky),
  ];
  return prefs?.allow_fallbacks === false && !prefs.order?.length ? ordered.slice(0, 1) : ordered;
}

/**
 * Resolves the requested models and orders their endpoints. Throws a 400 naming an unknown
 * model; returns an empty plan (with exclusions) when filters left nothing.
 */
export function planRoute(input: PlanInput): Plan {
  const { request: req, catalog } = input;
  const random = input.random ?? Math.random;
  const excluded: Plan["excluded"] = {};
  const groups: {
    modelId: string;
    model: ModelRow;
    candidates: Candidate[];
    by: string | undefined;
    partition: string;
  }[] = [];
  for (const requested of requestedModels(req)) {
    const { base, variant } = parseModelId(requested);
    const model = catalog.models.get(base);
    if (!model) {
      throw new GatewayError(400, "invalid_request", `${requested} is not a valid model ID`, {
        availability: { code: "model_not_found", retryable: false, requested_models: [requested] },
      });
    }
    const { by, partition } = sortSpec(req.provider, variant, req.route);
    groups.push({
      modelId: requested,
      model,
      candidates: filterEndpoints(req, model, variant, by, input, excluded),
      by,
      partition,
    });
  }
  const usable = selectByContext(groups, input, neededTokens(req, input));
  for (const g of groups) {
    g.candidates = g.candidates.filter((c) => {
      if (usable(c)) return true;
      excludeAs(excluded, "context_length", g.model, c);
      return false;
    });
    g.candidates = preferCapable(req, g.candidates);
    // Auto Exacto (b4): on by default with tools; any explicit sort (price included) or order opts out.
    if (req.tools !== undefined && req.tools.length > 0 && g.by === undefined && !req.provider?.order?.length)
      demoteToolCallLaggards(g.candidates, catalog.measured);
  }

  const toAttempts = (g: (typeof groups)[number], list: Candidate[]): Attempt[] =>
    list.map((c) => ({ modelId: g.modelId, model: g.model, endpoint: c.endpoint, provider: c.provider }));

  if (groups.some((g) => g.partition === "none") && groups.length > 1) {
    // partition "none": every model's endpoints compete in one sorted list.
    const all = groups.flatMap((g) => g.candidates.map((c) => ({ g, c })));
    all.sort((a, b) => fitsFirst(a.c, b.c) || sortedOrder(a.c, b.c));
    return { attempts: all.map(({ g, c }) => toAttempts(g, [c])[0]!), excluded };
  }
  const attempts = groups.flatMap((g) =>
    toAttempts(g, orderFitsFirst(g.candidates, req.provider, g.by, random, stickyProvider(input, g))),
  );
  return { attempts, excluded };
}

/**
 * The sticky provider of one model's endpoints, asked of `input.sticky` only when stickiness could
 * apply (b10): no `provider.order`, and an endpoint whose cache reads are cheaper than its input
 * (only those are ever remembered). Otherwise a request pays one price lookup per endpoint, and
 * nothing with `order`. With `partition: "none"` (models sorted together) it is not asked.
 */
function stickyProvider(
  input: PlanInput,
  group: { modelId: string; candidates: Candidate[] },
): string | undefined {
  if (input.sticky === undefined || input.request.provider?.order?.length) return undefined;
  const candidates = group.candidates;
  for (let i = 0; i < candidates.length; i++) {
    if (readsCacheCheaper(endpointPrices(candidates[i]!.endpoint)))
      return input.sticky.stickyProvider(group.modelId, input.request);
  }
  return undefined;
}
