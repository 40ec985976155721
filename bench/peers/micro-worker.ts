/**
 * The hot path's pure steps, each in a loop, inside workerd's V8 (bench/micro.ts runs it).
 * Node 20's V8 is three years older than workerd's and optimises differently — JSON.stringify's
 * fast path, for one, exists only in the newer one — so a change to one of these steps is
 * measured here, not in Node.
 *
 * `GET /?case=<name>&n=<ops>` runs one case and answers its µs per op. Timers in workerd advance
 * only across I/O, so a case is timed from before its loop to after a zero timeout that follows it.
 */
import { openaiAdapter } from "../../src/providers/openai";
import type { CallContext, ProviderChunk, Target } from "../../src/providers/types";
import type { ServedStream } from "../../src/routing/execute";
import type { Attempt } from "../../src/routing/plan";
import { chunkOf, completionBody, type Stamp, sseBody } from "../../src/routing/respond";
import type { ChatRequest } from "../../src/schema/chat-request";
import { isPlainChatRequest } from "../../src/schema/chat-request-guard";
import { createSseDecoder } from "../../src/sse/decode";
import { sseFrame } from "../../src/sse/encode";
import { newGenerationId } from "../../src/usage/generation-id";
import type { GenerationRow } from "../../src/usage/record";
import { nonStreamRequest } from "../lib/request-bodies.mjs";

const CREATED = 1700000000;
const encoder = new TextEncoder();

/** The mock upstream's answers (bench/mock-upstream.mjs), byte for byte in shape. */
const completionText = JSON.stringify({
  id: "chatcmpl-mock000000000000000000000000",
  object: "chat.completion",
  created: CREATED,
  model: "gpt-4o-mini-mock",
  system_fingerprint: "fp_mock",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: "The quick brown fox jumps over the lazy dog. ".repeat(17),
        refusal: null,
      },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 120, total_tokens: 132 },
});

function streamFrames(n: number): Uint8Array[] {
  const frame = (body: object) => encoder.encode(`data: ${JSON.stringify(body)}\n\n`);
  const base = {
    id: "chatcmpl-mock",
    object: "chat.completion.chunk",
    created: CREATED,
    model: "gpt-4o-mini-mock",
    system_fingerprint: "fp_mock",
  };
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const delta = i === 0 ? { role: "assistant", content: "tok0 " } : { content: `tok${i} ` };
    frames.push(
      frame({
        ...base,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: i === n - 1 ? "stop" : null }],
      }),
    );
  }
  frames.push(
    frame({ ...base, choices: [], usage: { prompt_tokens: 12, completion_tokens: n, total_tokens: 12 + n } }),
  );
  frames.push(encoder.encode("data: [DONE]\n\n"));
  return frames;
}

const target: Target = {
  provider: { slug: "bench", name: "Bench", adapter: "openai", baseUrl: "http://127.0.0.1:1/v1", config: {} },
  endpoint: {
    model: "bench/gpt-4o-mini",
    providerModelId: "gpt-4o-mini",
    contextLength: 128_000,
    maxCompletionTokens: 16_384,
    supportedParameters: ["max_tokens", "temperature"],
  },
  apiKey: "sk-micro",
  secret: () => undefined,
};
const requestText = JSON.stringify(nonStreamRequest("bench/gpt-4o-mini"));
const ctx: CallContext = { request: JSON.parse(requestText) as ChatRequest, target };
/** Ids made as the gateway makes them (their string representation matters to JSON.stringify). */
const id = (): string => newGenerationId(Date.now());
/** Made per run: workerd allows no randomness at startup. */
const newStamp = (): Stamp => ({ id: id(), created: CREATED, model: "bench/gpt-4o-mini", provider: "Bench" });

/** A usage row as ChatRun.finish builds it for the bench's non-streamed request. */
function usageRow(): GenerationRow {
  return {
    id: id(),
    createdAt: new Date().toISOString(),
    accountId: "5b0f5d5e-8f7a-4c1e-9e2b-1a2b3c4d5e6f",
    keyHash: "4f1c0f8e2b9d7a6c5e3f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d",
    requestedModel: "bench/gpt-4o-mini",
    httpReferer: null,
    appTitle: null,
    userAgent: "bench",
    externalUser: null,
    sessionId: null,
    model: "bench/gpt-4o-mini",
    providerSlug: "bench",
    providerName: "Bench",
    upstreamId: "chatcmpl-mock000000000000000000000000",
    streamed: false,
    cancelled: false,
    status: 200,
    finishReason: "stop",
    nativeFinishReason: "stop",
    tokensPrompt: 12,
    tokensCompletion: 120,
    tokensReasoning: 0,
    tokensCached: 0,
    tokensCacheWrite: 0,
    usageEstimated: false,
    totalCost: "0.0000738",
    latencyMs: 2,
    generationTimeMs: 1,
    timeToFirstTokenMs: 1,
    attempts: [{ provider: "bench", model: "bench/gpt-4o-mini", status: 200, latencyMs: 1 }],
    compression: null,
    rawUsage: { prompt_tokens: 12, completion_tokens: 120, total_tokens: 132 },
    error: null,
  };
}

const ROWS_PER_BATCH = 50;

type Case = (n: number) => number | Promise<number>;

const cases: Record<string, { unit: string; run: Case }> = {
  /** outbox flush: a batch's rows to the statement's one JSON parameter (per row). */
  "usage-batch": {
    unit: "row",
    run(n) {
      const rows = Array.from({ length: ROWS_PER_BATCH }, usageRow);
      let bytes = 0;
      for (let i = 0; i < n / ROWS_PER_BATCH; i++) bytes += JSON.stringify(rows).length;
      return bytes;
    },
  },
  /** the client's request body: parse, the plain-request guard, the provider's request. */
  "request-in": {
    unit: "request",
    async run(n) {
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const body: unknown = JSON.parse(requestText);
        if (!isPlainChatRequest(body)) throw new Error("the bench request is not plain");
        bytes += (await openaiAdapter.toProviderRequest(body, target, { stream: false })).body.length;
      }
      return bytes;
    },
  },
  /** the provider's answer: parse, translate, stamp, serialise. */
  "completion-out": {
    unit: "request",
    run(n) {
      let bytes = 0;
      const usage = {
        prompt_tokens: 12,
        completion_tokens: 120,
        total_tokens: 132,
        cost: 0.0000738,
        is_byok: false,
      };
      for (let i = 0; i < n; i++) {
        const served = openaiAdapter.fromProviderResponse(JSON.parse(completionText), ctx);
        const body = completionBody(newStamp(), served, usage);
        bytes += JSON.stringify(body).length;
      }
      return bytes;
    },
  },
  /** a streamed frame: SSE decode, translate, stamp, serialise, encode (per frame, one read each). */
  "stream-frame": {
    unit: "frame",
    run(n) {
      const frames = streamFrames(50);
      let bytes = 0;
      let done = 0;
      while (done < n) {
        const decoder = createSseDecoder();
        const translator = openaiAdapter.createStreamTransformer(ctx);
        const stamp = newStamp();
        const out: ProviderChunk[] = [];
        const sink = { enqueue: (chunk: ProviderChunk) => void out.push(chunk) };
        for (const bytesIn of frames) {
          for (const event of decoder.push(bytesIn)) translator.transform(event, sink);
          let text = "";
          for (const chunk of out) {
            if (chunk.choices.length === 0) continue;
            text += sseFrame(chunkOf(stamp, chunk.choices, chunk.systemFingerprint));
          }
          out.length = 0;
          bytes += encoder.encode(text).byteLength;
          done++;
        }
        translator.flush(sink);
      }
      return bytes;
    },
  },
  /**
   * A streamed frame through the response body: the translated chunks of 50-frame streams, one
   * upstream read each, through sseBody (stamp, usage bookkeeping, the JS byte pipe) and read out
   * as workerd's HTTP layer would: the stream plumbing a frame pays on top of "stream-frame".
   */
  "sse-body": {
    unit: "frame",
    async run(n) {
      const batches = translatedBatches();
      let bytes = 0;
      for (let done = 0; done < n; done += batches.length) {
        const stamp = newStamp();
        const body = sseBody({
          served: servedStream(batches),
          stamp: () => stamp,
          unservedStamp: stamp,
          finish: () => ({ prompt_tokens: 12, completion_tokens: 50, total_tokens: 62 }),
          keepAliveMs: 5_000,
        });
        const reader = body.getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.byteLength;
      }
      return bytes;
    },
  },
  /** The floor for "sse-body": the same bytes enqueued into a JS ReadableStream and read out, nothing else. */
  "js-stream": {
    unit: "frame",
    async run(n) {
      const frames = streamFrames(50);
      let bytes = 0;
      for (let done = 0; done < n; done += frames.length) {
        let i = 0;
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const frame = frames[i++];
            if (frame) controller.enqueue(frame);
            else controller.close();
          },
        });
        const reader = body.getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.byteLength;
      }
      return bytes;
    },
  },
};

/** The mock stream's frames, translated: one batch per upstream read. */
function translatedBatches(): ProviderChunk[][] {
  const decoder = createSseDecoder();
  const translator = openaiAdapter.createStreamTransformer(ctx);
  const batches: ProviderChunk[][] = [];
  for (const bytesIn of streamFrames(50)) {
    const batch: ProviderChunk[] = [];
    for (const event of decoder.push(bytesIn))
      translator.transform(event, { enqueue: (c) => void batch.push(c) });
    if (batch.length > 0) batches.push(batch);
  }
  return batches;
}

/** A served stream whose upstream answers each read at once, from `batches`. */
function servedStream(batches: ProviderChunk[][]): ServedStream {
  let i = 0;
  return {
    attempt: {} as Attempt,
    log: [],
    sentAt: 0,
    firstByteAt: 0,
    head: [],
    rest: { next: () => Promise.resolve(batches[i++] ?? null), cancel: () => {} },
    abort: () => {},
  };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get("case") ?? "";
    const n = Number(url.searchParams.get("n") ?? "20000");
    if (name === "")
      return Response.json(Object.fromEntries(Object.entries(cases).map(([k, c]) => [k, c.unit])));
    const c = cases[name];
    if (!c) return new Response(`no case ${name}`, { status: 404 });
    const startedAt = Date.now();
    const sink = await c.run(n);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const ms = Date.now() - startedAt;
    return Response.json({ case: name, unit: c.unit, n, us_per_op: (ms * 1000) / n, sink });
  },
};
