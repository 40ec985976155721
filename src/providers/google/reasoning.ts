/**
 * Reasoning, both ways: OpenRouter's `reasoning` request object → Gemini's `thinkingConfig`, and
 * Gemini's thought parts / thought signatures → `reasoning_details` items a client can send back.
 *
 * @see https://ai.google.dev/gemini-api/docs/thinking#set-budget
 * @see https://ai.google.dev/gemini-api/docs/thought-signatures
 */
import type { ChatRequest, ReasoningDetail } from "../../schema/chat-request";
import { effortBudget } from "../reasoning-effort";
import type { Target } from "../types";

/** `reasoning_details[].format` for everything this adapter emits and accepts back (API.md b6). */
export const REASONING_FORMAT = "google-gemini-v1";

/**
 * Budgets every thinking Gemini accepts: 2.5 Flash-Lite needs ≥ 512, 2.5 Pro ≥ 128, and 2.5 Flash
 * caps at 24576 (a budget outside a model's range is a 400, not a clamp).
 */
const MIN_BUDGET = 1024;
const MAX_BUDGET = 24576;

/** Output budget used to size effort when the request sets no max_tokens. */
const DEFAULT_MAX_TOKENS = 8192;

export interface ThinkingConfig {
  thinkingBudget?: number;
  includeThoughts?: boolean;
}

/** `reasoning` / `reasoning_effort` / `include_reasoning` → `thinkingConfig`; undefined leaves the model's default. */
export function thinkingConfig(req: ChatRequest, target: Target): ThinkingConfig | undefined {
  const reasoning = req.reasoning;
  const effort = reasoning?.effort ?? req.reasoning_effort;
  if (reasoning === undefined && effort === undefined && req.include_reasoning === undefined)
    return undefined;

  if (effort === "none" || reasoning?.enabled === false) return { thinkingBudget: 0, includeThoughts: false };

  const config: ThinkingConfig = {
    includeThoughts: reasoning?.exclude !== true && req.include_reasoning !== false,
  };
  if (reasoning?.max_tokens !== undefined) {
    config.thinkingBudget = reasoning.max_tokens;
  } else if (effort !== undefined || reasoning?.enabled === true) {
    const maxTokens =
      req.max_tokens ??
      req.max_completion_tokens ??
      target.endpoint.maxCompletionTokens ??
      DEFAULT_MAX_TOKENS;
    const budget = effortBudget(effort, maxTokens);
    config.thinkingBudget = Math.min(MAX_BUDGET, Math.max(MIN_BUDGET, budget));
  }
  return config;
}

/** A thought-summary part as a `reasoning.text` detail. */
export function textDetail(text: string, index: number): ReasoningDetail {
  return { type: "reasoning.text", text, format: REASONING_FORMAT, index };
}

/**
 * A `thoughtSignature` as a `reasoning.encrypted` detail. `id` is the tool call id when the
 * signature sat on a functionCall part, so the request side can put it back on that call.
 */
export function signatureDetail(signature: string, index: number, toolCallId?: string): ReasoningDetail {
  const detail: ReasoningDetail = {
    type: "reasoning.encrypted",
    data: signature,
    format: REASONING_FORMAT,
    index,
  };
  if (toolCallId !== undefined) detail.id = toolCallId;
  return detail;
}
