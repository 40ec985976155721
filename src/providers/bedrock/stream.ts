/**
 * ConverseStream events → chunks. The order Bedrock sends (fixtures converse-stream-*.events.jsonl):
 * messageStart, per block [contentBlockStart (tool blocks only)] contentBlockDelta… contentBlockStop,
 * messageStop {stopReason}, then metadata {usage}. So the finish chunk goes out on messageStop and
 * the single usage chunk (`choices: []`) on metadata, after it.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html
 */
import type { z } from "zod";
import { GatewayError } from "../../errors";
import type { Delta, FinishReason } from "../../schema/chat-completion";
import type { CallContext, ProviderChunk, RawEvent, StreamTranslator } from "../types";
import { streamExceptionError } from "./errors";
import { mapFinishReason } from "./finish-reason";
import { hidesReasoning, reasoningFormat } from "./reasoning-format";
import { mapUsage } from "./usage";
import {
  contentBlockDeltaWire,
  contentBlockStartWire,
  contentBlockStopWire,
  messageStartWire,
  messageStopWire,
  metadataWire,
} from "./wire";

function choiceChunk(delta: Delta, finish?: { reason: FinishReason; native: string }): ProviderChunk {
  return {
    choices: [
      {
        index: 0,
        delta,
        finish_reason: finish?.reason ?? null,
        native_finish_reason: finish?.native ?? null,
      },
    ],
  };
}

export function createStreamTransformer(ctx: CallContext): StreamTranslator {
  const { target } = ctx;
  const format = reasoningFormat(target.endpoint.providerModelId);
  const hideReasoning = hidesReasoning(ctx.request);
  const upstreamError = (message: string, cause?: unknown) =>
    new GatewayError(502, "provider_unavailable", message, {
      provider: target.provider.name,
      retryable: true,
      cause,
    });
  /** A known event type that is not JSON or fails its schema is an upstream error, not a skip. */
  const read = <T>(schema: z.ZodType<T>, raw: RawEvent): T => {
    let json: unknown;
    try {
      json = JSON.parse(raw.data);
    } catch (cause) {
      throw upstreamError(`Bedrock sent a ${raw.event} event that is not JSON`, cause);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw upstreamError(`Bedrock sent a malformed ${raw.event} event`, parsed.error);
    return parsed.data;
  };

  /**
   * contentBlockIndex → the tool call it streams: its OpenAI tool_calls[].index (numbered 0.. in
   * order of appearance) and whether any argument text went out yet.
   */
  const toolByBlock = new Map<number, { index: number; hasArgs: boolean }>();
  /** contentBlockIndex → reasoning_details[].index, one detail per reasoning block. */
  const reasoningIndexByBlock = new Map<number, number>();
  let stopped = false;
  let usageSent = false;

  const toolOf = (block: number) => {
    let tool = toolByBlock.get(block);
    if (tool === undefined) {
      tool = { index: toolByBlock.size, hasArgs: false };
      toolByBlock.set(block, tool);
    }
    return tool;
  };
  const reasoningIndex = (block: number) => {
    let index = reasoningIndexByBlock.get(block);
    if (index === undefined) {
      index = reasoningIndexByBlock.size;
      reasoningIndexByBlock.set(block, index);
    }
    return index;
  };

  return {
    transform(raw, controller) {
      const name = raw.event ?? "";
      // Exception frames (`throttlingException`, …) and protocol `error` frames end the stream.
      if (name.endsWith("Exception") || name.endsWith("exception")) {
        throw streamExceptionError(name, raw.data, target);
      }
      if (name === "error") throw streamExceptionError("error", raw.data, target);
      switch (name) {
        case "messageStart":
          read(messageStartWire, raw);
          controller.enqueue(choiceChunk({ role: "assistant" }));
          return;
        case "contentBlockStart": {
          const ev = read(contentBlockStartWire, raw);
          const tool = ev.start?.toolUse;
          if (!tool) return;
          controller.enqueue(
            choiceChunk({
              tool_calls: [
                {
                  index: toolOf(ev.contentBlockIndex).index,
                  id: tool.toolUseId,
                  type: "function",
                  function: { name: tool.name, arguments: "" },
                },
              ],
            }),
          );
          return;
        }
        case "contentBlockDelta": {
          const ev = read(contentBlockDeltaWire, raw);
          const { delta, contentBlockIndex: block } = ev;
          if (delta.text) controller.enqueue(choiceChunk({ content: delta.text }));
          if (typeof delta.toolUse?.input === "string" && delta.toolUse.input !== "") {
            const tool = toolOf(block);
            tool.hasArgs = true;
            controller.enqueue(
              choiceChunk({
                tool_calls: [{ index: tool.index, function: { arguments: delta.toolUse.input } }],
              }),
            );
          }
          const rc = hideReasoning ? undefined : delta.reasoningContent;
          if (rc?.text) {
            controller.enqueue(
              choiceChunk({
                reasoning: rc.text,
                reasoning_details: [
                  { type: "reasoning.text", text: rc.text, format, index: reasoningIndex(block) },
                ],
              }),
            );
          }
          // The signature arrives as its own delta after the thinking text (converse-stream-thinking).
          if (rc?.signature) {
            controller.enqueue(
              choiceChunk({
                reasoning_details: [
                  { type: "reasoning.text", signature: rc.signature, format, index: reasoningIndex(block) },
                ],
              }),
            );
          }
          if (rc?.redactedContent) {
            controller.enqueue(
              choiceChunk({
                reasoning_details: [
                  {
                    type: "reasoning.encrypted",
                    data: rc.redactedContent,
                    format,
                    index: reasoningIndex(block),
                  },
                ],
              }),
            );
          }
          return;
        }
        case "contentBlockStop": {
          // A tool without parameters streams an empty input delta, or none, and the client's
          // JSON.parse("") would throw: close it with "{}", as the Anthropic adapter does.
          const { contentBlockIndex: block } = read(contentBlockStopWire, raw);
          const tool = block === null || block === undefined ? undefined : toolByBlock.get(block);
          if (tool && !tool.hasArgs) {
            tool.hasArgs = true;
            controller.enqueue(
              choiceChunk({ tool_calls: [{ index: tool.index, function: { arguments: "{}" } }] }),
            );
          }
          return;
        }
        case "messageStop": {
          const ev = read(messageStopWire, raw);
          stopped = true;
          controller.enqueue(
            choiceChunk({}, { reason: mapFinishReason(ev.stopReason), native: ev.stopReason }),
          );
          return;
        }
        case "metadata": {
          const ev = read(metadataWire, raw);
          if (!ev.usage || usageSent) return;
          usageSent = true;
          controller.enqueue({ choices: [], usage: mapUsage(ev.usage), rawUsage: ev.usage });
          return;
        }
        default:
          return; // an event type newer than this adapter
      }
    },
    flush() {
      if (!stopped) throw upstreamError("Bedrock stream ended before messageStop");
    },
  };
}
