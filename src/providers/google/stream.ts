/**
 * `streamGenerateContent?alt=sse` events → chunks. Every Gemini event is a whole
 * GenerateContentResponse holding the *new* parts of each candidate, so each event becomes at
 * most one chunk with one choice per candidate. Gemini repeats `usageMetadata` (cumulative) on
 * every event: we keep the last and emit it once, on its own chunk, when the stream ends.
 *
 * @see https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 */
import { GatewayError } from "../../errors";
import type { ChunkChoice, Delta, ToolCallDelta, Usage } from "../../schema/chat-completion";
import type { ReasoningDetail } from "../../schema/chat-request";
import type { CallContext, StreamTranslator, Target } from "../types";
import { parseGoogleError, toGatewayError } from "./errors";
import { mapFinishReason } from "./finish-reason";
import { applyPartialArgs } from "./partial-args";
import { signatureDetail, textDetail } from "./reasoning";
import { toolCallId } from "./response";
import { toUsage } from "./usage";
import {
  generateContentResponseSchema,
  type WireCandidate,
  type WireFunctionCall,
  type WireResponse,
} from "./wire";

/** A function call whose arguments are still arriving as `partialArgs`. */
interface OpenCall {
  index: number;
  id: string;
  args: Record<string, unknown>;
}

/** What we remember about one candidate (one choice) between events. */
interface CandidateState {
  started: boolean;
  finished: boolean;
  toolCalls: number;
  details: number;
  /** Index of the reasoning.text detail consecutive thought parts extend, if the last part was a thought. */
  thoughtDetail: number | undefined;
  openCall: OpenCall | undefined;
}

/** The delta being built for one candidate from one event. */
interface DeltaParts {
  content: string;
  reasoning: string;
  details: ReasoningDetail[];
  toolCalls: ToolCallDelta[];
}

function upstreamError(target: Target, message: string, cause?: unknown): GatewayError {
  return new GatewayError(502, "provider_unavailable", message, {
    provider: target.provider.name,
    retryable: true,
    cause,
  });
}

/** Reads what it needs of `ctx` here: the closures below live as long as the stream, and the request must not. */
export function createStreamTransformer(ctx: CallContext): StreamTranslator {
  const { target } = ctx;
  const candidates = new Map<number, CandidateState>();
  let responseId: string | undefined;
  let callCounter = 0;
  let usage: Usage | undefined;
  let rawUsage: unknown;

  const stateOf = (index: number): CandidateState => {
    let state = candidates.get(index);
    if (!state) {
      state = {
        started: false,
        finished: false,
        toolCalls: 0,
        details: 0,
        thoughtDetail: undefined,
        openCall: undefined,
      };
      candidates.set(index, state);
    }
    return state;
  };

  const closeCall = (state: CandidateState, out: DeltaParts) => {
    const call = state.openCall;
    if (!call) return;
    out.toolCalls.push({ index: call.index, function: { arguments: JSON.stringify(call.args) } });
    state.openCall = undefined;
  };

  /** One functionCall part: a whole call, or the start, middle or end of a streamed one. Returns its id. */
  const onFunctionCall = (
    state: CandidateState,
    fc: WireFunctionCall,
    out: DeltaParts,
  ): string | undefined => {
    if (state.openCall) {
      // A part without a name continues the open call; one with a name starts the next.
      if (!fc.name) {
        const id = state.openCall.id;
        applyPartialArgs(state.openCall.args, fc.partialArgs ?? []);
        if (!fc.willContinue) closeCall(state, out);
        return id;
      }
      closeCall(state, out);
    }
    // `functionCall: {}` with nothing open: the terminator of a call already closed.
    if (!fc.name && !fc.args && !fc.partialArgs?.length) return undefined;

    const index = state.toolCalls++;
    const id = fc.id ?? toolCallId(responseId, callCounter++);
    const args = { ...(fc.args ?? {}) };
    applyPartialArgs(args, fc.partialArgs ?? []);
    if (fc.willContinue) {
      // Vertex partial-args streaming (vertex-stream-function-call-partial-args.chunks.jsonl): name
      // and id now, the arguments as one piece when the call ends, so they are always valid JSON.
      state.openCall = { index, id, args };
      out.toolCalls.push({ index, id, type: "function", function: { name: fc.name ?? "", arguments: "" } });
    } else {
      out.toolCalls.push({
        index,
        id,
        type: "function",
        function: { name: fc.name ?? "", arguments: JSON.stringify(args) },
      });
    }
    return id;
  };

  const toChunkChoice = (candidate: WireCandidate, position: number): ChunkChoice | undefined => {
    const index = candidate.index ?? position;
    const state = stateOf(index);
    const out: DeltaParts = { content: "", reasoning: "", details: [], toolCalls: [] };

    for (const part of candidate.content?.parts ?? []) {
      let callId: string | undefined;
      if (part.functionCall) {
        callId = onFunctionCall(state, part.functionCall, out);
        state.thoughtDetail = undefined;
      } else if (part.thought && part.text) {
        out.reasoning += part.text;
        // Consecutive thought parts share one detail index, so a client merging by index gets one summary.
        state.thoughtDetail ??= state.details++;
        out.details.push(textDetail(part.text, state.thoughtDetail));
      } else if (part.text) {
        out.content += part.text;
        state.thoughtDetail = undefined;
      }
      if (part.thoughtSignature) {
        out.details.push(signatureDetail(part.thoughtSignature, state.details++, callId));
        state.thoughtDetail = undefined;
      }
    }

    const raw = candidate.finishReason;
    if (raw) {
      closeCall(state, out);
      state.finished = true;
    }
    const delta: Delta = {};
    if (out.content) delta.content = out.content;
    if (out.reasoning) delta.reasoning = out.reasoning;
    if (out.details.length > 0) delta.reasoning_details = out.details;
    if (out.toolCalls.length > 0) delta.tool_calls = out.toolCalls;
    if (!raw && Object.keys(delta).length === 0) return undefined;

    if (!state.started) {
      state.started = true;
      delta.role = "assistant";
    }
    return {
      index,
      delta,
      finish_reason: raw ? mapFinishReason(raw, state.toolCalls > 0) : null,
      native_finish_reason: raw ?? null,
      logprobs: null,
    };
  };

  const onResponse = (res: WireResponse): ChunkChoice[] => {
    responseId ??= res.responseId ?? undefined;
    const counted = toUsage(res.usageMetadata);
    if (counted) {
      usage = counted;
      rawUsage = res.usageMetadata;
    }
    const choices = (res.candidates ?? []).flatMap((c, i) => toChunkChoice(c, i) ?? []);
    const blocked = res.promptFeedback?.blockReason;
    if (blocked && !res.candidates?.length) {
      // The prompt was refused before any candidate (fixture stream-prompt-blocked-safety.sse):
      // an empty, filtered answer, not an exception.
      const state = stateOf(0);
      state.finished = true;
      choices.push({
        index: 0,
        delta: { ...(!state.started && { role: "assistant" as const }), content: "" },
        finish_reason: "content_filter",
        native_finish_reason: blocked,
        logprobs: null,
      });
      state.started = true;
    }
    return choices;
  };

  return {
    transform(event, controller) {
      if (event.data === "[DONE]" || event.data.trim() === "") return;
      let json: unknown;
      try {
        json = JSON.parse(event.data);
      } catch (cause) {
        throw upstreamError(target, "Gemini sent a stream event that is not JSON", cause);
      }
      // An error inside a 200 stream (`{error}` or `[{error}]`), e.g. RESOURCE_EXHAUSTED mid-answer.
      const error = parseGoogleError(json);
      if (error) throw toGatewayError(error.code ?? 500, event.data, new Headers(), target);

      const parsed = generateContentResponseSchema.safeParse(json);
      if (!parsed.success)
        throw upstreamError(target, "Gemini sent a stream event the gateway cannot read", parsed.error);
      const choices = onResponse(parsed.data);
      if (choices.length > 0) controller.enqueue({ choices, upstreamId: responseId });
    },
    flush(controller) {
      const states = [...candidates.values()];
      if (states.length === 0 || states.some((s) => !s.finished)) {
        throw upstreamError(target, "Gemini's stream ended before a finish reason");
      }
      if (usage) controller.enqueue({ choices: [], usage, upstreamId: responseId, rawUsage });
    },
  };
}
