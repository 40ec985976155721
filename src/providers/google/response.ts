/**
 * A `generateContent` body → choices. Each candidate becomes a choice; its parts are sorted into
 * content, reasoning (thought parts), tool calls and thought signatures.
 *
 * @see https://ai.google.dev/api/generate-content#generatecontentresponse
 */
import { GatewayError } from "../../errors";
import type { Choice } from "../../schema/chat-completion";
import type { ReasoningDetail, ToolCall } from "../../schema/chat-request";
import type { CallContext, ProviderCompletion } from "../types";
import { mapFinishReason } from "./finish-reason";
import { signatureDetail, textDetail } from "./reasoning";
import { toUsage } from "./usage";
import { generateContentResponseSchema, type WireCandidate } from "./wire";

/**
 * Gemini's function calls carry no id (Vertex sometimes sends one), so we make one that is
 * stable for a response: the same call gets the same id however the stream is cut.
 */
export function toolCallId(responseId: string | null | undefined, n: number): string {
  return `call_${responseId ?? "gemini"}_${n}`;
}

function toChoice(
  candidate: WireCandidate,
  position: number,
  responseId: string | null | undefined,
  counter: { n: number },
): Choice {
  let text = "";
  let reasoning = "";
  const details: ReasoningDetail[] = [];
  const toolCalls: ToolCall[] = [];

  for (const part of candidate.content?.parts ?? []) {
    let callId: string | undefined;
    if (part.functionCall) {
      callId = part.functionCall.id ?? toolCallId(responseId, counter.n++);
      toolCalls.push({
        id: callId,
        type: "function",
        function: {
          name: part.functionCall.name ?? "",
          arguments: JSON.stringify(part.functionCall.args ?? {}),
        },
      });
    } else if (part.thought && part.text) {
      reasoning += part.text;
      // Consecutive thought parts are one summary, as a stream would assemble them.
      const last = details.at(-1);
      if (last?.type === "reasoning.text") last.text = (last.text ?? "") + part.text;
      else details.push(textDetail(part.text, details.length));
    } else if (part.text) {
      text += part.text;
    }
    if (part.thoughtSignature) details.push(signatureDetail(part.thoughtSignature, details.length, callId));
  }

  const raw = candidate.finishReason ?? null;
  return {
    index: candidate.index ?? position,
    message: {
      role: "assistant",
      // No parts at all (SAFETY, or MAX_TOKENS spent on thinking: fixtures generate-finish-safety.json,
      // generate-finish-max-tokens-no-parts.json) is an empty answer, not a missing one.
      content: text || (toolCalls.length > 0 ? null : ""),
      reasoning: reasoning || null,
      ...(details.length > 0 && { reasoning_details: details }),
      ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
    },
    finish_reason: mapFinishReason(raw ?? "STOP", toolCalls.length > 0),
    native_finish_reason: raw,
    logprobs: null,
  };
}

export function fromProviderResponse(body: unknown, ctx: CallContext): ProviderCompletion {
  const parsed = generateContentResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new GatewayError(
      502,
      "provider_unavailable",
      "Gemini returned a response the gateway cannot read",
      {
        provider: ctx.target.provider.name,
        cause: parsed.error,
      },
    );
  }
  const res = parsed.data;
  const counter = { n: 0 };
  const choices = (res.candidates ?? []).map((c, i) => toChoice(c, i, res.responseId, counter));

  if (choices.length === 0) {
    const blocked = res.promptFeedback?.blockReason;
    if (!blocked) {
      throw new GatewayError(502, "provider_unavailable", "Gemini returned no candidates", {
        provider: ctx.target.provider.name,
      });
    }
    // The prompt itself was refused: an empty, filtered answer rather than an error.
    choices.push({
      index: 0,
      message: { role: "assistant", content: "" },
      finish_reason: "content_filter",
      native_finish_reason: blocked,
      logprobs: null,
    });
  }

  return {
    choices,
    usage: toUsage(res.usageMetadata),
    upstreamId: res.responseId ?? undefined,
    rawUsage: res.usageMetadata ?? undefined,
  };
}
