import type { ChatRequest } from "../../schema/chat-request";
import { effortBudget } from "../reasoning-effort";
import type { EndpointInfo } from "../types";
import type { ThinkingParam } from "./wire";

/** Anthropic's smallest accepted `budget_tokens`. */
export const MIN_THINKING_BUDGET = 1024;
/** `max_tokens` is mandatory upstream; without thinking we ask for at most this by default. */
export const DEFAULT_MAX_TOKENS = 4096;
/** Default ceiling with thinking on: room for a medium budget and an answer, not the model's 64k. */
export const DEFAULT_MAX_TOKENS_THINKING = 16_000;

export interface TokenPlan {
  maxTokens: number;
  thinking?: ThinkingParam | undefined;
}

/**
 * Whether the request asks for thinking: any `reasoning` object or effort turns it on (an empty
 * one and `enabled: true` mean medium), `enabled: false` or effort `none` turn it off. `exclude`
 * still thinks; it only hides the reasoning from the answer (see `reasoningExcluded`).
 */
function thinkingRequested(req: ChatRequest): boolean {
  const effort = req.reasoning?.effort ?? req.reasoning_effort;
  if (req.reasoning?.enabled === false || effort === "none") return false;
  return req.reasoning !== undefined || effort !== undefined || req.include_reasoning === true;
}

/** True when the client wants thinking done but not shown (`reasoning.exclude`, `include_reasoning: false`). */
export function reasoningExcluded(req: ChatRequest): boolean {
  return req.reasoning?.exclude === true || req.include_reasoning === false;
}

/**
 * `max_tokens` and `thinking` together, since Anthropic requires `max_tokens > budget_tokens`.
 * The budget is `reasoning.max_tokens`, or the effort's share of max_tokens, at least 1024. When
 * the client's max_tokens would not exceed the budget, it is kept as the answer's room on top of
 * the budget; the sum never exceeds the endpoint's output limit.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size
 */
export function planTokens(req: ChatRequest, endpoint: EndpointInfo): TokenPlan {
  const requested = req.max_tokens ?? req.max_completion_tokens ?? undefined;
  const limit = endpoint.maxCompletionTokens ?? undefined;
  if (!thinkingRequested(req)) {
    return { maxTokens: requested ?? Math.min(limit ?? DEFAULT_MAX_TOKENS, DEFAULT_MAX_TOKENS) };
  }
  let maxTokens = requested ?? Math.min(limit ?? DEFAULT_MAX_TOKENS_THINKING, DEFAULT_MAX_TOKENS_THINKING);
  const effort = req.reasoning?.effort ?? req.reasoning_effort;
  let budget = Math.max(
    MIN_THINKING_BUDGET,
    req.reasoning?.max_tokens ?? effortBudget(effort === "none" ? undefined : effort, maxTokens),
  );
  if (maxTokens <= budget) maxTokens += budget;
  if (limit !== undefined && maxTokens > limit) {
    maxTokens = limit;
    budget = Math.min(budget, maxTokens - MIN_THINKING_BUDGET);
  }
  // An endpoint too small to hold a minimal budget plus an answer: answer without thinking.
  if (budget < MIN_THINKING_BUDGET) return { maxTokens };
  return { maxTokens, thinking: { type: "enabled", budget_tokens: budget } };
}
