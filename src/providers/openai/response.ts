/** A non-streaming OpenAI-dialect body → the gateway's choices and usage. */
import { GatewayError } from "../../errors";
import type { Choice } from "../../schema/chat-completion";
import type { ToolCall } from "../../schema/chat-request";
import type { CallContext, ProviderCompletion } from "../types";
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
import { parseWireCompletion, type WireToolCall, wireErrorSchema } from "./wire";

/**
 * Every call gets an id, `type: "function"` and arguments that parse: vendors answer a call of a
 * parameterless tool with `""` (vercel/ai#6687), which clients' JSON.parse rejects, so it becomes `{}`.
 */
function toToolCall(call: WireToolCall, position: number): ToolCall {
  const args = call.function?.arguments;
  return {
    id: call.id || `call_${position}`,
    type: "function",
    function: { name: call.function?.name ?? "", arguments: args && args.trim() !== "" ? args : "{}" },
  };
}

export function fromProviderResponse(body: unknown, ctx: CallContext): ProviderCompletion {
  const name = ctx.target.provider.name;
  // Some OpenAI-compatible servers (OpenRouter among them) answer 200 with an error body.
  // Only then is zod asked: its failure on a body without `error` built a ZodError per request.
  const maybeError = typeof body === "object" && body !== null && "error" in body ? body.error : undefined;
  if (maybeError) {
    const asError = wireErrorSchema.safeParse(maybeError);
    if (asError.success) throw inBandError(asError.data, JSON.stringify(body), ctx.target);
  }
  const parsed = parseWireCompletion(body);
  if (!parsed.success) {
    throw new GatewayError(502, "provider_unavailable", `${name} returned a malformed completion`, {
      provider: name,
      cause: parsed.error,
    });
  }
  const wire = parsed.data;
  const hideReasoning = reasoningExcluded(ctx.request);

  const choices = wire.choices.map((c, position): Choice => {
    const msg = c.message;
    const split = splitContent(msg.content);
    const toolCalls = (msg.tool_calls ?? []).map(toToolCall);
    const reasoning = split.reasoning ?? reasoningOf(msg);
    const details = reasoningDetailsOf(msg.reasoning_details);
    const message: Choice["message"] = { role: "assistant", content: split.content ?? null };
    if (msg.refusal !== undefined) message.refusal = msg.refusal;
    if (!hideReasoning) {
      if (reasoning !== undefined) message.reasoning = reasoning;
      if (details) message.reasoning_details = details;
      else if (reasoning) message.reasoning_details = plainReasoningDetails(reasoning);
    }
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    if (msg.annotations) message.annotations = msg.annotations;
    // A whole body is a finished answer even when a local server leaves finish_reason out.
    const raw = c.finish_reason ?? null;
    return {
      index: c.index ?? position,
      message,
      finish_reason: mapFinishReason(raw ?? "stop", toolCalls.length > 0),
      native_finish_reason: raw,
      logprobs: c.logprobs ?? null,
    };
  });

  return {
    choices,
    usage: wire.usage ? normalizeUsage(wire.usage) : undefined,
    upstreamId: wire.id ?? undefined,
    systemFingerprint: wire.system_fingerprint,
    serviceTier: wire.service_tier,
    rawUsage: wire.usage ?? undefined,
  };
}
