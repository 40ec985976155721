/**
 * ChatRequest → `POST /v1/messages`. Parameters Anthropic cannot express (seed, logit_bias,
 * penalties, n, logprobs, …) are dropped here; refusing them under `require_parameters` is the
 * router's job, from the catalog's `supportedParameters`.
 *
 * @see https://docs.anthropic.com/en/api/messages
 */
import type { ChatRequest, Tool, ToolChoice } from "../../schema/chat-request";
import type { Target, UpstreamRequest } from "../types";
import { jsonModeTool } from "./json-mode";
import { cacheControlOf, toConversation } from "./messages";
import { planTokens } from "./thinking";
import type { MessagesRequest, ToolChoiceParam, ToolParam } from "./wire";

export const ANTHROPIC_VERSION = "2023-06-01";

function toTool(tool: Tool): ToolParam {
  const out: ToolParam = {
    name: tool.function.name,
    // Anthropic requires an object schema even for a tool without parameters.
    input_schema: tool.function.parameters ?? { type: "object", properties: {} },
  };
  if (tool.function.description) out.description = tool.function.description;
  const cache = cacheControlOf(tool.cache_control);
  if (cache) out.cache_control = cache;
  return out;
}

/**
 * OpenAI tool_choice → Anthropic's. `parallel_tool_calls: false` becomes
 * `disable_parallel_tool_use`, which Anthropic accepts on every form but `none`.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/tool-use/implement-tool-use#forcing-tool-use
 */
export function toToolChoice(
  choice: ToolChoice | undefined,
  parallel: boolean | null | undefined,
): ToolChoiceParam | undefined {
  if (choice === "none") return { type: "none" };
  let out: Exclude<ToolChoiceParam, { type: "none" }> | undefined;
  if (choice === "required") out = { type: "any" };
  else if (choice === "auto") out = { type: "auto" };
  else if (choice !== undefined) out = { type: "tool", name: choice.function.name };
  if (parallel === false) out = { ...(out ?? { type: "auto" }), disable_parallel_tool_use: true };
  return out;
}

function stopSequences(stop: ChatRequest["stop"]): string[] | undefined {
  if (stop === null || stop === undefined) return undefined;
  // Anthropic rejects stop sequences that are only whitespace.
  const list = (typeof stop === "string" ? [stop] : stop).filter((s) => s.trim() !== "");
  return list.length > 0 ? list : undefined;
}

/** The pure body builder, exported for tests. */
export function toMessagesRequest(req: ChatRequest, target: Target, stream: boolean): MessagesRequest {
  const { system, messages } = toConversation(req.messages);
  const plan = planTokens(req, target.endpoint);
  const body: MessagesRequest = {
    model: target.endpoint.providerModelId,
    max_tokens: plan.maxTokens,
    messages,
  };
  if (stream) body.stream = true;

  const json = jsonModeTool(req);
  const tools = json ? [] : (req.tools ?? []).map(toTool);
  if (json) {
    tools.push({ name: json.name, description: json.description, input_schema: json.inputSchema });
    if (plan.thinking) {
      // Thinking forbids forcing a tool, so the model is asked to call it instead.
      system.push({ type: "text", text: `Respond only by calling the ${json.name} tool.` });
      body.tool_choice = { type: "auto" };
    } else {
      body.tool_choice = { type: "tool", name: json.name };
    }
  } else if (tools.length > 0) {
    const choice = toToolChoice(req.tool_choice, req.parallel_tool_calls);
    if (choice) body.tool_choice = choice;
  }
  if (tools.length > 0) body.tools = tools;
  if (system.length > 0) body.system = system;

  if (plan.thinking) {
    // Thinking rejects temperature and top_k changes, and top_p below 0.95.
    body.thinking = plan.thinking;
    if (req.top_p != null && req.top_p >= 0.95) body.top_p = req.top_p;
  } else {
    // OpenAI's range is 0–2, Anthropic's 0–1: clamp rather than earn a 400.
    if (req.temperature != null) body.temperature = Math.min(req.temperature, 1);
    if (req.top_p != null) body.top_p = req.top_p;
    // top_k 0 means "off" in OpenAI-style APIs; Anthropic wants a positive value or nothing.
    if (req.top_k != null && req.top_k > 0) body.top_k = req.top_k;
  }
  const stops = stopSequences(req.stop);
  if (stops) body.stop_sequences = stops;
  if (req.user) body.metadata = { user_id: req.user };
  // Top-level cache_control: Anthropic places the breakpoint itself (automatic prompt caching).
  const cache = cacheControlOf(req.cache_control);
  if (cache) body.cache_control = cache;
  return body;
}

export function toUpstreamRequest(req: ChatRequest, target: Target, stream: boolean): UpstreamRequest {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "anthropic-version": ANTHROPIC_VERSION,
  };
  if (target.apiKey !== undefined) headers["x-api-key"] = target.apiKey;
  const beta = target.provider.config.beta;
  if (typeof beta === "string" && beta !== "") headers["anthropic-beta"] = beta;
  return {
    url: `${target.provider.baseUrl.replace(/\/+$/, "")}/v1/messages`,
    headers,
    body: JSON.stringify(toMessagesRequest(req, target, stream)),
  };
}
