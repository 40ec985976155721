/**
 * Anthropic Messages API wire shapes. What we *receive* is parsed leniently (loose objects,
 * `.nullish()`), because Anthropic adds fields and block types often (`caller`, `stop_details`,
 * `compaction`, `usage.iterations`…). What we *send* is typed exactly, since we build it.
 *
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
import { z } from "zod";

// ---------------------------------------------------------------- received

/** Token counts; message_start carries input, message_delta the cumulative totals. */
const iterationUsageSchema = z.looseObject({
  type: z.string().nullish(),
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
});

export const usageSchema = iterationUsageSchema.extend({
  /** Present when server-side compaction ran a second sampling pass (stream-cache-read-compaction.sse). */
  iterations: z.array(iterationUsageSchema).nullish(),
});
export type WireUsage = z.infer<typeof usageSchema>;

/** A content block as received; its `type` is checked per use, unknown types are skipped. */
export const contentBlockSchema = z.looseObject({ type: z.string() });

export const textBlockSchema = z.looseObject({ type: z.literal("text"), text: z.string() });
export const toolUseBlockSchema = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});
export const thinkingBlockSchema = z.looseObject({
  type: z.literal("thinking"),
  thinking: z.string(),
  signature: z.string().nullish(),
});
export const redactedThinkingBlockSchema = z.looseObject({
  type: z.literal("redacted_thinking"),
  data: z.string(),
});

/** The non-streaming `message` body (and the skeleton in `message_start`). */
export const messageSchema = z.looseObject({
  id: z.string().nullish(),
  type: z.string().nullish(),
  model: z.string().nullish(),
  content: z.array(contentBlockSchema).nullish(),
  stop_reason: z.string().nullish(),
  stop_sequence: z.string().nullish(),
  usage: usageSchema.nullish(),
});
export type WireMessage = z.infer<typeof messageSchema>;

/** Anthropic's error object, both as an HTTP body and as an in-stream `event: error`. */
export const errorBodySchema = z.looseObject({
  type: z.literal("error").nullish(),
  error: z.looseObject({ type: z.string().nullish(), message: z.string().nullish() }),
  request_id: z.string().nullish(),
});
export type WireErrorBody = z.infer<typeof errorBodySchema>;

/** Deltas inside `content_block_delta`; unknown kinds (citations_delta, compaction_delta) are skipped. */
export const textDeltaSchema = z.looseObject({ type: z.literal("text_delta"), text: z.string() });
export const inputJsonDeltaSchema = z.looseObject({
  type: z.literal("input_json_delta"),
  partial_json: z.string(),
});
export const thinkingDeltaSchema = z.looseObject({ type: z.literal("thinking_delta"), thinking: z.string() });
export const signatureDeltaSchema = z.looseObject({
  type: z.literal("signature_delta"),
  signature: z.string(),
});

/** The stream events we act on. Any other `type` (ping, future events) is skipped before parsing. */
export const streamEventSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("message_start"), message: messageSchema }),
  z.looseObject({
    type: z.literal("content_block_start"),
    index: z.number(),
    content_block: contentBlockSchema,
  }),
  z.looseObject({
    type: z.literal("content_block_delta"),
    index: z.number(),
    delta: z.looseObject({ type: z.string() }),
  }),
  z.looseObject({ type: z.literal("content_block_stop"), index: z.number() }),
  z.looseObject({
    type: z.literal("message_delta"),
    delta: z.looseObject({ stop_reason: z.string().nullish(), stop_sequence: z.string().nullish() }),
    usage: usageSchema.nullish(),
  }),
  z.looseObject({ type: z.literal("message_stop") }),
  errorBodySchema.extend({ type: z.literal("error") }),
]);
export type StreamEvent = z.infer<typeof streamEventSchema>;
export const STREAM_EVENT_TYPES: ReadonlySet<string> = new Set(
  streamEventSchema.options.map((o) => o.shape.type.value),
);

// ---------------------------------------------------------------- sent

export interface CacheControl {
  type: "ephemeral";
  ttl?: "5m" | "1h";
}

export interface TextBlockParam {
  type: "text";
  text: string;
  cache_control?: CacheControl;
}
export type SourceParam = { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };
export interface ImageBlockParam {
  type: "image";
  source: SourceParam;
  cache_control?: CacheControl;
}
export interface DocumentBlockParam {
  type: "document";
  source: SourceParam;
  title?: string;
  cache_control?: CacheControl;
}
export interface ToolUseBlockParam {
  type: "tool_use";
  id: string;
  name: string;
  input: Record<string, unknown>;
}
export interface ToolResultBlockParam {
  type: "tool_result";
  tool_use_id: string;
  content: string | (TextBlockParam | ImageBlockParam)[];
}
export interface ThinkingBlockParam {
  type: "thinking";
  thinking: string;
  signature: string;
}
export interface RedactedThinkingBlockParam {
  type: "redacted_thinking";
  data: string;
}
export type ContentBlockParam =
  | TextBlockParam
  | ImageBlockParam
  | DocumentBlockParam
  | ToolUseBlockParam
  | ToolResultBlockParam
  | ThinkingBlockParam
  | RedactedThinkingBlockParam;

export interface MessageParam {
  role: "user" | "assistant";
  content: ContentBlockParam[];
}

export interface ToolParam {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  cache_control?: CacheControl;
}

export type ToolChoiceParam =
  | { type: "auto"; disable_parallel_tool_use?: boolean }
  | { type: "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

export interface ThinkingParam {
  type: "enabled";
  budget_tokens: number;
}

/** The body of `POST /v1/messages`. */
export interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: MessageParam[];
  system?: TextBlockParam[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  tools?: ToolParam[];
  tool_choice?: ToolChoiceParam;
  thinking?: ThinkingParam;
  metadata?: { user_id: string };
  cache_control?: CacheControl;
}
