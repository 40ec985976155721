/**
 * What the client receives: adapter output stamped with the generation id, the model and
 * provider that served it, and the usage with its cost — as one JSON body or as an SSE stream
 * that always ends with exactly one usage chunk and `data: [DONE]`.
 */
import { GatewayError } from "../errors";
import type { ProviderChunk } from "../providers/types";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChunkChoice,
  FinishReason,
  Usage,
} from "../schema/chat-completion";
import type { RouterMetadata } from "../schema/router-metadata";
import { SSE_KEEPALIVE, sseFrame } from "../sse/encode";

const encoder = new TextEncoder();

import type { ServedStream } from "./execute";
import type { ToolCallFragments } from "./tool-call-quality";
import type { UpstreamEchoes } from "./upstream-echo";

export interface Stamp {
  id: string;
  created: number;
  model: string;
  provider: string;
}

/** How a stream ended, for the usage chunk and the generation record. */
export interface StreamOutcome {
  usage: Usage | undefined;
  rawUsage: unknown;
  finishReason: FinishReason | null;
  nativeFinishReason: string | null;
  /** Characters of generated text, for estimating usage when the provider sent none. */
  generatedChars: number;
  upstreamId: string | undefined;
  error: GatewayError | undefined;
  cancelled: boolean;
  firstContentAt: number | undefined;
  /** With `n` > 1: the highest choice index seen, and which choices after the first finished. */
  lastChoiceIndex: number;
  finishedAfterFirst: Set<number> | undefined;
  /**
   * The tool calls made, put together from their fragments: only for a request that offered
   * tools (Auto Exacto); undefined otherwise, and nothing is collected.
   */
  toolCalls: ToolCallFragments | undefined;
}

export function emptyOutcome(): StreamOutcome {
  return {
    usage: undefined,
    rawUsage: undefined,
    finishReason: null,
    nativeFinishReason: null,
    generatedChars: 0,
    upstreamId: undefined,
    error: undefined,
    cancelled: false,
    firstContentAt: undefined,
    lastChoiceIndex: 0,
    finishedAfterFirst: undefined,
    toolCalls: undefined,
  };
}

export function completionBody(
  stamp: Stamp,
  served: {
    choices: ChatCompletion["choices"];
    systemFingerprint?: string | null | undefined;
    serviceTier?: string | null | undefined;
  },
  usage: Usage,
): ChatCompletion {
  return {
    id: stamp.id,
    object: "chat.completion",
    created: stamp.created,
    model: stamp.model,
    provider: stamp.provider,
    ...(served.systemFingerprint ? { system_fingerprint: served.systemFingerprint } : {}),
    ...(served.serviceTier ? { service_tier: served.serviceTier } : {}),
    choices: served.choices.map((choice) => ({
      ...choice,
      // OpenAI's schema requires `refusal`; OpenRouter always sends `reasoning`.
      message: {
        ...choice.message,
        refusal: choice.message.refusal ?? null,
        reasoning: choice.message.reasoning ?? null,
      },
    })),
    usage,
  };
}

function observe(outcome: StreamOutcome, chunk: ProviderChunk, now: number): void {
  if (chunk.usage) {
    outcome.usage = chunk.usage;
    outcome.rawUsage = chunk.rawUsage;
  }
  if (chunk.upstreamId) outcome.upstreamId ??= chunk.upstreamId;
  for (const choice of chunk.choices) {
    const d = choice.delta;
    const chars =
      (d.content?.length ?? 0) +
      (d.reasoning?.length ?? 0) +
      (d.refusal?.length ?? 0) +
      (d.tool_calls?.reduce(
        (n, t) => n + (t.function?.arguments?.length ?? 0) + (t.function?.name?.length ?? 0),
        0,
      ) ?? 0);
    outcome.generatedChars += chars;
    if (chars > 0) outcome.firstContentAt ??= now;
    // A request without tools has no collector: this is the one check its chunks pay.
    if (outcome.toolCalls !== undefined && d.tool_calls !== undefined)
      outcome.toolCalls.add(choice.index, d.tool_calls);
    if (choice.index === 0) {
      if (choice.finish_reason !== null) {
        outcome.finishReason = choice.finish_reason;
        outcome.nativeFinishReason = choice.native_finish_reason;
      }
    } else {
      // n > 1 only: a single-choice stream never comes here.
      if (choice.index > outcome.lastChoiceIndex) outcome.lastChoiceIndex = choice.index;
      if (choice.finish_reason !== null) {
        outcome.finishedAfterFirst ??= new Set();
        outcome.finishedAfterFirst.add(choice.index);
      }
    }
  }
}

/** The in-band error's choices: every choice the stream had, finished with "error" unless it had finished. */
function errorChoices(outcome: StreamOutcome): ChunkChoice[] {
  const choices: ChunkChoice[] = [];
  for (let index = 0; index <= outcome.lastChoiceIndex; index++) {
    const finished =
      index === 0 ? outcome.finishReason !== null : (outcome.finishedAfterFirst?.has(index) ?? false);
    choices.push({
      index,
      delta: { content: "" },
      finish_reason: finished ? null : "error",
      native_finish_reason: null,
    });
  }
  return choices;
}

/** One stamped chunk as the client receives it (exported for bench/peers/micro-worker.ts). */
export function chunkOf(
  stamp: Stamp,
  choices: ChunkChoice[],
  fingerprint: string | null | undefined,
): ChatCompletionChunk {
  return {
    id: stamp.id,
    object: "chat.completion.chunk",
    created: stamp.created,
    model: stamp.model,
    provider: stamp.provider,
    ...(fingerprint ? { system_fingerprint: fingerprint } : {}),
    choices,
  };
}

export interface SseOptions {
  /** The served stream, or a promise of it when the response was committed before routing finished. */
  served: ServedStream | Promise<ServedStream>;
  /** The stamp; for a pending `served`, the model/provider are filled in once it resolves. */
  stamp: (served: ServedStream) => Stamp;
  /** The stamp of a stream whose routing failed after it was committed (requested model, no provider). */
  unservedStamp: Stamp;
  /** Usage with cost for the final chunk; called once, when the stream ends for any reason. */
  finish: (outcome: StreamOutcome, served: ServedStream | undefined) => Usage;
  /**
   * The `openrouter_metadata` of the usage chunk, when the client asked for it: called once,
   * after `finish`, for a stream that was served and did not end in an error.
   */
  metadata?: ((served: ServedStream) => RouterMetadata) | undefined;
  /** The longest the client waits for a byte: a keep-alive comment fills any longer silence. */
  keepAliveMs: number;
  /** Set for a request that offered tools: the stream's tool calls are collected into it. */
  toolCalls?: ToolCallFragments | undefined;
  /** The client's request signal: aborted when the client hangs up. */
  clientSignal?: AbortSignal | undefined;
  /**
   * With `debug.echo_upstream_body`: the bodies sent to each provider attempted, written first,
   * one `choices: []` chunk each (taken, so the stream holds them no longer than that).
   */
  echoes?: UpstreamEchoes | undefined;
  now?: () => number;
}

/** The debug chunks of the attempts' bodies, stamped with the stream's id and each attempt's model and provider. */
function echoFrames(echoes: UpstreamEchoes, base: Stamp): string {
  let frames = "";
  for (const { model, provider, body } of echoes.take()) {
    frames += sseFrame({
      ...chunkOf({ ...base, model, provider }, [], null),
      debug: { echo_upstream_body: body },
    });
  }
  return frames;
}

/** Writes the debug chunks, if any; a promise when the client is behind. Module-level: no closure per stream. */
function writeEchoes(
  echoes: UpstreamEchoes,
  base: Stamp,
  write: (bytes: Uint8Array) => Promise<void> | undefined,
): Promise<void> | undefined {
  const frames = echoFrames(echoes, base);
  return frames === "" ? undefined : write(encoder.encode(frames));
}

/** How far the gateway may write ahead of a slow client before it stops reading the upstream. */
const PIPE_BUFFER_BYTES = 64 * 1024;

interface BytePipe {
  readable: ReadableStream<Uint8Array>;
  /** Queues bytes; a promise when the client is PIPE_BUFFER_BYTES behind (wait before reading on). */
  write(bytes: Uint8Array): Promise<void> | undefined;
  /**
   * Queues bytes only if the client is not behind, and never waits: for keep-alives, which a
   * client with a backlog does not need, and which must not take the pump's drain promise.
   */
  writeIfIdle(bytes: Uint8Array): void;
  close(): void;
}

/**
 * The response body as a JS stream the gateway pushes into: workerd pulls it to the socket.
 * (An IdentityTransformStream costs ~10% less CPU per chunk but ~60 MiB more per 1,000 open
 * streams in workerd — bench/RESULTS.md "CPU against memory".)
 */
function bytePipe(onCancel: () => void): BytePipe {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let drained: (() => void) | undefined;
  let closed = false;
  const readable = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        drained?.();
        drained = undefined;
      },
      cancel() {
        closed = true;
        drained?.();
        onCancel();
      },
    },
    { highWaterMark: PIPE_BUFFER_BYTES, size: (chunk) => chunk.byteLength },
  );
  return {
    readable,
    write(bytes) {
      if (closed) return undefined;
      controller.enqueue(bytes);
      if ((controller.desiredSize ?? 1) > 0) return undefined;
      return new Promise<void>((resolve) => {
        drained = resolve;
      });
    },
    writeIfIdle(bytes) {
      if (!closed && (controller.desiredSize ?? 1) > 0) controller.enqueue(bytes);
    },
    close() {
      if (closed) return;
      closed = true;
      controller.close();
    },
  };
}

/**
 * The `error` of an in-band error chunk. A provider's 5xx is masked (API.md b8: "On 5xx the
 * message is masked and `provider_code` is omitted"): its text and raw body are the provider's
 * internals, not something the client can act on; the status, type and provider stay.
 */
function inBandError(error: GatewayError): ReturnType<GatewayError["toErrorObject"]> {
  const object = error.toErrorObject();
  if (error.status < 500 || !error.fromUpstream) return object;
  const { provider_code: _code, raw: _raw, ...metadata } = object.metadata;
  return { code: object.code, message: "Provider returned error", metadata };
}

/**
 * The SSE body. The gateway pushes each upstream read's frames into the response and reads the
 * next upstream chunk while the client takes them; only a client 64 KiB behind makes it wait, so
 * nothing piles up and a slow client slows the upstream. An error after content has flowed ends
 * the stream with an in-band error chunk (`finish_reason: "error"`), then usage, then `[DONE]`.
 * A client that goes away aborts the upstream at once.
 */
export function sseBody(opts: SseOptions): ReadableStream<Uint8Array> {
  const now = opts.now ?? Date.now;
  const outcome = emptyOutcome();
  outcome.toolCalls = opts.toolCalls;
  let served: ServedStream | undefined;
  let stamp: Stamp | undefined;
  let finished = false;
  // The client went away: stop the upstream (providers that support it stop billing) and record.
  // workerd reports it on the request's signal (it drops the request without cancelling the
  // body); elsewhere the body is cancelled.
  const clientGone = () => {
    outcome.cancelled = true;
    opts.echoes?.take();
    clearInterval(keepAlive);
    served?.abort();
    served?.rest.cancel();
    if (!finished) {
      finished = true;
      opts.finish(outcome, served);
    }
  };
  const pipe = bytePipe(clientGone);
  const write = pipe.write;
  opts.clientSignal?.addEventListener("abort", clientGone, { once: true });

  // A comment whenever nothing else was written for half of keepAliveMs, so the client never
  // waits longer than keepAliveMs for a byte: before the first token while routing is pending,
  // and in a provider's silences mid-stream. It keeps proxies from timing the stream out, and
  // its write is how a client that hung up is noticed during a silence (workerd reports a
  // hang-up only once it writes). One interval per stream; a frame costs it a store.
  let quiet = true;
  const keepAlive = setInterval(() => {
    if (quiet && !finished) pipe.writeIfIdle(SSE_KEEPALIVE);
    quiet = true;
  }, opts.keepAliveMs / 2);

  const end = (): void => {
    if (finished) return;
    finished = true;
    clearInterval(keepAlive);
    const usage = opts.finish(outcome, served);
    const base = stamp ?? opts.unservedStamp;
    // Routing failed after the commit: the attempts' bodies still come first.
    let frames = opts.echoes ? echoFrames(opts.echoes, base) : "";
    if (outcome.error) {
      // A choice that already finished is not finished again: its error chunk carries
      // finish_reason null, as OpenRouter's own does (fixture openrouter/stream-mid-stream-error.sse),
      // and clients read the top-level `error`.
      frames += sseFrame({
        ...chunkOf(base, errorChoices(outcome), null),
        error: inBandError(outcome.error),
      });
    }
    const metadata = served && !outcome.error && opts.metadata ? opts.metadata(served) : undefined;
    frames += sseFrame(
      metadata
        ? { ...chunkOf(base, [], null), usage, openrouter_metadata: metadata }
        : { ...chunkOf(base, [], null), usage },
    );
    write(encoder.encode(`${frames}data: [DONE]\n\n`));
    pipe.close();
  };

  /** Writes a batch's choices as one write (one encode for all its frames); usage-only batches write nothing. */
  const emit = (batch: readonly ProviderChunk[]): Promise<void> | undefined => {
    const t = now();
    let frames = "";
    for (const chunk of batch) {
      observe(outcome, chunk, t);
      if (chunk.choices.length > 0 && stamp)
        frames += sseFrame(chunkOf(stamp, chunk.choices, chunk.systemFingerprint));
    }
    if (frames === "") return undefined;
    quiet = false;
    return write(encoder.encode(frames));
  };

  const asStreamError = (error: unknown, message: string) =>
    error instanceof GatewayError
      ? error
      : new GatewayError(502, "provider_unavailable", message, { retryable: true });

  const route = async (pending: Promise<ServedStream>): Promise<ServedStream | undefined> => {
    write(SSE_KEEPALIVE); // the commit: headers and a first comment now, the rest every tick
    try {
      return await pending;
    } catch (error) {
      outcome.error =
        error instanceof GatewayError
          ? error
          : new GatewayError(502, "provider_unavailable", "Provider failed");
      end();
      return undefined;
    }
  };

  const pump = async (): Promise<void> => {
    const ready = opts.served instanceof Promise ? await route(opts.served) : opts.served;
    if (!ready) return;
    if (finished) {
      // The client left while routing was pending (finish already ran): stop what just started.
      ready.abort();
      ready.rest.cancel();
      return;
    }
    served = ready;
    stamp = opts.stamp(ready);
    // Written by a function of its own: a local of this async function stays in its suspended
    // frame for the stream's life, and the frames hold the prompt.
    const echoing = opts.echoes ? writeEchoes(opts.echoes, stamp, write) : undefined;
    if (echoing) await echoing;
    const slowClient = emit(ready.head);
    if (slowClient) await slowClient;
    try {
      for (;;) {
        const batch = await ready.rest.next();
        if (finished) return;
        if (batch === null) return end();
        const slowClient = emit(batch);
        if (slowClient) await slowClient;
      }
    } catch (error) {
      if (finished) return;
      outcome.error = asStreamError(error, "The provider's stream failed");
      end();
    }
  };

  pump().catch((error: unknown) => {
    // Nothing above should throw; if it does, the client still gets a terminated stream.
    outcome.error ??= asStreamError(error, "The stream failed");
    void end();
  });
  return pipe.readable;
}
