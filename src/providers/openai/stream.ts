/**
 * OpenAI-dialect SSE events → ProviderChunks. Per-request state lives in this closure:
 * which choices have finished, how many tool calls each has started, and the latest usage.
 *
 * Guarantees the conformance suite checks: one finish_reason per choice (later duplicates and the
 * empty deltas vendors send after it are dropped), usage emitted once (at `[DONE]` or the end),
 * and an error thrown — never a silent end — for in-band errors and truncated streams.
 */
import { GatewayError } from "../../errors";
import type { ChunkChoice, Delta, ToolCallDelta, Usage } from "../../schema/chat-completion";
import type { CallContext, ChunkSink, ProviderChunk, StreamTranslator } from "../types";
import { inBandError } from "./errors";
import { mapFinishReason } from "./finish-reason";
import {
  plainReasoningDetails,
  reasoningDetailsOf,
  reasoningExcluded,
  reasoningOf,
  splitContent,
} from "./message";
import { normalizeUsage } from "./usage";
import {
  parseWireChunk,
  type WireChunk,
  type WireChunkChoice,
  type WireDelta,
  type WireToolCall,
  wireErrorSchema,
  wireUsageSchema,
} from "./wire";

/** Stands in for a missing `delta`, without a fresh `{}` per choice. */
const NO_DELTA: WireDelta = Object.freeze({});

interface ChoiceState {
  finished: boolean;
  /** Tool calls started so far; the next index-less call gets this index. */
  toolCalls: number;
  /** The index the last delta wrote to, for index-less continuation fragments. */
  lastToolIndex: number;
}

export function createStreamTransformer(ctx: CallContext): StreamTranslator {
  const { target } = ctx;
  const name = target.provider.name;
  const hideReasoning = reasoningExcluded(ctx.request);
  const choices = new Map<number, ChoiceState>();
  let usage: { usage: Usage; raw: unknown } | undefined;
  let upstreamId: string | undefined;
  let systemFingerprint: string | null | undefined;
  let done = false;

  const stateOf = (index: number): ChoiceState => {
    let state = choices.get(index);
    if (!state) {
      state = { finished: false, toolCalls: 0, lastToolIndex: 0 };
      choices.set(index, state);
    }
    return state;
  };

  const malformed = (why: string, cause?: unknown) =>
    new GatewayError(502, "provider_unavailable", `${name} sent a malformed stream: ${why}`, {
      provider: name,
      cause,
    });

  /**
   * Mistral sends whole calls without `index` (fixture mistral/stream-tool-call.chunks.jsonl): a
   * call with an id opens the next index, a fragment without one continues the last.
   */
  function toToolCallDelta(call: WireToolCall, state: ChoiceState): ToolCallDelta {
    let index: number;
    if (call.index !== null && call.index !== undefined) index = call.index;
    else if (call.id) index = state.toolCalls;
    else index = state.lastToolIndex;
    state.lastToolIndex = index;
    state.toolCalls = Math.max(state.toolCalls, index + 1);
    const out: ToolCallDelta = { index };
    if (call.id) out.id = call.id;
    if (call.id || call.type) out.type = "function";
    const fn: NonNullable<ToolCallDelta["function"]> = { arguments: call.function?.arguments ?? "" };
    if (call.function?.name) fn.name = call.function.name;
    out.function = fn;
    return out;
  }

  function toChoice(wire: WireChunkChoice, position: number): ChunkChoice | undefined {
    const index = wire.index ?? position;
    const state = stateOf(index);
    // OpenRouter repeats finish chunks and follows them with empty deltas (fixtures
    // openrouter/stream-mid-stream-error.sse, openrouter/stream-reasoning-usage-cost.sse).
    if (state.finished) return undefined;
    const d = wire.delta ?? NO_DELTA;
    const delta: Delta = {};
    if (d.role === "assistant") delta.role = "assistant";
    const split = splitContent(d.content);
    if (split.content !== undefined) delta.content = split.content;
    if (typeof d.refusal === "string") delta.refusal = d.refusal;
    const reasoning = split.reasoning ?? reasoningOf(d);
    const details = reasoningDetailsOf(d.reasoning_details);
    if (!hideReasoning) {
      if (reasoning !== undefined) delta.reasoning = reasoning;
      // Upstream details pass verbatim; plain text gets its mirror (allocated only when there is text).
      if (details) delta.reasoning_details = details;
      else if (reasoning) delta.reasoning_details = plainReasoningDetails(reasoning);
    }
    if (d.tool_calls && d.tool_calls.length > 0) {
      delta.tool_calls = d.tool_calls.map((call) => toToolCallDelta(call, state));
    }
    const raw = wire.finish_reason ?? null;
    if (raw !== null) state.finished = true;
    const choice: ChunkChoice = {
      index,
      delta,
      finish_reason: raw === null ? null : mapFinishReason(raw, state.toolCalls > 0),
      native_finish_reason: raw,
    };
    if (wire.logprobs !== undefined && wire.logprobs !== null) choice.logprobs = wire.logprobs;
    return choice;
  }

  function translate(chunk: WireChunk): ProviderChunk | undefined {
    if (chunk.id) upstreamId = chunk.id;
    if (chunk.system_fingerprint !== undefined) systemFingerprint = chunk.system_fingerprint;
    // DeepSeek and Mistral put usage on the finish chunk, Groq also under x_groq, OpenAI on a
    // `choices: []` chunk of its own; all are held and emitted once, at the end.
    const wireUsage = chunk.usage ?? chunk.x_groq?.usage;
    if (wireUsage) usage = { usage: normalizeUsage(wireUsage), raw: wireUsage };
    // Azure's leading prompt_filter_results chunk has no choices (fixture
    // openai/azure-chat-stream-reasoning-usage.chunks.jsonl); usage-only chunks wait for the end.
    const wireChoices = chunk.choices;
    if (!wireChoices || wireChoices.length === 0) return undefined;
    const out: ChunkChoice[] = [];
    let position = 0;
    for (const wire of wireChoices) {
      const choice = toChoice(wire, position++);
      if (choice) out.push(choice);
    }
    if (out.length === 0) return undefined;
    return { choices: out, upstreamId, systemFingerprint };
  }

  function usageChunk(): ProviderChunk | undefined {
    if (!usage) return undefined;
    return { choices: [], usage: usage.usage, rawUsage: usage.raw, upstreamId, systemFingerprint };
  }

  /** Choices that never said why they stopped, though the upstream said it was done. */
  function closeOpenChoices(): ProviderChunk | undefined {
    const open = [...choices.entries()].filter(([, s]) => !s.finished);
    if (open.length === 0) return undefined;
    return {
      choices: open.map(([index, s]) => {
        s.finished = true;
        return {
          index,
          delta: {},
          finish_reason: mapFinishReason("stop", s.toolCalls > 0),
          native_finish_reason: null,
        };
      }),
      upstreamId,
      systemFingerprint,
    };
  }

  function finish(controller: ChunkSink) {
    const closing = closeOpenChoices();
    if (closing) controller.enqueue(closing);
    const last = usageChunk();
    if (last) controller.enqueue(last);
  }

  /**
   * Ends the stream with `error`, after the usage reported so far: OpenRouter's in-band error
   * chunk carries the run's usage (fixture openrouter/stream-mid-stream-error.sse), and the
   * gateway records what the provider counted rather than an estimate.
   */
  function fail(error: GatewayError, json: unknown, controller: ChunkSink): never {
    if (typeof json === "object" && json !== null && "usage" in json) {
      const carried = wireUsageSchema.safeParse(json.usage);
      if (carried.success) usage = { usage: normalizeUsage(carried.data), raw: carried.data };
    }
    done = true;
    const last = usageChunk();
    if (last) controller.enqueue(last);
    throw error;
  }

  return {
    transform(event, controller) {
      if (done) return;
      const data = event.data.trim();
      if (data === "[DONE]") {
        // [DONE] marks a complete answer only if something was answered.
        if (choices.size === 0) throw truncated(name, "stream ended without any choice");
        done = true;
        finish(controller);
        return;
      }
      if (data === "") return;
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch (cause) {
        throw malformed("invalid JSON", cause);
      }
      // Groq reports failures as `event: error` on a 200 (fixture groq/stream-error-tool-use-failed.sse).
      if (event.event === "error" || (typeof json === "object" && json !== null && "error" in json)) {
        const payload = typeof json === "object" && json !== null && "error" in json ? json.error : json;
        const parsed = wireErrorSchema.safeParse(payload);
        if (parsed.success && payload) fail(inBandError(parsed.data, data, target), json, controller);
        if (event.event === "error") fail(malformed("unreadable error event"), json, controller);
      }
      const parsed = parseWireChunk(json);
      if (!parsed.success) throw malformed("unexpected chunk shape", parsed.error);
      const out = translate(parsed.data);
      if (out) controller.enqueue(out);
    },
    flush(controller) {
      if (done) return;
      // Without [DONE], every choice must have said why it stopped; otherwise the connection was
      // cut mid-answer and the gateway must not pass the truncation off as a complete answer.
      const unfinished = choices.size === 0 || [...choices.values()].some((s) => !s.finished);
      if (unfinished) throw truncated(name, "stream ended without a finish reason");
      finish(controller);
    },
  };
}

function truncated(provider: string, message: string): GatewayError {
  return new GatewayError(502, "provider_unavailable", `${provider}: ${message}`, {
    provider,
    retryable: true,
  });
}
