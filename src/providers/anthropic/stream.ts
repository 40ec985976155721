/**
 * Anthropic stream events → OpenAI chunks. Per-request state lives in the closure.
 *
 * Order on the wire: message_start (id, input usage) → per block content_block_start / _delta… /
 * _stop → message_delta (stop_reason, cumulative usage) → message_stop; `ping` anywhere.
 * We emit the finish chunk at message_delta and the single usage chunk at message_stop
 * (or at the end of a stream that stops after message_delta). A stream that fails emits the
 * usage reported so far just before its error, so the gateway records real counts.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#event-types
 */
import { GatewayError } from "../../errors";
import type { Delta, FinishReason } from "../../schema/chat-completion";
import type { CallContext, ProviderChunk, RawEvent, StreamTranslator, Target } from "../types";
import { streamError } from "./errors";
import { mapFinishReason } from "./finish-reason";
import { jsonModeTool } from "./json-mode";
import { reasoningEncrypted, reasoningText } from "./reasoning-details";
import { reasoningExcluded } from "./thinking";
import { mapUsage, mergeUsage } from "./usage";
import {
  inputJsonDeltaSchema,
  redactedThinkingBlockSchema,
  STREAM_EVENT_TYPES,
  type StreamEvent,
  signatureDeltaSchema,
  streamEventSchema,
  textBlockSchema,
  textDeltaSchema,
  thinkingBlockSchema,
  thinkingDeltaSchema,
  toolUseBlockSchema,
  type WireUsage,
} from "./wire";

/** What each content block index turned out to be, so its deltas land in the right field. */
type Block =
  | { kind: "text" }
  | { kind: "tool"; toolIndex: number; hasArgs: boolean }
  | { kind: "json"; hasArgs: boolean }
  | { kind: "thinking"; reasoningIndex: number }
  | { kind: "other" };

function malformed(target: Target, detail: string, cause?: unknown): GatewayError {
  return new GatewayError(502, "provider_unavailable", `Anthropic sent a malformed stream event: ${detail}`, {
    provider: target.provider.name,
    retryable: true,
    cause,
  });
}

/** Parses one SSE event; undefined for events we skip (`ping`, types Anthropic adds later). */
function parseEvent(raw: RawEvent, target: Target): StreamEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw.data);
  } catch (cause) {
    throw malformed(target, "not JSON", cause);
  }
  const type = typeof json === "object" && json !== null && "type" in json ? json.type : raw.event;
  if (typeof type !== "string" || !STREAM_EVENT_TYPES.has(type)) return undefined;
  const parsed = streamEventSchema.safeParse(json);
  if (!parsed.success) throw malformed(target, type, parsed.error);
  return parsed.data;
}

function nonEmptyObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.keys(value).length > 0;
}

/** Reads what it needs of `ctx` here: the closures below live as long as the stream, and the request must not. */
export function createAnthropicStream(ctx: CallContext): StreamTranslator {
  const { target } = ctx;
  const json = jsonModeTool(ctx.request);
  const showReasoning = !reasoningExcluded(ctx.request);
  const blocks = new Map<number, Block>();
  let upstreamId: string | undefined;
  let usage: WireUsage | undefined;
  let toolCount = 0;
  let reasoningCount = 0;
  let jsonAnswered = false;
  let stopReason: string | undefined;
  let ended = false;

  const chunk = (delta: Delta, finish?: FinishReason, native?: string): ProviderChunk => ({
    choices: [{ index: 0, delta, finish_reason: finish ?? null, native_finish_reason: native ?? null }],
    upstreamId,
  });

  function* onBlockStart(index: number, raw: { type: string }): Generator<ProviderChunk> {
    switch (raw.type) {
      case "text": {
        blocks.set(index, { kind: "text" });
        const { text } = textBlockSchema.parse(raw);
        if (text !== "") yield chunk({ content: text });
        return;
      }
      case "tool_use": {
        const call = toolUseBlockSchema.parse(raw);
        // A start block normally has `input: {}` and the arguments follow as deltas.
        const args = nonEmptyObject(call.input) ? JSON.stringify(call.input) : "";
        if (json && call.name === json.name) {
          blocks.set(index, { kind: "json", hasArgs: args !== "" });
          jsonAnswered = true;
          if (args !== "") yield chunk({ content: args });
          return;
        }
        const toolIndex = toolCount++;
        blocks.set(index, { kind: "tool", toolIndex, hasArgs: args !== "" });
        yield chunk({
          tool_calls: [
            {
              index: toolIndex,
              id: call.id,
              type: "function",
              function: { name: call.name, arguments: args },
            },
          ],
        });
        return;
      }
      case "thinking": {
        const reasoningIndex = reasoningCount++;
        blocks.set(index, { kind: "thinking", reasoningIndex });
        const { thinking } = thinkingBlockSchema.parse(raw);
        if (thinking !== "" && showReasoning) {
          yield chunk({ reasoning: thinking, reasoning_details: [reasoningText(reasoningIndex, thinking)] });
        }
        return;
      }
      case "redacted_thinking": {
        // Arrives whole in the start event (stream-redacted-thinking.sse); no deltas follow.
        const reasoningIndex = reasoningCount++;
        blocks.set(index, { kind: "other" });
        const { data } = redactedThinkingBlockSchema.parse(raw);
        if (showReasoning) yield chunk({ reasoning_details: [reasoningEncrypted(reasoningIndex, data)] });
        return;
      }
      default:
        // compaction (stream-cache-read-compaction.sse), server tool blocks, …: nothing to show.
        blocks.set(index, { kind: "other" });
    }
  }

  function* onBlockDelta(index: number, raw: { type: string }): Generator<ProviderChunk> {
    const block = blocks.get(index) ?? { kind: "other" };
    switch (raw.type) {
      case "text_delta": {
        const { text } = textDeltaSchema.parse(raw);
        if (text !== "") yield chunk({ content: text });
        return;
      }
      case "input_json_delta": {
        // The first fragment is often empty (stream-tool-use.sse); emit only real text.
        const { partial_json } = inputJsonDeltaSchema.parse(raw);
        if (partial_json === "") return;
        if (block.kind === "json") {
          block.hasArgs = true;
          yield chunk({ content: partial_json });
        } else if (block.kind === "tool") {
          block.hasArgs = true;
          yield chunk({ tool_calls: [{ index: block.toolIndex, function: { arguments: partial_json } }] });
        }
        return;
      }
      case "thinking_delta": {
        // stream-thinking.sse ends its thinking with an empty delta before the signature.
        const { thinking } = thinkingDeltaSchema.parse(raw);
        if (thinking === "" || block.kind !== "thinking" || !showReasoning) return;
        yield chunk({
          reasoning: thinking,
          reasoning_details: [reasoningText(block.reasoningIndex, thinking)],
        });
        return;
      }
      case "signature_delta": {
        const { signature } = signatureDeltaSchema.parse(raw);
        if (block.kind !== "thinking" || !showReasoning) return;
        yield chunk({ reasoning_details: [reasoningText(block.reasoningIndex, undefined, signature)] });
        return;
      }
      default:
      // citations_delta, compaction_delta and future kinds carry nothing we emit.
    }
  }

  /** A tool without parameters streams no argument text at all (stream-tool-use-no-args.chunks.jsonl). */
  function* onBlockStop(index: number): Generator<ProviderChunk> {
    const block = blocks.get(index);
    if (block?.kind === "tool" && !block.hasArgs) {
      block.hasArgs = true;
      yield chunk({ tool_calls: [{ index: block.toolIndex, function: { arguments: "{}" } }] });
    } else if (block?.kind === "json" && !block.hasArgs) {
      block.hasArgs = true;
      yield chunk({ content: "{}" });
    }
  }

  function* onEvent(event: StreamEvent, raw: RawEvent): Generator<ProviderChunk> {
    switch (event.type) {
      case "message_start":
        upstreamId = event.message.id ?? undefined;
        if (event.message.usage) usage = mergeUsage(usage, event.message.usage);
        yield chunk({ role: "assistant", content: "" });
        return;
      case "content_block_start":
        yield* onBlockStart(event.index, event.content_block);
        return;
      case "content_block_delta":
        yield* onBlockDelta(event.index, event.delta);
        return;
      case "content_block_stop":
        yield* onBlockStop(event.index);
        return;
      case "message_delta": {
        if (event.usage) usage = mergeUsage(usage, event.usage);
        const reason = event.delta.stop_reason;
        if (reason && stopReason === undefined) {
          stopReason = reason;
          // In JSON mode the forced tool call is the answer, so the turn ended normally.
          const finish = jsonAnswered && toolCount === 0 ? "stop" : mapFinishReason(reason);
          yield chunk({}, finish, reason);
        }
        return;
      }
      case "message_stop":
        yield* end();
        return;
      case "error": {
        // message_start already reported the input side (and the cache); keep it, not an estimate.
        ended = true;
        const reported = usageChunk();
        if (reported) yield reported;
        throw streamError(event, target, raw.data);
      }
      default:
        return assertNever(event);
    }
  }

  /** What Anthropic reported so far: message_start's input side, the last message_delta's output. */
  function usageChunk(): ProviderChunk | undefined {
    return usage ? { choices: [], usage: mapUsage(usage), upstreamId, rawUsage: usage } : undefined;
  }

  /**
   * The usage chunk, once; a stream that never said why it stopped was cut off upstream, and
   * fails after the usage it had reported.
   */
  function* end(): Generator<ProviderChunk> {
    if (ended) return;
    ended = true;
    const reported = usageChunk();
    if (reported) yield reported;
    if (stopReason === undefined) {
      throw new GatewayError(
        502,
        "provider_unavailable",
        "Anthropic stream ended before the message finished",
        {
          provider: target.provider.name,
          retryable: true,
        },
      );
    }
  }

  return {
    transform(raw, controller) {
      if (ended) return;
      const event = parseEvent(raw, target);
      if (event === undefined) return;
      try {
        for (const out of onEvent(event, raw)) controller.enqueue(out);
      } catch (error) {
        // A known block or delta type that fails its schema is an upstream error too.
        throw error instanceof GatewayError ? error : malformed(target, event.type, error);
      }
    },
    // stream-tool-use-truncated-max-tokens.sse style endings: message_delta seen, message_stop missing.
    flush(controller) {
      for (const out of end()) controller.enqueue(out);
    },
  };
}

function assertNever(value: never): never {
  throw new Error(`unhandled Anthropic event ${JSON.stringify(value)}`);
}
