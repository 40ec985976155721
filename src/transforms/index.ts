/**
 * Prompt transforms as the request path sees them: whether a request asked for context
 * compression on a given endpoint, and fitting a request to that endpoint's window.
 */
import type { CompressionReport } from "../db/schema.ts";
import type { ChatRequest, Message } from "../schema/chat-request.ts";
import { middleOut } from "./middle-out.ts";
import { countMessageTokens, countTextTokens, countToolTokens, REPLY_PRIMING_TOKENS } from "./tokens.ts";

export { type MiddleOutOptions, type MiddleOutResult, middleOut } from "./middle-out.ts";
export { countMessageTokens, countPromptTokens, countTextTokens } from "./tokens.ts";

const PLUGIN_ID = "context-compression";
const ENGINE = "middle-out";
/** OpenRouter compresses by default on endpoints this small or smaller (API.md b5.1). */
export const DEFAULT_ON_MAX_CONTEXT = 8_192;

/**
 * Whether middle-out applies to `req` on an endpoint with `endpointContext` tokens, of a model
 * producing `outputModalities`. Never for a model whose output is images only: cutting its prompt
 * would drop the reference images it works from (API.md b5.6); text+image models still compress.
 * Otherwise `plugins: [{id: "context-compression"}]` (current form; `enabled: false` turns it off,
 * `engine` defaults to middle-out, any other engine is not ours) wins over the legacy
 * `transforms`, where `["middle-out"]` turns it on and any other list (including `[]`) turns it
 * off. With neither, it is on for endpoints of at most 8,192 tokens, as on OpenRouter (b5.1).
 */
export function compressionRequested(
  req: ChatRequest,
  endpointContext: number,
  outputModalities: readonly string[],
): boolean {
  if (outputModalities.length > 0 && outputModalities.every((m) => m === "image")) return false;
  const plugin = req.plugins?.find((p) => p.id === PLUGIN_ID);
  if (plugin) return plugin.enabled !== false && (plugin.engine === undefined || plugin.engine === ENGINE);
  if (req.transforms) return req.transforms.includes(ENGINE);
  return endpointContext <= DEFAULT_ON_MAX_CONTEXT;
}

export type FitOptions = {
  contextLength: number;
  /** The endpoint's output cap, used for the default completion reserve. */
  maxCompletionTokens?: number | null | undefined;
  /** The endpoint's message-count limit (Anthropic: 1000). */
  maxMessages?: number | null | undefined;
  /** Per-message counter; defaults to the conservative estimator in tokens.ts. */
  countTokens?: ((message: Message) => number) | undefined;
};

export type FitResult = {
  /** `req` itself when it already fitted, otherwise a copy with compressed messages. */
  request: ChatRequest;
  /** What middle-out did; absent when nothing had to change. */
  report?: CompressionReport;
  /** Estimated prompt tokens of `request` (messages, tools, schema, reply priming). */
  promptTokens: number;
  /** False when even the kept minimum does not fit: send it and let the provider decide, or 400. */
  fits: boolean;
};

/** When the client sets no max_tokens, reserve at most this many (OpenRouter-like default). */
export const DEFAULT_COMPLETION_RESERVE = 1_024;

/**
 * The completion tokens to keep free. The client's `max_tokens` (or `max_completion_tokens`)
 * when given, since the provider reserves exactly that. Otherwise min(endpoint cap or 1,024,
 * 25% of the context): reserving the endpoint's whole output cap (often the whole context)
 * would leave no room for the prompt, while a quarter of the window still leaves most of it
 * to the conversation and room for a normal-length answer.
 */
export function completionReserve(
  req: ChatRequest,
  contextLength: number,
  maxCompletionTokens?: number | null,
) {
  const requested = req.max_tokens ?? req.max_completion_tokens;
  if (requested != null) return requested;
  return Math.min(maxCompletionTokens ?? DEFAULT_COMPLETION_RESERVE, Math.floor(contextLength / 4));
}

/**
 * Fits `req` into an endpoint's context: messages get what is left after the completion
 * reserve, the tool definitions, a JSON schema response format and the reply priming, and
 * middle-out runs when they do not fit (or exceed `maxMessages`). Pure.
 */
export function fitToContext(req: ChatRequest, opts: FitOptions): FitResult {
  const countTokens = opts.countTokens ?? countMessageTokens;
  let fixed = REPLY_PRIMING_TOKENS;
  if (req.tools) fixed += countToolTokens(req.tools);
  if (req.response_format?.type === "json_schema") {
    fixed += countTextTokens(JSON.stringify(req.response_format.json_schema));
  }
  const reserve = completionReserve(req, opts.contextLength, opts.maxCompletionTokens);
  const budgetTokens = opts.contextLength - reserve - fixed;
  const result = middleOut(req.messages, {
    budgetTokens,
    countTokens,
    maxMessages: opts.maxMessages ?? undefined,
  });
  const promptTokens = fixed + result.report.tokensOut;
  if (!result.changed) return { request: req, promptTokens, fits: true };
  const request: ChatRequest = { ...req, messages: result.messages };
  // A prompt cut for length leaves the answer the room kept for it, no more: an adapter's own
  // default (Anthropic's 4,096) on top of it would overflow the window. (Cut only for the
  // endpoint's message count, the prompt is short and the answer keeps its usual limit.)
  const cutForLength = result.report.tokensIn > budgetTokens;
  if (cutForLength && req.max_tokens == null && req.max_completion_tokens == null)
    request.max_tokens = reserve;
  return {
    request,
    report: result.report,
    promptTokens,
    fits: result.fits,
  };
}
