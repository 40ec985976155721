/**
 * Converse (non-streaming) body → ProviderCompletion: text blocks join into `content`,
 * `toolUse` blocks become tool_calls (input object → JSON string), `reasoningContent` blocks
 * become `reasoning` plus verbatim `reasoning_details` (signature / redacted data kept).
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax
 */
import { GatewayError } from "../../errors";
import type { AssistantMessage } from "../../schema/chat-completion";
import type { ReasoningDetail, ToolCall } from "../../schema/chat-request";
import type { CallContext, ProviderCompletion } from "../types";
import { mapFinishReason } from "./finish-reason";
import { hidesReasoning, reasoningFormat } from "./reasoning-format";
import { mapUsage } from "./usage";
import { converseResponseWire } from "./wire";

export function fromProviderResponse(body: unknown, ctx: CallContext): ProviderCompletion {
  const parsed = converseResponseWire.safeParse(body);
  if (!parsed.success) {
    throw new GatewayError(502, "provider_unavailable", "Bedrock returned an unreadable Converse response", {
      provider: ctx.target.provider.name,
      retryable: true,
      cause: parsed.error,
    });
  }
  const res = parsed.data;
  const format = reasoningFormat(ctx.target.endpoint.providerModelId);
  const hideReasoning = hidesReasoning(ctx.request);
  let text = "";
  let reasoning = "";
  const toolCalls: ToolCall[] = [];
  const details: ReasoningDetail[] = [];

  for (const block of res.output?.message?.content ?? []) {
    if (typeof block.text === "string") text += block.text;
    if (block.toolUse) {
      toolCalls.push({
        id: block.toolUse.toolUseId,
        type: "function",
        function: { name: block.toolUse.name, arguments: JSON.stringify(block.toolUse.input ?? {}) },
      });
    }
    const rc = hideReasoning ? undefined : block.reasoningContent;
    if (rc?.reasoningText) {
      const t = rc.reasoningText.text ?? "";
      reasoning += t;
      details.push({
        type: "reasoning.text",
        text: t,
        ...(rc.reasoningText.signature ? { signature: rc.reasoningText.signature } : {}),
        format,
        index: details.length,
      });
    }
    if (rc?.redactedContent) {
      details.push({ type: "reasoning.encrypted", data: rc.redactedContent, format, index: details.length });
    }
  }

  const message: AssistantMessage = {
    role: "assistant",
    content: text.length > 0 || toolCalls.length === 0 ? text : null,
    refusal: null,
    reasoning: reasoning.length > 0 ? reasoning : null,
    ...(details.length > 0 ? { reasoning_details: details } : {}),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
  return {
    choices: [
      {
        index: 0,
        message,
        finish_reason: mapFinishReason(res.stopReason),
        native_finish_reason: res.stopReason ?? null,
        logprobs: null,
      },
    ],
    usage: res.usage ? mapUsage(res.usage) : undefined,
    rawUsage: res.usage ?? undefined,
  };
}
