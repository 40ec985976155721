/**
 * The one small interface every wire protocol implements. An adapter is pure: it never
 * calls fetch and never reads env. `routing/execute.ts` does the I/O; the pipeline in
 * `routing/respond.ts` stamps ids, model, provider and cost on what an adapter yields.
 */

import type { GatewayError } from "../errors";
import type { Choice, ChunkChoice, Usage } from "../schema/chat-completion";
import type { ChatRequest } from "../schema/chat-request";

export const ADAPTER_NAMES = ["openai", "anthropic", "google", "azure", "bedrock"] as const;
export type AdapterName = (typeof ADAPTER_NAMES)[number];

/** Catalog settings for the provider serving this attempt. */
export interface ProviderInfo {
  slug: string;
  /** Display name, as responses report it (`provider: "OpenAI"`). */
  name: string;
  adapter: AdapterName;
  baseUrl: string;
  /** Adapter-specific settings (Azure `apiVersion`, Bedrock `region`, …). */
  config: Readonly<Record<string, string | number | boolean>>;
}

/** The endpoint (model × provider) serving this attempt. */
export interface EndpointInfo {
  /** Public model id, `author/slug`. */
  model: string;
  /** The id the provider's API expects. */
  providerModelId: string;
  contextLength: number;
  maxCompletionTokens: number | null;
  supportedParameters: readonly string[];
}

/** Everything an adapter needs to address one provider for one request. */
export interface Target {
  provider: ProviderInfo;
  endpoint: EndpointInfo;
  /** The provider key from the secret named by `apiKeyEnv`; undefined for keyless local servers. */
  apiKey: string | undefined;
  /** Other secrets named in the provider's config (e.g. Bedrock's secret access key). */
  secret(name: string): string | undefined;
  /**
   * True when `apiKey` is the user's own (BYOK): a provider refusing it refuses the user's key,
   * not the gateway's configuration (providers/http-errors.ts).
   */
  byok?: boolean | undefined;
}

export interface UpstreamRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** One event off the wire: an SSE event, or a decoded AWS event-stream frame. */
export interface RawEvent {
  /** SSE `event:` name, or the frame's `:event-type` / `:exception-type`. */
  event?: string | undefined;
  /** SSE `data:` payload, or the frame's JSON payload as text. */
  data: string;
}

/** A non-streaming answer, before the gateway stamps id, model, provider and cost. */
export interface ProviderCompletion {
  choices: Choice[];
  /** Token counts as the provider reported them (no cost); undefined when it sent none. */
  usage?: Usage | undefined;
  upstreamId?: string | undefined;
  systemFingerprint?: string | null | undefined;
  serviceTier?: string | null | undefined;
  /** The provider's usage object as sent, kept for the generation record. */
  rawUsage?: unknown;
}

/**
 * One streamed piece, before stamping. `choices` may be empty when the piece only
 * carries usage. Usage is cumulative: the last one seen is the one billed.
 */
export interface ProviderChunk {
  choices: ChunkChoice[];
  usage?: Usage | undefined;
  upstreamId?: string | undefined;
  systemFingerprint?: string | null | undefined;
  rawUsage?: unknown;
}

/** Receives the chunks a translator produces. */
export interface ChunkSink {
  enqueue(chunk: ProviderChunk): void;
}

/**
 * One request's stream translation, driven synchronously by the gateway one wire event at a
 * time (`routing/chunk-source.ts`). Not a TransformStream: every stream stage costs promises and
 * allocations per chunk, which the benchmark showed dominating the per-chunk CPU. The shape is a
 * `Transformer`, so `new TransformStream(translator)` still works where a stream is wanted.
 */
export interface StreamTranslator {
  transform(event: RawEvent, sink: ChunkSink): void;
  /** The upstream body ended: emit what is pending, or throw if the stream was cut short. */
  flush(sink: ChunkSink): void;
}

export interface CallContext {
  request: ChatRequest;
  target: Target;
}

export interface ProviderAdapter {
  readonly name: AdapterName;
  /** Builds the upstream HTTP request. Async only because some protocols sign requests (SigV4). */
  toProviderRequest(req: ChatRequest, target: Target, opts: { stream: boolean }): Promise<UpstreamRequest>;
  /** Translates a successful (2xx) non-streaming body. Throws GatewayError on an unusable body. */
  fromProviderResponse(body: unknown, ctx: CallContext): ProviderCompletion;
  /** Splits the response body into events. Defaults to SSE when absent. */
  decodeStream?(body: ReadableStream<Uint8Array>): ReadableStream<RawEvent>;
  /**
   * Translates wire events to chunks. Throws a GatewayError for an in-band upstream error, so
   * the gateway can fall back or end the stream with an error chunk.
   */
  createStreamTransformer(ctx: CallContext): StreamTranslator;
  /** Maps a non-2xx answer to the gateway's error, with the upstream detail in `raw` (secrets redacted). */
  toGatewayError(status: number, bodyText: string, headers: Headers, target: Target): GatewayError;
}
