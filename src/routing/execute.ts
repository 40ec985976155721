/**
 * Execution: a flat loop over the plan's attempts (no recursion). Falls back to the next provider
 * on 408, 409, 429, 5xx, network errors and a missing first byte within the per-attempt timeout;
 * any other 4xx (and a context-length error) skips to the next model, and is returned to the
 * client when there is none. Retry-After is honoured before the next try of the same provider.
 * All I/O is injected.
 */

import type { GenerationAttempt } from "../db/schema";
import { GatewayError } from "../errors";
import type {
  AdapterName,
  ProviderAdapter,
  ProviderChunk,
  ProviderCompletion,
  Target,
} from "../providers/types";
import type { ChatRequest } from "../schema/chat-request";
import { type ChunkSource, chunkSource } from "./chunk-source";
import type { Attempt } from "./plan";
import type { UpstreamEchoes } from "./upstream-echo";

/** Longest Retry-After we wait out before re-trying a provider; longer ones skip it. */
const MAX_RETRY_AFTER_WAIT_MS = 10_000;
/** Error bodies are read up to this many bytes. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface Prepared {
  request: ChatRequest;
  target: Target;
}

export interface ExecuteDeps {
  fetch: typeof fetch;
  adapterFor(name: AdapterName): ProviderAdapter;
  /**
   * Readies one attempt: drops unsupported parameters, fits the prompt (middle-out), checks
   * spend, resolves secrets. A GatewayError skips the attempt without calling the provider.
   */
  prepare(attempt: Attempt): Prepared | GatewayError;
  firstByteTimeoutMs: number;
  /** Aborted when the client goes away. */
  signal?: AbortSignal | undefined;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /**
   * Set when a streamed request asked for `debug.echo_upstream_body`: each attempt's body is
   * recorded here as it is sent. Streams only; `executeCompletion` ignores it.
   */
  echoes?: UpstreamEchoes | undefined;
  /** Told each attempt's outcome, for outage-aware routing (b10; `endpoint-health.ts`). */
  health?: HealthSink | undefined;
}

/** What execution reports about endpoints: the isolate's `EndpointHealth`. */
export interface HealthSink {
  succeeded(endpointId: number): void;
  failed(endpointId: number, now: number): void;
}

/**
 * What was served. Not the prepared request: a stream lives for seconds to minutes, and the
 * request as sent (a copy when parameters were dropped, a rebuilt message list after middle-out)
 * would stay alive with it for nothing.
 */
export interface Served {
  attempt: Attempt;
  /** Every attempt made, the served one last. */
  log: GenerationAttempt[];
  /** When the served attempt's request was sent, and when its first byte/content arrived. */
  sentAt: number;
  firstByteAt: number;
}

export interface ServedCompletion extends Served {
  completion: ProviderCompletion;
}

export interface ServedStream extends Served {
  /** Chunks read while making sure the stream really started (up to the first content). */
  head: ProviderChunk[];
  /** The rest of the stream, batch by batch. */
  rest: ChunkSource;
  /** Stops the upstream request (client disconnected). */
  abort(): void;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: GatewayError };

/** The client went away before any provider answered: nothing to send, nothing to charge. */
export class ClientGone extends GatewayError {
  constructor() {
    super(499, "timeout", "The client closed the request", { retryable: false });
  }
}

/** Reads at most `limit` bytes of an error body as text. */
async function readBounded(res: Response, limit: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  while (bytes < limit) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel().catch(() => {});
  return text;
}

function hasContent(chunk: ProviderChunk): boolean {
  return chunk.choices.some(
    (c) =>
      c.finish_reason !== null ||
      !!c.delta.content ||
      !!c.delta.reasoning ||
      !!c.delta.refusal ||
      (c.delta.tool_calls?.length ?? 0) > 0 ||
      (c.delta.reasoning_details?.length ?? 0) > 0,
  );
}

function asGatewayError(error: unknown, target: Target, what: string): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError(502, "provider_unavailable", `${what} from ${target.provider.name} failed`, {
    provider: target.provider.name,
    retryable: true,
    cause: error,
  });
}

/**
 * Whose Retry-After an attempt waits for: the provider's, or with BYOK the user's key's — a
 * rate limit on one user's key does not hold back the shared key, nor the other way round.
 */
function retryScope(attempt: Attempt): string {
  return attempt.byok ? `${attempt.provider.slug}#${attempt.byok.id}` : attempt.provider.slug;
}

/**
 * An availability failure (5xx, 408, 429, unreachable, cut short) says the endpoint is failing;
 * a refusal of this request (any other 4xx) says nothing about it. Nor does a BYOK attempt's
 * refused key or rate limit: those are one user's key's, not the endpoint's (b10 outages).
 */
function saysEndpointFailing(attempt: Attempt, error: GatewayError): boolean {
  if (!error.retryable) return false;
  return !(attempt.byok && (error.meta.userKeyRefused || error.status === 429));
}

/** The shared loop; `run` performs one attempt and may throw or return an error outcome. */
async function loop<T>(
  attempts: readonly Attempt[],
  deps: ExecuteDeps,
  /** One attempt; `controller` is the attempt's own (aborted when the client goes away). */
  run: (
    attempt: Attempt,
    prepared: Prepared,
    adapter: ProviderAdapter,
    controller: AbortController,
  ) => Promise<Outcome<T>>,
): Promise<T & Served> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log: GenerationAttempt[] = [];
  const failures: GatewayError[] = [];
  const skipModels = new Set<string>();
  const retryAt = new Map<string, number>();
  let skipped: GatewayError | undefined;

  for (const attempt of attempts) {
    if (deps.signal?.aborted) throw new ClientGone();
    if (skipModels.has(attempt.modelId)) continue;
    const prepared = deps.prepare(attempt);
    if (prepared instanceof GatewayError) {
      skipped ??= prepared;
      if (prepared.type === "context_length_exceeded") skipped = prepared;
      continue;
    }
    const wait = (retryAt.get(retryScope(attempt)) ?? 0) - now();
    if (wait > MAX_RETRY_AFTER_WAIT_MS) continue;
    if (wait > 0) await sleep(wait);

    const adapter = deps.adapterFor(prepared.target.provider.adapter);
    const controller = new AbortController();
    const onClientAbort = () => controller.abort();
    deps.signal?.addEventListener("abort", onClientAbort);
    const started = now();
    let outcome: Outcome<T>;
    try {
      outcome = await run(attempt, prepared, adapter, controller);
    } catch (error) {
      controller.abort();
      if (deps.signal?.aborted) throw new ClientGone();
      outcome = { ok: false, error: asGatewayError(error, prepared.target, "The request") };
    } finally {
      deps.signal?.removeEventListener("abort", onClientAbort);
    }
    const entry: GenerationAttempt = {
      provider: attempt.provider.slug,
      model: attempt.modelId,
      status: outcome.ok ? 200 : outcome.error.status,
      latencyMs: now() - started,
    };
    if (attempt.byok) entry.byok = true;
    if (outcome.ok) {
      deps.health?.succeeded(attempt.endpoint.id);
      log.push(entry);
      return { ...outcome.value, attempt, log, sentAt: started, firstByteAt: now() };
    }
    const error = outcome.error;
    if (saysEndpointFailing(attempt, error)) deps.health?.failed(attempt.endpoint.id, now());
    log.push({ ...entry, errorType: error.type, message: error.message });
    failures.push(error);
    if (error.meta.retryAfter !== undefined)
      retryAt.set(retryScope(attempt), now() + error.meta.retryAfter * 1000);
    // A refusal of the request itself (a 4xx, a context too long) would come again from this
    // model's other providers, so they are skipped; the next model of `models` may take it
    // (API.md b4: the `models` fallback triggers on any error). With one model, it is the answer.
    if (!error.retryable || error.type === "context_length_exceeded") skipModels.add(attempt.modelId);
  }

  const last = failures.at(-1);
  if (last) throw withPreviousErrors(last, log);
  throw skipped ?? new GatewayError(503, "provider_unavailable", "No provider could serve the request");
}

/**
 * The final error (the last entry of `log`), carrying every attempt for the generation record
 * (`meta.attempts`, the failing one included) and every earlier one for the client as
 * `metadata.previous_errors` (API.md b9).
 */
function withPreviousErrors(error: GatewayError, log: GenerationAttempt[]): GatewayError {
  const previous = log.slice(0, -1).map((a) => ({
    provider: a.provider,
    model: a.model,
    code: a.status,
    error_type: a.errorType,
    message: a.message,
  }));
  return new GatewayError(error.status, error.type, error.message, {
    ...error.meta,
    attempts: log,
    extra: previous.length ? { ...error.meta.extra, previous_errors: previous } : error.meta.extra,
  });
}

/**
 * Runs one attempt under its first-byte timeout: the provider must answer within `ms`, and until
 * the attempt is served (a stream's first content) each thing it sends that translates to a chunk
 * — headers, a role chunk, an empty delta — buys it another `ms` (a keep-alive that translates to
 * nothing, such as Anthropic's `ping`, does not). A provider that is alive but slow to its first
 * token keeps its attempt; one that stalls falls back. On expiry
 * the attempt is aborted and the race rejects with a retryable 408 naming the provider. One timer
 * per attempt, re-armed only when it fires early: `touch` is a clock read.
 */
function withFirstByteTimeout<T>(
  run: (touch: () => void) => Promise<T>,
  ms: number,
  target: Target,
  abort: () => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = Date.now();
  const touch = () => {
    last = Date.now();
  };
  const expired = new Promise<never>((_, reject) => {
    const check = () => {
      const quiet = Date.now() - last;
      if (quiet < ms) {
        timer = setTimeout(check, ms - quiet);
        return;
      }
      abort();
      reject(
        new GatewayError(408, "timeout", "The provider did not start answering in time", {
          provider: target.provider.name,
          retryable: true,
        }),
      );
    };
    timer = setTimeout(check, ms);
  });
  return Promise.race([run(touch), expired]).finally(() => clearTimeout(timer));
}

/** Sends one attempt's request; a 2xx is the response, anything else the provider's error. */
async function send(
  prepared: Prepared,
  adapter: ProviderAdapter,
  fetch: typeof globalThis.fetch,
  signal: AbortSignal,
  stream: boolean,
  echoes?: UpstreamEchoes,
): Promise<Outcome<Response>> {
  const upstream = await adapter.toProviderRequest(prepared.request, prepared.target, { stream });
  if (echoes) echoes.record(upstream.body, prepared.target);
  const res = await fetch(upstream.url, {
    method: "POST",
    headers: upstream.headers,
    body: upstream.body,
    signal,
  }).catch((error: unknown) => {
    throw new GatewayError(502, "provider_unavailable", `Could not reach ${prepared.target.provider.name}`, {
      provider: prepared.target.provider.name,
      retryable: true,
      cause: error,
    });
  });
  if (res.ok) return { ok: true, value: res };
  const body = await readBounded(res, MAX_ERROR_BODY_BYTES).catch(() => "");
  return { ok: false, error: adapter.toGatewayError(res.status, body, res.headers, prepared.target) };
}

/** Runs the plan for a non-streaming request. */
export function executeCompletion(
  attempts: readonly Attempt[],
  deps: ExecuteDeps,
): Promise<ServedCompletion> {
  return loop(attempts, deps, async (_attempt, prepared, adapter, controller) => {
    const sent = await withFirstByteTimeout(
      () => send(prepared, adapter, deps.fetch, controller.signal, false),
      deps.firstByteTimeoutMs,
      prepared.target,
      () => controller.abort(),
    );
    if (!sent.ok) return sent;
    const body: unknown = await sent.value.json().catch((cause: unknown) => {
      throw new GatewayError(
        502,
        "provider_unavailable",
        `${prepared.target.provider.name} returned an unreadable body`,
        {
          provider: prepared.target.provider.name,
          retryable: true,
          cause,
        },
      );
    });
    const completion = adapter.fromProviderResponse(body, {
      request: prepared.request,
      target: prepared.target,
    });
    return { ok: true, value: { completion } };
  });
}

/**
 * Runs the plan for a streaming request. An attempt counts as served only once its first
 * content arrived: errors before that (including in-band ones in a 200 stream) fall back.
 */
export function executeStream(attempts: readonly Attempt[], deps: ExecuteDeps): Promise<ServedStream> {
  return loop(attempts, deps, (_attempt, prepared, adapter, controller) =>
    withFirstByteTimeout(
      (touch) =>
        send(prepared, adapter, deps.fetch, controller.signal, true, deps.echoes).then((sent) => {
          touch();
          return sent.ok ? startStream(sent.value, prepared, adapter, controller, touch) : sent;
        }),
      deps.firstByteTimeoutMs,
      prepared.target,
      () => controller.abort(),
    ),
  );
}

/**
 * Reads a 2xx stream up to its first content (under the attempt's first-byte timeout, which
 * aborts the controller and so the read; each batch before the content re-arms it). A function of its own, not a closure in
 * `executeStream`: the `abort` it returns lives as long as the stream, and a closure made there
 * would keep `deps` alive with it — and through `deps.prepare` the request, prompt and all.
 */
async function startStream(
  res: Response,
  prepared: Prepared,
  adapter: ProviderAdapter,
  controller: AbortController,
  /** Called on each batch read before the first content: the provider is alive. */
  onProgress: () => void,
): Promise<Outcome<Pick<ServedStream, "head" | "rest" | "abort">>> {
  const abort = () => controller.abort();
  const body = res.body;
  if (!body) {
    return {
      ok: false,
      error: new GatewayError(502, "provider_unavailable", "Empty stream", { retryable: true }),
    };
  }
  const source = chunkSource(body, adapter, { request: prepared.request, target: prepared.target });
  const head: ProviderChunk[] = [];
  try {
    for (;;) {
      const batch = await source.next();
      if (batch === null) break;
      head.push(...batch);
      if (batch.some(hasContent)) break;
      onProgress();
    }
  } catch (error) {
    abort();
    source.cancel();
    return { ok: false, error: asGatewayError(error, prepared.target, "The stream") };
  }
  return { ok: true, value: { head, rest: source, abort } };
}
