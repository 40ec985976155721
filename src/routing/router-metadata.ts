/**
 * Router metadata (OpenRouter's `X-OpenRouter-Metadata: enabled`): the opt-in and the
 * `openrouter_metadata` object of a served answer, built from the plan, the attempt log and
 * what middle-out did. Pure; it names providers by display name and models by id, never a
 * base URL or a secret.
 */
import type { CompressionReport, GenerationAttempt } from "../db/schema";
import type { ChatRequest } from "../schema/chat-request";
import type { PipelineStage, RouterMetadata, RoutingStrategy } from "../schema/router-metadata";
import type { HealingReport } from "../transforms/response-healing";
import { type Attempt, parseModelId, requestedModels } from "./plan";

/**
 * Whether the client asked for `openrouter_metadata`: `X-OpenRouter-Metadata` (or the older
 * `X-OpenRouter-Experimental-Metadata`) set to `enabled`, in any case. Anything else, `disabled`
 * included, is off (OpenRouter's rule). Without either header it costs two header reads.
 */
export function routerMetadataRequested(headers: Headers): boolean {
  const value = headers.get("x-openrouter-metadata") ?? headers.get("x-openrouter-experimental-metadata");
  return value !== null && value.length === 7 && value.toLowerCase() === "enabled";
}

/** `fallback` for a `models` list of several, `free` for a `:free` model, else `direct`. */
export function routingStrategy(request: ChatRequest): RoutingStrategy {
  const models = requestedModels(request);
  if (models.length > 1) return "fallback";
  return parseModelId(models[0] ?? "").variant === "free" ? "free" : "direct";
}

export interface RouterMetadataInput {
  /** The model the client asked for (the first of `models`). */
  requested: string;
  strategy: RoutingStrategy;
  /** The plan: every endpoint the router would have tried, in order. */
  candidates: readonly Attempt[];
  /** The attempt that served (one of `candidates`). */
  served: Attempt;
  /** Every attempt made, the serving one last. */
  log: readonly GenerationAttempt[];
  /** What middle-out did to the request the serving attempt sent, if it cut anything. */
  compression: CompressionReport | undefined;
  /** What response healing did to the answer, if its content was not JSON as it stood. */
  healing?: HealingReport | undefined;
  /** From dispatching the serving attempt to the end of its body. */
  generationTimeMs: number;
}

export function buildRouterMetadata(input: RouterMetadataInput): RouterMetadata {
  const { candidates, served } = input;
  const available = candidates.map((c) => ({
    provider: c.provider.name,
    model: c.modelId,
    selected: c === served,
  }));
  // The log names providers by slug (as the generation record does); the metadata by name.
  const nameOf = (slug: string) => candidates.find((c) => c.provider.slug === slug)?.provider.name ?? slug;
  const attempts = input.log.map((a) => ({
    provider: nameOf(a.provider),
    model: a.model,
    status: a.status ?? 0,
  }));
  // In the order the stages ran: the prompt's compression, then the answer's healing.
  const pipeline: PipelineStage[] = [];
  if (input.compression) pipeline.push(compressionStage(input.compression));
  if (input.healing) pipeline.push(healingStage(input.healing));
  return {
    requested: input.requested,
    strategy: input.strategy,
    region: null,
    summary: `available=${available.length}, selected=${served.provider.name}`,
    attempt: attempts.length,
    is_byok: served.byok !== undefined,
    endpoints: { total: available.length, available },
    attempts,
    pipeline,
    generation_time: Math.max(0, Math.round(input.generationTimeMs)),
  };
}

function compressionStage(report: CompressionReport): PipelineStage {
  return {
    type: "context_compression",
    name: "context-compression",
    summary: `middle-out: messages ${report.messagesIn}->${report.messagesOut}, tokens ${report.tokensIn}->${report.tokensOut}`,
    data: {
      engine: report.engine,
      input_type: "messages",
      original_count: report.messagesIn,
      compressed_count: report.messagesOut,
      original_tokens: report.tokensIn,
      compressed_tokens: report.tokensOut,
      truncated_messages: report.truncatedMessages,
    },
  };
}

function healingStage(report: HealingReport): PipelineStage {
  const of = `of ${report.choices} choice${report.choices === 1 ? "" : "s"}`;
  const parts = [
    ...(report.healed ? [`repaired ${report.healed} ${of} (${report.repairs.join(", ")})`] : []),
    ...(report.unrepairable ? [`could not repair ${report.unrepairable} ${of}`] : []),
  ];
  return {
    type: "response_healing",
    name: "response-healing",
    summary: parts.join("; "),
    data: {
      healed_choices: report.healed,
      unrepairable_choices: report.unrepairable,
      repairs: report.repairs,
    },
  };
}
