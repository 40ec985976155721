/**
 * The contract every provider adapter runs, fed by real recordings. Adapters are pure, so this
 * runs in plain Node. Usage from an adapter's test file:
 *
 *   runAdapterSuite(anthropicAdapter, { target, request, streams: [...], completions: [...], errors: [...] });
 */
import { describe, expect, it } from "vitest";
import { GatewayError, type GatewayErrorType } from "../../src/errors";
import type { ProviderAdapter, ProviderChunk, Target } from "../../src/providers/types";
import { chunkSource } from "../../src/routing/chunk-source";
import {
  type ChunkChoice,
  choiceSchema,
  chunkChoiceSchema,
  FINISH_REASONS,
  type FinishReason,
  usageSchema,
} from "../../src/schema/chat-completion";
import type { ChatRequest, ReasoningDetail } from "../../src/schema/chat-request";
import { collectGarbage } from "../support/gc";
import { CHUNKINGS, chunked } from "./fixtures";

export interface StreamFixture {
  name: string;
  body: Uint8Array;
  /**
   * What the stream must amount to; `error` when the recording ends in an in-band upstream error,
   * with `usage` when the provider had reported usage before it (the gateway records that, not an estimate).
   */
  expect:
    | { finishReason: FinishReason; toolCalls?: number; text?: boolean; reasoning?: boolean; usage?: boolean }
    | { error: { retryable: boolean; type?: GatewayErrorType; usage?: boolean } };
}

export interface CompletionFixture {
  name: string;
  body: unknown;
  expect: {
    finishReason: FinishReason;
    toolCalls?: number;
    text?: boolean;
    reasoning?: boolean;
    usage?: boolean;
  };
}

export interface ErrorFixture {
  name: string;
  status: number;
  bodyText: string;
  headers?: Headers;
  retryable: boolean;
  type?: GatewayErrorType;
  retryAfter?: number;
}

export interface AdapterFixtures {
  target: Target;
  request: ChatRequest;
  streams: StreamFixture[];
  completions: CompletionFixture[];
  errors: ErrorFixture[];
}

export interface StreamResult {
  chunks: ProviderChunk[];
  error: unknown;
}

/** Reads a response body the way the gateway does (routing/chunk-source.ts), collecting chunks and the error. */
export async function readChunks(
  body: ReadableStream<Uint8Array>,
  adapter: ProviderAdapter,
  ctx: { request: ChatRequest; target: Target },
): Promise<StreamResult> {
  const source = chunkSource(body, adapter, ctx);
  const chunks: ProviderChunk[] = [];
  try {
    for (let batch = await source.next(); batch !== null; batch = await source.next()) chunks.push(...batch);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

/** Runs bytes through the adapter's decoder and transformer, collecting chunks and the error, if any. */
export async function runStream(
  adapter: ProviderAdapter,
  body: Uint8Array,
  fx: Pick<AdapterFixtures, "target" | "request">,
  chunkSize = 0,
): Promise<StreamResult> {
  // The production path: the same decoder and translator the gateway drives.
  return readChunks(chunked(body, chunkSize), adapter, { request: fx.request, target: fx.target });
}

/** Reassembles streamed tool calls by index, the way OpenAI clients do. */
export function assembleToolCalls(
  choices: ChunkChoice[],
): { id?: string; name?: string; arguments: string }[] {
  const calls: { id?: string; name?: string; arguments: string }[] = [];
  for (const choice of choices) {
    for (const delta of choice.delta.tool_calls ?? []) {
      const call = calls[delta.index] ?? { arguments: "" };
      calls[delta.index] = call;
      if (delta.id) call.id ??= delta.id;
      if (delta.function?.name) call.name = (call.name ?? "") + delta.function.name;
      if (delta.function?.arguments) call.arguments += delta.function.arguments;
    }
  }
  return calls;
}

/** The text of the `reasoning.text` details, joined in order. */
function textOfDetails(details: readonly ReasoningDetail[]): string {
  return details
    .filter((d) => d.type === "reasoning.text")
    .map((d) => d.text ?? "")
    .join("");
}

function summarize(chunks: ProviderChunk[]) {
  const choices = chunks.flatMap((c) => c.choices);
  return {
    choices,
    text: choices.map((c) => c.delta.content ?? "").join(""),
    reasoning: choices.map((c) => c.delta.reasoning ?? "").join(""),
    finishes: choices.filter((c) => c.finish_reason !== null),
    usages: chunks.filter((c) => c.usage !== undefined).map((c) => c.usage),
    toolCalls: assembleToolCalls(choices),
  };
}

/**
 * Opens a stream on a copy of the request that nothing else holds, and reads its first batch
 * with the body still open: what a held stream keeps of the request that started it.
 */
async function openOnOwnRequest(adapter: ProviderAdapter, body: Uint8Array, fx: AdapterFixtures) {
  const request = structuredClone(fx.request);
  const held = new WeakRef(request);
  const open = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(body) });
  const source = chunkSource(open, adapter, { request, target: fx.target });
  const first = await source.next();
  return { held, source, first };
}

export function runAdapterSuite(adapter: ProviderAdapter, fx: AdapterFixtures): void {
  describe(`${adapter.name} adapter contract`, () => {
    const served = fx.streams.find((stream) => !("error" in stream.expect));
    if (served) {
      // A stream lives for minutes; its prompt can be megabytes, and a thousand open streams
      // must not hold a thousand prompts.
      it(`an open stream keeps no reference to its request (${served.name})`, async () => {
        const { held, source, first } = await openOnOwnRequest(adapter, served.body, fx);
        await collectGarbage();
        expect(first?.length).toBeGreaterThan(0);
        expect(held.deref()).toBeUndefined();
        source.cancel();
      });
    }

    for (const stream of fx.streams) {
      describe(`stream ${stream.name}`, () => {
        it.each(CHUNKINGS)("translates the recording cut every %i bytes the same way", async (size) => {
          const whole = await runStream(adapter, stream.body, fx, 0);
          const cut = await runStream(adapter, stream.body, fx, size);
          expect(cut.chunks).toEqual(whole.chunks);
          expect(String(cut.error)).toEqual(String(whole.error));
        });

        if ("error" in stream.expect) {
          const expected = stream.expect.error;
          it("ends in a GatewayError with the right retryability", async () => {
            const { error } = await runStream(adapter, stream.body, fx);
            expect(error).toBeInstanceOf(GatewayError);
            const err = error as GatewayError;
            expect(err.retryable).toBe(expected.retryable);
            if (expected.type) expect(err.type).toBe(expected.type);
          });
          if (expected.usage) {
            it("reports the usage the provider sent, once, before the error", async () => {
              const { chunks } = await runStream(adapter, stream.body, fx);
              const { usages } = summarize(chunks);
              expect(usages.length).toBe(1);
              const usage = usageSchema.parse(usages[0]);
              expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
            });
          }
          return;
        }
        const expected = stream.expect;

        it("emits only valid chunk choices", async () => {
          const { chunks, error } = await runStream(adapter, stream.body, fx);
          expect(error).toBeUndefined();
          for (const chunk of chunks) for (const choice of chunk.choices) chunkChoiceSchema.parse(choice);
        });

        it("emits exactly one finish_reason per choice, on its last chunk", async () => {
          const { chunks } = await runStream(adapter, stream.body, fx);
          const { choices, finishes } = summarize(chunks);
          const indices = new Set(choices.map((c) => c.index));
          expect(finishes.length).toBe(indices.size);
          for (const finish of finishes) {
            expect(FINISH_REASONS).toContain(finish.finish_reason);
            const later = choices.slice(choices.indexOf(finish) + 1).filter((c) => c.index === finish.index);
            expect(later).toEqual([]);
          }
          expect(finishes.find((f) => f.index === 0)?.finish_reason).toBe(expected.finishReason);
        });

        if (expected.usage !== false) {
          it("reports usage exactly once, consistently", async () => {
            const { chunks } = await runStream(adapter, stream.body, fx);
            const { usages } = summarize(chunks);
            expect(usages.length).toBe(1);
            const usage = usageSchema.parse(usages[0]);
            expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
          });
        }

        if (expected.toolCalls !== undefined) {
          it(`assembles ${expected.toolCalls} tool call(s) with ids, names and JSON arguments`, async () => {
            const { chunks } = await runStream(adapter, stream.body, fx);
            const { toolCalls } = summarize(chunks);
            expect(toolCalls.length).toBe(expected.toolCalls);
            for (const call of toolCalls) {
              expect(call.id).toBeTruthy();
              expect(call.name).toBeTruthy();
              if (expected.finishReason !== "length")
                expect(() => JSON.parse(call.arguments || "{}")).not.toThrow();
            }
          });
        }
        if (expected.text) {
          it("carries the text", async () => {
            expect(summarize((await runStream(adapter, stream.body, fx)).chunks).text.length).toBeGreaterThan(
              0,
            );
          });
        }
        if (expected.reasoning) {
          it("carries the reasoning", async () => {
            const { chunks } = await runStream(adapter, stream.body, fx);
            const { reasoning, choices } = summarize(chunks);
            const details = choices.flatMap((c) => c.delta.reasoning_details ?? []);
            expect(reasoning.length + details.length).toBeGreaterThan(0);
          });
          // API.md b6: reasoning goes to delta.reasoning *and* delta.reasoning_details.
          it("mirrors the reasoning text in reasoning.text details", async () => {
            const { chunks } = await runStream(adapter, stream.body, fx);
            const { reasoning, choices } = summarize(chunks);
            const details = choices.flatMap((c) => c.delta.reasoning_details ?? []);
            expect(textOfDetails(details)).toBe(reasoning);
          });
        }
      });
    }

    for (const completion of fx.completions) {
      it(`translates the completion ${completion.name}`, () => {
        const out = adapter.fromProviderResponse(completion.body, { request: fx.request, target: fx.target });
        const choice = out.choices[0];
        expect(choice).toBeDefined();
        for (const c of out.choices) choiceSchema.parse(c);
        expect(choice?.finish_reason).toBe(completion.expect.finishReason);
        if (completion.expect.usage !== false) {
          const usage = usageSchema.parse(out.usage);
          expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
        }
        if (completion.expect.toolCalls !== undefined) {
          const calls = choice?.message.tool_calls ?? [];
          expect(calls.length).toBe(completion.expect.toolCalls);
          for (const call of calls) {
            expect(call.id).toBeTruthy();
            expect(() => JSON.parse(call.function.arguments)).not.toThrow();
          }
        }
        if (completion.expect.text) expect(choice?.message.content?.length ?? 0).toBeGreaterThan(0);
        if (completion.expect.reasoning) {
          expect(
            (choice?.message.reasoning?.length ?? 0) + (choice?.message.reasoning_details?.length ?? 0),
          ).toBeGreaterThan(0);
          // API.md b6: reasoning goes to message.reasoning *and* message.reasoning_details.
          expect(textOfDetails(choice?.message.reasoning_details ?? [])).toBe(
            choice?.message.reasoning ?? "",
          );
        }
      });
    }

    for (const fixture of fx.errors) {
      it(`maps the error ${fixture.name} (${fixture.status}) to ${fixture.retryable ? "a retryable" : "a final"} error`, () => {
        const err = adapter.toGatewayError(
          fixture.status,
          fixture.bodyText,
          fixture.headers ?? new Headers(),
          fx.target,
        );
        expect(err).toBeInstanceOf(GatewayError);
        expect(err.retryable).toBe(fixture.retryable);
        if (fixture.type) expect(err.type).toBe(fixture.type);
        if (fixture.retryAfter !== undefined) expect(err.meta.retryAfter).toBe(fixture.retryAfter);
        expect(err.message.length).toBeGreaterThan(0);
        expect(err.meta.raw ?? "").not.toContain(fx.target.apiKey ?? "\u0000never");
      });
    }
  });
}

/** A target for adapter tests: a fake key that must never appear in what the adapter emits. */
export function testTarget(overrides: Partial<Target> & Pick<Target, "provider" | "endpoint">): Target {
  return { apiKey: "sk-test-SECRET-0123456789abcdef", secret: () => undefined, ...overrides };
}
