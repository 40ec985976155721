/**
 * A non-streaming Messages API body → one OpenAI choice.
 * @see https://docs.anthropic.com/en/api/messages#response-content
 */
import { GatewayError } from "../../errors";
import type { Choice } from "../../schema/chat-completion";
import type { ReasoningDetail, ToolCall } from "../../schema/chat-request";
import type { CallContext, ProviderCompletion } from "../types";
import { mapFinishReason } from "./finish-reason";
import { jsonModeTool } from "./json-mode";
import { reasoningEncrypted, reasoningText } from "./reasoning-details";
import { reasoningExcluded } from "./thinking";
import { mapUsage } from "./usage";
import {
  messageSchema,
  redactedThinkingBlockSchema,
  textBlockSchema,
  thinkingBlockSchema,
  toolUseBlockSchema,
  type WireMessage,
} from "./wire";

function unreadable(ctx: CallContext, cause: unknown): GatewayError {
  return new GatewayError(502, "provider_unavailable", "Anthropic returned a message we could not read", {
    provider: ctx.target.provider.name,
    cause,
  });
}

export function fromMessagesResponse(body: unknown, ctx: CallContext): ProviderCompletion {
  const parsed = messageSchema.safeParse(body);
  if (!parsed.success) throw unreadable(ctx, parsed.error);
  try {
    return translate(parsed.data, ctx);
  } catch (error) {
    throw error instanceof GatewayError ? error : unreadable(ctx, error);
  }
}

function translate(message: WireMessage, ctx: CallContext): ProviderCompletion {
  const json = jsonModeTool(ctx.request);
  let text = "";
  let jsonText: string | undefined;
  let reasoning = "";
  const details: ReasoningDetail[] = [];
  const toolCalls: ToolCall[] = [];

  for (const block of message.content ?? []) {
    // Blocks of other types (compaction, server tool results, …) have no chat equivalent.
    if (block.type === "text") {
      text += textBlockSchema.parse(block).text;
    } else if (block.type === "tool_use") {
      const call = toolUseBlockSchema.parse(block);
      const args = JSON.stringify(call.input ?? {});
      if (json && call.name === json.name) jsonText = args;
      else toolCalls.push({ id: call.id, type: "function", function: { name: call.name, arguments: args } });
    } else if (block.type === "thinking") {
      const thinking = thinkingBlockSchema.parse(block);
      reasoning += thinking.thinking;
      details.push(reasoningText(details.length, thinking.thinking, thinking.signature ?? undefined));
    } else if (block.type === "redacted_thinking") {
      details.push(reasoningEncrypted(details.length, redactedThinkingBlockSchema.parse(block).data));
    }
  }

  const native = message.stop_reason ?? null;
  // In JSON mode the forced tool call *is* the answer: its input is the content, and it ends normally.
  const answeredJson = jsonText !== undefined && toolCalls.length === 0;
  const choice: Choice = {
    index: 0,
    message: {
      role: "assistant",
      content: jsonText ?? (text === "" && toolCalls.length > 0 ? null : text),
    },
    finish_reason: native === null ? null : answeredJson ? "stop" : mapFinishReason(native),
    native_finish_reason: native,
    logprobs: null,
  };
  if (!reasoningExcluded(ctx.request)) {
    if (reasoning !== "") choice.message.reasoning = reasoning;
    if (details.length > 0) choice.message.reasoning_details = details;
  }
  if (toolCalls.length > 0) choice.message.tool_calls = toolCalls;

  return {
    choices: [choice],
    usage: message.usage ? mapUsage(message.usage) : undefined,
    upstreamId: message.id ?? undefined,
    rawUsage: message.usage ?? undefined,
  };
}
