/**
 * ChatRequest → an OpenAI-dialect body. The request schema is loose, so fields we do not model
 * (vendor extensions such as vLLM's `guided_json`) pass through untouched; only OpenRouter's own
 * fields, which no upstream understands, are taken out.
 */
import type { ChatRequest, ContentPart, Message } from "../../schema/chat-request";
import type { Target } from "../types";
import { type Effort, quirksFor, type VendorQuirks } from "./vendors";

/** OpenRouter-only fields (API.md b2–b6): routing, plugins and our reasoning shape. */
const OPENROUTER_ONLY = new Set([
  "model",
  "models",
  "provider",
  "route",
  "transforms",
  "plugins",
  "usage",
  "session_id",
  "include_reasoning",
  "reasoning",
  "reasoning_effort",
  "preset",
  "trace",
  "debug",
  // Top-level automatic caching is Anthropic's (its adapter reads it); strict OpenAI-dialect
  // servers reject unknown arguments (API.md b2).
  "cache_control",
  "stop_server_tools_when",
  "stream",
  "stream_options",
]);

/** The effort a request asks for, whichever way it says so (API.md b6). */
export function requestedEffort(req: ChatRequest): Effort | undefined {
  const reasoning = req.reasoning;
  const effort = reasoning?.effort ?? req.reasoning_effort;
  if (effort) return effort;
  if (reasoning?.enabled === false) return "none";
  if (reasoning?.max_tokens) {
    // A token budget has no OpenAI-dialect form: take the effort whose share of the output cap it
    // is nearest (high ≈ 80 %, medium ≈ 50 %, low ≈ 20 %).
    const cap = req.max_completion_tokens ?? req.max_tokens;
    if (!cap) return "medium";
    const share = reasoning.max_tokens / cap;
    return share >= 0.65 ? "high" : share >= 0.35 ? "medium" : "low";
  }
  return reasoning?.enabled ? "medium" : undefined;
}

/** Text parts lose Anthropic-style `cache_control`, which OpenAI-dialect servers reject or ignore. */
function toWireContent(content: string | ContentPart[]): string | Record<string, unknown>[] {
  if (typeof content === "string") return content;
  return content.map((part) => {
    if (part.type !== "text" || part.cache_control === undefined) return part;
    const { cache_control: _dropped, ...rest } = part;
    return rest;
  });
}

function toWireMessage(message: Message, quirks: VendorQuirks): Record<string, unknown> {
  switch (message.role) {
    case "assistant": {
      // Our reasoning fields are not OpenAI's: strict servers (OpenAI, Groq) reject unknown message
      // properties, so they go, and the vendor hook puts back what the vendor wants (DeepSeek).
      const { reasoning: _r, reasoning_content: _rc, reasoning_details: _rd, ...rest } = message;
      const out: Record<string, unknown> = { ...rest, ...quirks.echoReasoning(message) };
      if (rest.content !== undefined && rest.content !== null) out.content = toWireContent(rest.content);
      if (rest.tool_calls)
        out.tool_calls = rest.tool_calls.map((c) => ({ ...c, id: quirks.toolCallId(c.id) }));
      return out;
    }
    case "tool":
      return {
        ...message,
        tool_call_id: quirks.toolCallId(message.tool_call_id),
        content: toWireContent(message.content),
      };
    case "developer":
      return {
        ...message,
        role: quirks.developerRole ? "developer" : "system",
        content: toWireContent(message.content),
      };
    default:
      return { ...message, content: toWireContent(message.content) };
  }
}

/**
 * The upstream body; `model` is left out for protocols that address the model in the URL (Azure).
 * `vendor` picks the quirks when they belong to the protocol rather than the catalog slug.
 */
export function buildBody(
  req: ChatRequest,
  target: Target,
  opts: { stream: boolean; model: boolean; vendor?: string },
): Record<string, unknown> {
  const quirks = quirksFor(opts.vendor ?? target.provider.slug);
  const body: Record<string, unknown> = {};
  if (opts.model) body.model = target.endpoint.providerModelId;
  for (const [key, value] of Object.entries(req)) {
    if (!OPENROUTER_ONLY.has(key) && value !== undefined) body[key] = value;
  }
  body.messages = req.messages.map((m) => toWireMessage(m, quirks));

  // OpenAI reasoning models reject max_tokens (fixture openai/error-400-unsupported-parameter.json).
  if (quirks.maxCompletionTokens && req.max_tokens != null) {
    body.max_completion_tokens ??= req.max_tokens;
    delete body.max_tokens;
  }

  if (target.endpoint.supportedParameters.includes("reasoning")) {
    const effort = requestedEffort(req);
    if (effort) Object.assign(body, quirks.reasoning(effort, target.endpoint.providerModelId, req.reasoning));
  }

  if (opts.stream) {
    body.stream = true;
    if (quirks.streamOptions) body.stream_options = { ...req.stream_options, include_usage: true };
  }
  return body;
}
