/**
 * One chat request's state between routing and recording: readying each attempt (parameters,
 * middle-out, spend, secrets), stamping the answer, pricing its usage and recording it.
 */
import type { RequestScope } from "../cache/routing-data";
import type { CatalogSnapshot } from "../catalog/snapshot";
import type { KeyRecord } from "../db/queries/keys";
import type { CompressionReport } from "../db/schema";
import type { Bindings } from "../env";
import { GatewayError, type RateLimit } from "../errors";
import type { ProviderCompletion, Target } from "../providers/types";
import { type EndpointHealth, endpointHealth } from "../routing/endpoint-health";
import type { Prepared, Served, ServedStream } from "../routing/execute";
import { dropUnsupportedParameters } from "../routing/parameters";
import { type Attempt, type Plan, parseModelId, requestedModels, type StickySource } from "../routing/plan";
import type { Stamp, StreamOutcome } from "../routing/respond";
import { buildRouterMetadata } from "../routing/router-metadata";
import {
  conversationKey,
  type StickyRoutes,
  sessionIdOf,
  stickyRoutes,
  stickyScope,
} from "../routing/sticky";
import {
  NO_TOOL_CALLS,
  type OfferedTools,
  offeredTools,
  ToolCallFragments,
  tallyToolCalls,
} from "../routing/tool-call-quality";
import type { Usage } from "../schema/chat-completion";
import type { ChatRequest } from "../schema/chat-request";
import type { RouterMetadata, RoutingStrategy } from "../schema/router-metadata";
import { compressionRequested, fitToContext } from "../transforms";
import type { HealingReport } from "../transforms/response-healing";
import { byokFeePrices } from "../usage/byok-fee";
import { endpointPrices, isFree, priceUsage, readsCacheCheaper } from "../usage/cost";
import { formatDecimal, toNumber } from "../usage/decimal";
import { freeTierLimiter } from "../usage/free-tier";
import { inFlightSpend, type Reservation } from "../usage/in-flight";
import type { GenerationRow } from "../usage/record";
import { recordGeneration } from "../usage/sink";
import { applyByokSpend, applySpend, checkSpend } from "../usage/spend";
import { CORS_HEADERS } from "./cors";

export interface ChatRunInit {
  request: ChatRequest;
  key: KeyRecord;
  env: Bindings;
  scope: RequestScope;
  promptTokens: number;
  id: string;
  startedAt: number;
  headers: Headers;
  /** Where sticky routing (b10) is remembered: the isolate's, unless a test gives its own. */
  sticky?: StickyRoutes;
  /** Where endpoint outages (b10) are remembered: the isolate's, unless a test gives its own. */
  health?: EndpointHealth;
}

/** Rough characters per token, for estimating output when a provider reports no usage. */
const CHARS_PER_TOKEN = 4;

/** What the generation record says about who asked: read once, so the request is not kept. */
type Attribution = Pick<
  GenerationRow,
  "requestedModel" | "streamed" | "httpReferer" | "appTitle" | "userAgent" | "externalUser" | "sessionId"
>;

/**
 * Holds neither the request nor its headers: a stream lives for minutes and the prompt can be
 * megabytes. What routing needs of the request is passed to `prepare`, while routing runs.
 */
export class ChatRun implements StickySource {
  readonly id: string;
  private readonly init: Omit<ChatRunInit, "request" | "headers" | "sticky" | "health">;
  private readonly sticky: StickyRoutes;
  private readonly health: EndpointHealth;
  /**
   * The conversation's key (b10), computed during routing and only when stickiness could apply:
   * a short string (an id or a hash), never the prompt. Undefined: this run neither reads nor
   * records sticky routing.
   */
  private conversation: string | undefined;
  private readonly attribution: Attribution;
  /**
   * The request's tools by name (their JSON Schemas, not the prompt), to check the answer's tool
   * calls against once it is settled (Auto Exacto). Undefined without tools: nothing is collected.
   */
  private readonly tools: OfferedTools | undefined;
  private readonly compression = new Map<Attempt, CompressionReport>();
  /** What the attempt being tried holds of the balance, until the run is priced or fails. */
  private reservation: Reservation | undefined;
  /** Priced or recorded as failed: an attempt still starting (the client left mid-routing) holds nothing. */
  private settled = false;
  /**
   * The answer's `openrouter_metadata`, built at the end of its body (with what response healing
   * did to a non-streamed one); set by `reportRouting` only when the client asked for it.
   * Undefined otherwise, so a request without the header builds nothing.
   */
  routerMetadata: ((served: Served, healing?: HealingReport) => RouterMetadata) | undefined;

  constructor({ request, headers, sticky = stickyRoutes, health = endpointHealth, ...init }: ChatRunInit) {
    this.id = init.id;
    this.init = init;
    this.sticky = sticky;
    this.health = health;
    this.tools = offeredTools(request.tools);
    this.attribution = {
      requestedModel: request.model ?? request.models?.[0] ?? "",
      streamed: request.stream === true,
      httpReferer: headers.get("http-referer")?.slice(0, 512) ?? null,
      appTitle: (headers.get("x-openrouter-title") ?? headers.get("x-title"))?.slice(0, 256) ?? null,
      userAgent: headers.get("user-agent")?.slice(0, 512) ?? null,
      externalUser: request.user ?? null,
      sessionId: sessionIdOf(request, headers),
    };
  }

  /**
   * `PlanInput.sticky`: the provider that last served this conversation on `modelId`. The
   * conversation key is computed on the first call, which routing makes only when stickiness
   * could apply; the request is read then and not kept. The run is the source itself, so routing
   * a request allocates no closure for it.
   */
  stickyProvider(modelId: string, request: ChatRequest): string | undefined {
    this.conversation ??= conversationKey(request, this.attribution.sessionId ?? null);
    return this.sticky.get(stickyScope(this.init.key.accountId, modelId, this.conversation), Date.now());
  }

  /** Readies one attempt, or explains why it cannot be tried (without calling the provider). */
  prepare(attempt: Attempt, request: ChatRequest): Prepared | GatewayError {
    const { key, env } = this.init;
    const { endpoint, provider } = attempt;
    let req = dropUnsupportedParameters(
      withVariantReasoning(request, attempt.modelId),
      endpoint.supportedParameters,
    );
    let promptTokens = this.init.promptTokens;
    const maxTokens = maxTokensOf(req);

    if (compressionRequested(request, endpoint.contextLength, attempt.model.outputModalities)) {
      const fit = fitToContext(req, {
        contextLength: endpoint.contextLength,
        maxCompletionTokens: endpoint.maxCompletionTokens,
        maxMessages: endpoint.maxMessages,
      });
      // Even the kept minimum (system, first user message, last turn) does not fit: refuse here
      // rather than let the provider fail on length.
      if (!fit.fits) return contextLengthError(attempt, fit.promptTokens, maxTokens);
      req = fit.request;
      promptTokens = fit.promptTokens;
      if (fit.report) this.compression.set(attempt, fit.report);
    } else if (promptTokens + (maxTokens ?? 0) > endpoint.contextLength) {
      return contextLengthError(attempt, promptTokens, maxTokens);
    }

    // BYOK: the user pays the provider; the gateway holds and charges only its fee (b12).
    const prices = attempt.byok ? byokFeePrices(endpointPrices(endpoint)) : endpointPrices(endpoint);
    const free = isFree(prices);
    if (free) {
      const now = Date.now();
      const limit = freeTierLimiter.take(key.hash, now);
      if (!limit.allowed) return freeTierRefusal(limit, now);
    }
    // A fallback attempt replaces the one before: the run holds one reservation at a time.
    this.releaseReservation();
    const spend = checkSpend(
      key,
      prices,
      free,
      promptTokens,
      maxTokens,
      endpoint.maxCompletionTokens,
      inFlightSpend.held(key.accountId, key.hash),
    );
    if (spend instanceof GatewayError) return spend;
    if (spend.reserve > 0n && !this.settled) {
      this.reservation = inFlightSpend.reserve(key.accountId, key.hash, spend.reserve);
    }
    if (spend.clampMaxTokens !== undefined) req = { ...req, max_tokens: spend.clampMaxTokens };

    const apiKey = attempt.byok
      ? attempt.byok.apiKey
      : provider.apiKeyEnv
        ? secretOf(env, provider.apiKeyEnv)
        : undefined;
    if (provider.apiKeyEnv && !apiKey) {
      return new GatewayError(
        503,
        "provider_unavailable",
        `${provider.name} is not configured on this gateway`,
        {
          provider: provider.name,
          retryable: true,
          // Only an operator can fix this: no point asking clients back within seconds.
          retryAfter: 60,
        },
      );
    }
    const target: Target = {
      provider: {
        slug: provider.slug,
        name: provider.name,
        adapter: provider.adapter as Target["provider"]["adapter"],
        baseUrl: provider.baseUrl,
        config: provider.config,
      },
      endpoint: {
        model: attempt.modelId,
        providerModelId: endpoint.providerModelId,
        contextLength: endpoint.contextLength,
        maxCompletionTokens: endpoint.maxCompletionTokens,
        supportedParameters: endpoint.supportedParameters,
      },
      apiKey,
      secret: (name) => secretOf(env, name),
      byok: attempt.byok !== undefined,
    };
    return { request: req, target };
  }

  /**
   * The client asked for router metadata: keep the plan's attempts (catalog rows, not the
   * request) for the answer's `openrouter_metadata`. A method of the run, so the closure holds
   * the run and the plan, never the request.
   */
  reportRouting(candidates: readonly Attempt[], strategy: RoutingStrategy): void {
    this.routerMetadata = (served, healing) =>
      buildRouterMetadata({
        requested: this.attribution.requestedModel,
        strategy,
        candidates,
        served: served.attempt,
        log: served.log,
        compression: this.compression.get(served.attempt),
        healing,
        generationTimeMs: Date.now() - served.sentAt,
      });
  }

  stamp(attempt: Attempt): Stamp {
    return {
      id: this.id,
      created: Math.floor(this.init.startedAt / 1000),
      model: attempt.modelId,
      provider: attempt.provider.name,
    };
  }

  /** For a committed stream that no provider ended up serving. */
  unservedStamp(): Stamp {
    return {
      id: this.id,
      created: Math.floor(this.init.startedAt / 1000),
      model: this.attribution.requestedModel,
      provider: "",
    };
  }

  responseHeaders(served: Served, serverTiming: string): Record<string, string> {
    const headers: Record<string, string> = {
      ...CORS_HEADERS,
      "x-generation-id": this.id,
      "server-timing": serverTiming,
      "x-switchyard-model": served.attempt.modelId,
      "x-switchyard-provider": served.attempt.provider.slug,
    };
    const report = this.compression.get(served.attempt);
    if (report) {
      headers["x-switchyard-compression"] =
        `middle-out; messages=${report.messagesIn}->${report.messagesOut}; tokens=${report.tokensIn}->${report.tokensOut}; truncated=${report.truncatedMessages}`;
    }
    return headers;
  }

  /** Where a stream of this request collects its tool calls; undefined for a request without tools. */
  toolCallCollector(): ToolCallFragments | undefined {
    return this.tools === undefined ? undefined : new ToolCallFragments();
  }

  /** Prices and records a non-streamed answer; returns the usage the client sees. */
  settle(served: Served, completion: ProviderCompletion): Usage {
    const choice = completion.choices[0];
    const generatedChars = completion.choices.reduce(
      (n, c) =>
        n +
        (c.message.content?.length ?? 0) +
        (c.message.reasoning?.length ?? 0) +
        (c.message.tool_calls?.reduce(
          (m, t) => m + t.function.arguments.length + t.function.name.length,
          0,
        ) ?? 0),
      0,
    );
    return this.finish(
      served,
      {
        usage: completion.usage,
        rawUsage: completion.rawUsage,
        finishReason: choice?.finish_reason ?? null,
        nativeFinishReason: choice?.native_finish_reason ?? null,
        generatedChars,
        upstreamId: completion.upstreamId,
        error: undefined,
        cancelled: false,
        firstContentAt: undefined,
        lastChoiceIndex: 0, // for the stream's in-band error only
        finishedAfterFirst: undefined,
        toolCalls: this.tools === undefined ? undefined : madeToolCalls(completion.choices),
      },
      false,
    );
  }

  settleStream(outcome: StreamOutcome, served: ServedStream | undefined): Usage {
    if (!served) {
      this.recordFailure(outcome.error);
      return emptyUsage();
    }
    return this.finish(served, outcome, true);
  }

  private finish(served: Served, outcome: StreamOutcome, streamed: boolean): Usage {
    const { attempt } = served;
    const generated = Math.ceil(outcome.generatedChars / CHARS_PER_TOKEN);
    const reported = outcome.usage;
    // A stream cut by an error reports its count as of the last usage event (Anthropic's
    // message_start says 1 output token), not what it sent: what was sent is the better count.
    const undercounted =
      outcome.error !== undefined && reported !== undefined && reported.completion_tokens < generated;
    const estimated = reported === undefined || undercounted;
    const usage: Usage =
      reported === undefined
        ? {
            prompt_tokens: this.init.promptTokens,
            completion_tokens: generated,
            total_tokens: this.init.promptTokens + generated,
          }
        : undercounted
          ? { ...reported, completion_tokens: generated, total_tokens: reported.prompt_tokens + generated }
          : reported;
    // A provider that breaks a stream off after its first content (an in-band error, a cut
    // connection) is failing as surely as one that fails before it (b10 outages).
    if (outcome.error?.retryable && !outcome.cancelled) this.health.failed(attempt.endpoint.id, Date.now());
    const listPrices = endpointPrices(attempt.endpoint);
    const byok = attempt.byok !== undefined;
    const prices = byok ? byokFeePrices(listPrices) : listPrices;
    if (
      this.conversation !== undefined &&
      !outcome.error &&
      !outcome.cancelled &&
      readsCacheCheaper(listPrices)
    ) {
      // b10: a success refreshes stickiness; a cache hit, or any success in a session, starts it.
      const starts =
        (usage.prompt_tokens_details?.cached_tokens ?? 0) > 0 || Boolean(this.attribution.sessionId);
      const scope = stickyScope(this.init.key.accountId, attempt.modelId, this.conversation);
      this.sticky.served(scope, attempt.provider.slug, starts, Date.now());
    }
    // Zero-completion insurance (API.md b12): nothing is charged for an error or an empty answer.
    const charged = !outcome.error && usage.completion_tokens > 0;
    const cost = charged ? priceUsage(usage, prices) : { total: 0n, prompt: 0n, completion: 0n };
    // BYOK (b7): what the provider bills the user's key for these tokens, at the list price.
    const upstream = byok ? priceUsage(usage, listPrices) : undefined;
    // The hold becomes the spend in one step, so no request in between sees neither.
    this.endHold();
    if (charged) applySpend(this.init.key, cost.total);
    if (upstream) applyByokSpend(this.init.key, upstream.total);

    const now = Date.now();
    const who = this.attribution;
    // One literal naming every column (no spread, no assign): the row is built at its full size
    // at once, on every request. `satisfies` makes a field added to Attribution a compile error
    // until it is named here too.
    const row = {
      id: this.id,
      createdAt: new Date(this.init.startedAt).toISOString(),
      accountId: this.init.key.accountId,
      keyHash: this.init.key.hash,
      requestedModel: who.requestedModel,
      httpReferer: who.httpReferer,
      appTitle: who.appTitle,
      userAgent: who.userAgent,
      externalUser: who.externalUser,
      sessionId: who.sessionId,
      model: attempt.modelId,
      providerSlug: attempt.provider.slug,
      providerName: attempt.provider.name,
      upstreamId: outcome.upstreamId ?? null,
      streamed,
      cancelled: outcome.cancelled,
      status: outcome.error ? outcome.error.status : 200,
      finishReason: outcome.error ? "error" : outcome.finishReason,
      nativeFinishReason: outcome.nativeFinishReason,
      tokensPrompt: usage.prompt_tokens,
      tokensCompletion: usage.completion_tokens,
      tokensReasoning: usage.completion_tokens_details?.reasoning_tokens ?? 0,
      tokensCached: usage.prompt_tokens_details?.cached_tokens ?? 0,
      tokensCacheWrite: usage.prompt_tokens_details?.cache_write_tokens ?? 0,
      usageEstimated: estimated,
      totalCost: formatDecimal(cost.total),
      isByok: byok,
      upstreamInferenceCost: upstream ? formatDecimal(upstream.total) : null,
      latencyMs: now - this.init.startedAt,
      generationTimeMs: now - served.sentAt,
      timeToFirstTokenMs: (outcome.firstContentAt ?? served.firstByteAt) - this.init.startedAt,
      attempts: served.log,
      compression: this.compression.get(attempt) ?? null,
      rawUsage: outcome.rawUsage ?? null,
      error: outcome.error
        ? { code: outcome.error.status, message: outcome.error.message, type: outcome.error.type }
        : null,
      toolCalls: 0,
      toolCallErrors: 0,
    } satisfies GenerationRow & Record<keyof Attribution, unknown>;
    // A cut or abandoned answer's last call is cut too: only whole answers say how good the calls
    // are. An answer stopped by max_tokens is cut by the client's own limit, not the provider.
    const calls =
      this.tools !== undefined && !outcome.error && !outcome.cancelled && outcome.finishReason !== "length"
        ? outcome.toolCalls?.calls()
        : undefined;
    if (this.tools === undefined || calls === undefined || calls.length === 0)
      recordGeneration(this.init.scope, row);
    else this.recordCheckingToolCalls(row, calls, this.tools);

    return {
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
      total_tokens: usage.total_tokens,
      prompt_tokens_details: {
        cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
        cache_write_tokens: usage.prompt_tokens_details?.cache_write_tokens ?? 0,
        audio_tokens: usage.prompt_tokens_details?.audio_tokens ?? 0,
      },
      completion_tokens_details: {
        reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
        audio_tokens: usage.completion_tokens_details?.audio_tokens ?? 0,
        image_tokens: usage.completion_tokens_details?.image_tokens ?? 0,
      },
      cost: toNumber(cost.total),
      is_byok: byok,
      cost_details: {
        upstream_inference_cost: upstream ? toNumber(upstream.total) : null,
        upstream_inference_prompt_cost: toNumber((upstream ?? cost).prompt),
        upstream_inference_completions_cost: toNumber((upstream ?? cost).completion),
      },
      ...(estimated ? { estimated: true } : {}),
    };
  }

  /** Records a request that no provider served (for analytics and `GET /generation`); charges nothing. */
  recordFailure(error: unknown): void {
    this.endHold();
    const err = error instanceof GatewayError ? error : undefined;
    const now = Date.now();
    const row = this.baseRow(now);
    Object.assign(row, {
      status: err?.status ?? 500,
      finishReason: "error",
      latencyMs: now - this.init.startedAt,
      attempts: err?.meta.attempts ?? [],
      error: err
        ? { code: err.status, message: err.message, type: err.type }
        : { code: 500, message: "error", type: "server" },
    } satisfies Partial<GenerationRow>);
    recordGeneration(this.init.scope, row);
  }

  /** The run is priced or failed: its hold ends, and an attempt that starts after this holds nothing. */
  private endHold(): void {
    this.settled = true;
    this.releaseReservation();
  }

  private releaseReservation(): void {
    if (this.reservation) inFlightSpend.release(this.reservation);
    this.reservation = undefined;
  }

  /**
   * What a client gets when filters left no endpoint: a prompt too long for every window is a 400
   * `context_length_exceeded` naming the model, its context and the request's size; anything
   * else a 404 with OpenRouter's `availability` detail (API.md b9).
   */
  noEndpointsError(plan: Plan, catalog: CatalogSnapshot, request: ChatRequest): GatewayError {
    const reasons = Object.keys(plan.excluded);
    const models = requestedModels(request);
    if (reasons.length === 1 && reasons[0] === "context_length") {
      const widest = largestWindow(plan.excluded.context_length ?? [], catalog);
      if (widest) return contextLengthError(widest, this.init.promptTokens, maxTokensOf(request));
    }
    const webOnly = reasons.length === 1 && reasons[0] === "web_search";
    return new GatewayError(
      404,
      "not_found",
      webOnly
        ? `Web search (the :online variant, or the web plugin) is not available on this gateway: ${models.join(", ")} can be asked without it`
        : `No endpoints found that can serve ${models.join(", ")} with the requested routing preferences${reasons.length ? ` (excluded by ${reasons.join(", ")})` : ""}`,
      {
        availability: {
          code: reasons.length ? "constraint_filtered" : "no_endpoints",
          retryable: false,
          requested_models: models,
          excluded_by: reasons,
        },
      },
    );
  }

  /**
   * Records the row once its tool calls are checked: after the answer went out, in `waitUntil`
   * (the validator is loaded on first use). A check that fails records the row without counts.
   */
  private recordCheckingToolCalls(
    row: GenerationRow,
    calls: ReturnType<ToolCallFragments["calls"]>,
    tools: OfferedTools,
  ): void {
    const { scope } = this.init;
    const work = tallyToolCalls(calls, tools)
      .catch(() => NO_TOOL_CALLS)
      .then((tally) => {
        row.toolCalls = tally.calls;
        row.toolCallErrors = tally.errors;
        recordGeneration(scope, row);
      });
    if (scope.waitUntil) scope.waitUntil(work);
    else work.catch(() => {});
  }

  /** The row's identity and attribution, for `recordFailure` (cold); `finish` names the same fields in its own literal. */
  private baseRow(now: number): GenerationRow {
    return {
      id: this.id,
      createdAt: new Date(this.init.startedAt).toISOString(),
      accountId: this.init.key.accountId,
      keyHash: this.init.key.hash,
      status: 0,
      latencyMs: now - this.init.startedAt,
      ...this.attribution,
    };
  }
}

/**
 * `model:thinking` is the reasoning-enabled variant (API.md b4): reasoning on, at medium effort,
 * unless the request says how to reason itself. An endpoint without reasoning drops it as usual.
 */
function withVariantReasoning(request: ChatRequest, modelId: string): ChatRequest {
  if (
    !modelId.endsWith(":thinking") ||
    request.reasoning !== undefined ||
    request.reasoning_effort !== undefined ||
    request.include_reasoning !== undefined
  )
    return request;
  return { ...request, reasoning: { enabled: true } };
}

function maxTokensOf(req: ChatRequest): number | undefined {
  return req.max_tokens ?? req.max_completion_tokens ?? undefined;
}

/** The widest-window endpoint among `model@provider` exclusions, as an attempt for the error message. */
function largestWindow(entries: readonly string[], catalog: CatalogSnapshot): Attempt | undefined {
  let best: Attempt | undefined;
  for (const entry of entries) {
    const at = entry.lastIndexOf("@");
    const modelId = entry.slice(0, at);
    const model = catalog.models.get(parseModelId(modelId).base);
    const endpoint =
      model && catalog.endpointsByModel.get(model.id)?.find((e) => e.providerSlug === entry.slice(at + 1));
    const provider = endpoint && catalog.providers.get(endpoint.providerSlug);
    if (!model || !endpoint || !provider) continue;
    if (!best || endpoint.contextLength > best.endpoint.contextLength)
      best = { modelId, model, endpoint, provider };
  }
  return best;
}

/** The free tier's 429: when the window has room again, in Retry-After and `X-RateLimit-*`. */
function freeTierRefusal({ limit, remaining, resetAt }: RateLimit, now: number): GatewayError {
  return new GatewayError(
    429,
    "rate_limit_exceeded",
    `Free model rate limit reached (${limit} requests per minute)`,
    {
      retryAfter: Math.max(1, Math.ceil((resetAt - now) / 1000)),
      retryable: false,
      rateLimit: { limit, remaining, resetAt },
    },
  );
}

/** The usage of a stream no provider served: every field a served one has, all zero. */
function emptyUsage(): Usage {
  return {
    prompt_tokens: 0,
    completion_tokens: 0,
    total_tokens: 0,
    prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, image_tokens: 0 },
    cost: 0,
    is_byok: false,
    cost_details: {
      upstream_inference_cost: null,
      upstream_inference_prompt_cost: 0,
      upstream_inference_completions_cost: 0,
    },
  };
}

function secretOf(env: Bindings, name: string): string | undefined {
  const value = env[name];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function contextLengthError(
  attempt: Attempt,
  promptTokens: number,
  maxTokens: number | undefined,
): GatewayError {
  const context = attempt.endpoint.contextLength;
  return new GatewayError(
    400,
    "context_length_exceeded",
    `This endpoint's maximum context length is ${context} tokens. However, you requested about ${promptTokens + (maxTokens ?? 0)} tokens (${promptTokens} of text input${maxTokens ? `, ${maxTokens} in the output` : ""}). Please reduce the length of either one, or use the "middle-out" transform to compress your prompt automatically.`,
    {
      extra: {
        model: attempt.modelId,
        provider_name: attempt.provider.name,
        context_length: context,
        requested_tokens: promptTokens + (maxTokens ?? 0),
      },
    },
  );
}

/** A non-streamed answer's tool calls, every choice's. */
function madeToolCalls(choices: ProviderCompletion["choices"]): ToolCallFragments {
  const fragments = new ToolCallFragments();
  for (const choice of choices) {
    const calls = choice.message.tool_calls;
    // Cut by the client's max_tokens: its last call is cut too, through no fault of the provider.
    if (calls !== undefined && choice.finish_reason !== "length")
      fragments.add(
        choice.index,
        calls.map((call, index) => ({ index, function: call.function })),
      );
  }
  return fragments;
}
