/**
 * ChatRequest → Converse request body (the same body serves Converse and ConverseStream).
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_RequestSyntax
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html
 */
import type { ChatRequest, Tool } from "../../schema/chat-request";
import { effortBudget } from "../reasoning-effort";
import type { Target } from "../types";
import { type BedrockMessage, type SystemBlock, toConverseMessages } from "./messages";
import { isClaude } from "./reasoning-format";

interface ToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: unknown } };
}
type ToolChoice =
  | { auto: Record<string, never> }
  | { any: Record<string, never> }
  | { tool: { name: string } };

export interface ConverseRequest {
  messages: BedrockMessage[];
  system?: SystemBlock[];
  inferenceConfig: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: { tools: ToolSpec[]; toolChoice?: ToolChoice };
  additionalModelRequestFields?: Record<string, unknown>;
}

const EMPTY_SCHEMA = { type: "object", properties: {} };

function toolSpec(tool: Tool): ToolSpec {
  const { name, description, parameters } = tool.function;
  return {
    toolSpec: {
      name,
      // Converse rejects an empty description, so an absent or blank one is left out.
      ...(description ? { description } : {}),
      inputSchema: { json: parameters ?? EMPTY_SCHEMA },
    },
  };
}

function toolChoice(choice: ChatRequest["tool_choice"]): ToolChoice | undefined {
  if (choice === undefined || choice === "none") return undefined;
  if (choice === "auto") return { auto: {} };
  if (choice === "required") return { any: {} };
  return { tool: { name: choice.function.name } };
}

/**
 * `toolConfig`, or undefined. Converse has no "none" tool choice, so `none` omits the tools and
 * the model cannot call any — except when the history holds toolUse/toolResult blocks: Converse
 * then rejects a request without `toolConfig` ("The toolConfig field must be defined when using
 * toolUse and toolResult content blocks"), so the tools stay, without a toolChoice. For the same
 * reason, a history with tool calls but no `tools` gets placeholder specs named after those calls.
 */
function toolConfig(req: ChatRequest, messages: BedrockMessage[]): ConverseRequest["toolConfig"] {
  const historyNames = new Set<string>();
  let historyUsesTools = false;
  for (const message of messages) {
    for (const block of message.content) {
      if ("toolUse" in block) historyNames.add(block.toolUse.name);
      if ("toolUse" in block || "toolResult" in block) historyUsesTools = true;
    }
  }
  if (req.tool_choice === "none" && !historyUsesTools) return undefined;
  let tools = (req.tools ?? []).map(toolSpec);
  if (tools.length === 0 && historyUsesTools) {
    tools = [...historyNames].map((name) => ({ toolSpec: { name, inputSchema: { json: EMPTY_SCHEMA } } }));
  }
  if (tools.length === 0) return undefined;
  const choice = toolChoice(req.tool_choice);
  return { tools, ...(choice ? { toolChoice: choice } : {}) };
}

/** Share of the output budget spent thinking, per effort (API.md b6). */
/** Anthropic's minimum thinking budget. */
const MIN_BUDGET = 1024;
const DEFAULT_OUTPUT = 8192;

/**
 * Claude's extended thinking budget for this request, or undefined for no thinking. Only Claude
 * takes `thinking` through `additionalModelRequestFields`; other Bedrock models either always
 * reason (DeepSeek R1) or use their own fields, so the request is left alone for them.
 */
function thinkingBudget(req: ChatRequest, target: Target, maxTokens: number | undefined): number | undefined {
  if (!isClaude(target.endpoint.providerModelId)) return undefined;
  const r = req.reasoning;
  const effort = r?.effort ?? req.reasoning_effort;
  if (effort === "none" || r?.enabled === false) return undefined;
  if (r?.max_tokens) return Math.max(MIN_BUDGET, r.max_tokens);
  if (effort === undefined && r?.enabled !== true && req.include_reasoning !== true) return undefined;
  const base = maxTokens ?? target.endpoint.maxCompletionTokens ?? DEFAULT_OUTPUT;
  return Math.max(MIN_BUDGET, effortBudget(effort, base));
}

export function toConverseRequest(req: ChatRequest, target: Target): ConverseRequest {
  const { system, messages } = toConverseMessages(req.messages);
  let maxTokens = req.max_completion_tokens ?? req.max_tokens ?? undefined;
  const budget = thinkingBudget(req, target, maxTokens);
  const additional: Record<string, unknown> = {};
  const inference: ConverseRequest["inferenceConfig"] = {};

  if (budget !== undefined) {
    // Claude needs max_tokens > budget_tokens. Without a max, the effort base becomes the max;
    // with one too small for the budget, the asked-for output is granted on top of the thinking.
    const base = maxTokens ?? target.endpoint.maxCompletionTokens ?? DEFAULT_OUTPUT;
    maxTokens = base > budget ? base : budget + base;
    additional.thinking = { type: "enabled", budget_tokens: budget };
    // Thinking is incompatible with temperature and top_k, and allows top_p only in [0.95, 1].
    if (typeof req.top_p === "number" && req.top_p >= 0.95) inference.topP = req.top_p;
  } else {
    if (typeof req.temperature === "number") inference.temperature = req.temperature;
    if (typeof req.top_p === "number") inference.topP = req.top_p;
    // Converse has no top_k; Anthropic's models take it by their own name in the passthrough.
    if (typeof req.top_k === "number") additional.top_k = req.top_k;
  }
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  if (typeof req.stop === "string") inference.stopSequences = [req.stop];
  else if (Array.isArray(req.stop) && req.stop.length > 0) inference.stopSequences = req.stop;

  const tools = toolConfig(req, messages);
  return {
    messages,
    ...(system.length > 0 ? { system } : {}),
    inferenceConfig: inference,
    ...(tools ? { toolConfig: tools } : {}),
    ...(Object.keys(additional).length > 0 ? { additionalModelRequestFields: additional } : {}),
  };
}
