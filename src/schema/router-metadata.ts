/**
 * `openrouter_metadata`: what the router did for one answer, sent only when the client opts in
 * with `X-OpenRouter-Metadata: enabled` (API.md b1, b7, b8). The wire names and types are those
 * of OpenRouter's SDK (`@openrouter/sdk` models `OpenRouterMetadata`, `EndpointsMetadata`,
 * `RouterAttempt`, `PipelineStage`); the enums list only the values this gateway emits, which
 * are a subset of OpenRouter's (its SDK reads them as open enums).
 */
import { z } from "@hono/zod-openapi";
import { JSON_REPAIRS } from "../transforms/json-repair";

/**
 * OpenRouter's `RoutingStrategy` values that describe our routing: one model (`direct`), its
 * `:free` variant (`free`), or a `models` list tried in order (`fallback`).
 */
export const routingStrategySchema = z.enum(["direct", "free", "fallback"]);
export type RoutingStrategy = z.infer<typeof routingStrategySchema>;

/** Middle-out cut the prompt (API.md b5.7), with its counts before and after. */
const contextCompressionStageSchema = z.object({
  type: z.literal("context_compression"),
  name: z.literal("context-compression"),
  summary: z.string().optional(),
  data: z.object({
    engine: z.literal("middle-out"),
    input_type: z.literal("messages"),
    original_count: z.number().int(),
    compressed_count: z.number().int(),
    /** Switchyard: estimated prompt tokens before and after, and messages cut in their middle. */
    original_tokens: z.number().int(),
    compressed_tokens: z.number().int(),
    truncated_messages: z.number().int(),
  }),
});

/**
 * The response-healing plugin found the answer's content was not JSON as it stood (OpenRouter's
 * `response_healing` stage type): how many choices it repaired, how many it had to leave as the
 * model wrote them, and what kinds of repair it made.
 */
const responseHealingStageSchema = z.object({
  type: z.literal("response_healing"),
  name: z.literal("response-healing"),
  summary: z.string().optional(),
  data: z.object({
    healed_choices: z.number().int(),
    unrepairable_choices: z.number().int(),
    repairs: z.array(z.enum(JSON_REPAIRS)),
  }),
});

export const pipelineStageSchema = z.discriminatedUnion("type", [
  contextCompressionStageSchema,
  responseHealingStageSchema,
]);
export type PipelineStage = z.infer<typeof pipelineStageSchema>;

export const routerMetadataSchema = z
  .object({
    requested: z.string().openapi({ description: "The model the client asked for (the first of `models`)." }),
    strategy: routingStrategySchema,
    region: z.string().nullable(),
    summary: z.string().openapi({ example: "available=2, selected=OpenAI" }),
    attempt: z.number().int().openapi({ description: "1-based number of the attempt that served." }),
    is_byok: z.boolean(),
    endpoints: z.object({
      total: z.number().int(),
      available: z.array(z.object({ provider: z.string(), model: z.string(), selected: z.boolean() })),
    }),
    attempts: z.array(z.object({ provider: z.string(), model: z.string(), status: z.number().int() })),
    pipeline: z.array(pipelineStageSchema),
    generation_time: z
      .number()
      .int()
      .optional()
      .openapi({ description: "Milliseconds from dispatching the upstream request to the end of its body." }),
  })
  .openapi("OpenRouterMetadata");
export type RouterMetadata = z.infer<typeof routerMetadataSchema>;
