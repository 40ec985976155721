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
import { SSE_DONE, SSE_KEEPALIVE, sseData, sseFrame } from "../sse/encode";

const encoder = new TextEncoder();

import type { ServedStream } from "./execute";

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
    if (choice.index === 0 && choice.finish_reason !== null) {
      outcome.finishReason = choice.finish_reason;
      outcome.nativeFinishReason = choice.native_finish_reason;
    }
  }
}

function chunkOf(
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
  keepAliveMs: number;
  now?: () => number;
}

/**
 * The SSE body. Pull-based: one upstream chunk is read per downstream pull, so nothing is
 * buffered and a slow client slows the upstream. An error after content has flowed ends the
 * stream with an in-band error chunk (`finish_reason: "error"`), then usage, then `[DONE]`.
 */
export function sseBody(opts: SseOptions): ReadableStream<Uint8Array> {
  const now = opts.now ?? Date.now;
  const outcome = emptyOutcome();
  let served: ServedStream | undefined;
  let stamp: Stamp | undefined;
  let finished = false;

  const end = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (finished) return;
    finished = true;
    const usage = opts.finish(outcome, served);
    if (outcome.error) {
      const err = outcome.error;
      const base = stamp ?? opts.unservedStamp;
      controller.enqueue(
        sseData({
          ...chunkOf(
            base,
            [{ index: 0, delta: { content: "" }, finish_reason: "error", native_finish_reason: null }],
            null,
          ),
          error: err.toErrorObject(),
        }),
      );
    }
    controller.enqueue(sseData({ ...chunkOf(stamp ?? opts.unservedStamp, [], null), usage }));
    controller.enqueue(SSE_DONE);
    controller.close();
  };

  /**
   * Forwards a batch's choices as one enqueue (one encode for all its frames); false when the
   * batch carried none (usage only), so nothing was sent.
   */
  const emit = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    batch: readonly ProviderChunk[],
  ): boolean => {
    const t = now();
    let frames = "";
    for (const chunk of batch) {
      observe(outcome, chunk, t);
      if (chunk.choices.length > 0 && stamp)
        frames += sseFrame(chunkOf(stamp, chunk.choices, chunk.systemFingerprint));
    }
    if (frames === "") return false;
    controller.enqueue(encoder.encode(frames));
    return true;
  };

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      let ready: ServedStream;
      if (opts.served instanceof Promise) {
        controller.enqueue(SSE_KEEPALIVE);
        // After a cancel the controller is closed: a tick must not enqueue (it would throw in a timer).
        const timer = setInterval(() => finished || controller.enqueue(SSE_KEEPALIVE), opts.keepAliveMs);
        try {
          ready = await opts.served;
        } catch (error) {
          outcome.error =
            error instanceof GatewayError
              ? error
              : new GatewayError(502, "provider_unavailable", "Provider failed");
          end(controller);
          return;
        } finally {
          clearInterval(timer);
        }
      } else {
        ready = opts.served;
      }
      if (finished) {
        // The client left while routing was pending (finish already ran): stop what just started.
        ready.abort();
        ready.rest.cancel();
        return;
      }
      served = ready;
      stamp = opts.stamp(ready);
      emit(controller, ready.head);
    },
    async pull(controller) {
      if (finished || !served) return;
      try {
        // A pull that enqueues nothing is not pulled again, so read on past usage-only chunks.
        for (;;) {
          const batch = await served.rest.next();
          if (batch === null) return end(controller);
          if (emit(controller, batch)) return;
        }
      } catch (error) {
        outcome.error =
          error instanceof GatewayError
            ? error
            : new GatewayError(502, "provider_unavailable", "The provider's stream failed", {
                retryable: true,
              });
        end(controller);
      }
    },
    cancel() {
      // The client went away: stop the upstream (providers that support it stop billing) and record.
      outcome.cancelled = true;
      served?.abort();
      served?.rest.cancel();
      if (!finished) {
        finished = true;
        opts.finish(outcome, served);
      }
    },
  });
}
