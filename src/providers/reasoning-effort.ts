/**
 * OpenRouter's reasoning effort → a thinking-token budget, shared by the adapters whose
 * providers take budgets rather than effort names (Anthropic, Gemini, Bedrock).
 * @see https://openrouter.ai/docs/use-cases/reasoning-tokens (API.md b6)
 */
import type { ChatRequest } from "../schema/chat-request";

export type Effort = NonNullable<NonNullable<ChatRequest["reasoning"]>["effort"]>;

/** Share of the output budget given to thinking per effort ("none" turns thinking off). */
export const EFFORT_SHARE: Readonly<Record<Exclude<Effort, "none">, number>> = {
  max: 0.95,
  xhigh: 0.95,
  high: 0.8,
  medium: 0.5,
  low: 0.2,
  minimal: 0.1,
};

/** The thinking budget for `effort` (medium when unset) out of `maxTokens`. */
export function effortBudget(effort: Exclude<Effort, "none"> | undefined, maxTokens: number): number {
  return Math.floor(maxTokens * EFFORT_SHARE[effort ?? "medium"]);
}
