/**
 * OpenAI chat messages → Anthropic `system` + alternating `messages`.
 * @see https://docs.anthropic.com/en/api/messages#body-messages
 */
import { z } from "zod";
import { GatewayError } from "../../errors";
import type { ContentPart, Message, ReasoningDetail, ToolCall } from "../../schema/chat-request";
import { REASONING_FORMAT } from "./reasoning-details";
import type {
  CacheControl,
  ContentBlockParam,
  DocumentBlockParam,
  ImageBlockParam,
  MessageParam,
  RedactedThinkingBlockParam,
  SourceParam,
  TextBlockParam,
  ThinkingBlockParam,
  ToolResultBlockParam,
  ToolUseBlockParam,
} from "./wire";

const cacheControlSchema = z.looseObject({
  type: z.literal("ephemeral"),
  ttl: z.enum(["5m", "1h"]).optional(),
});

/** A `cache_control` marker as Anthropic takes it, or undefined when absent or malformed. */
export function cacheControlOf(value: unknown): CacheControl | undefined {
  const parsed = cacheControlSchema.safeParse(value);
  if (!parsed.success) return undefined;
  return parsed.data.ttl ? { type: "ephemeral", ttl: parsed.data.ttl } : { type: "ephemeral" };
}

function withCache<T extends object>(block: T, marker: unknown): T & { cache_control?: CacheControl } {
  const cache = cacheControlOf(marker);
  return cache ? { ...block, cache_control: cache } : block;
}

const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

function sourceOf(url: string): SourceParam {
  const match = DATA_URL.exec(url);
  if (match?.[1] && match[2] !== undefined) return { type: "base64", media_type: match[1], data: match[2] };
  return { type: "url", url };
}

const filePartSchema = z.looseObject({
  file: z.looseObject({ filename: z.string().nullish(), file_data: z.string().nullish() }),
});

/** A PDF `file` part (data URL or link) → a document block; other files cannot be sent. */
function documentOf(part: ContentPart): DocumentBlockParam | undefined {
  const parsed = filePartSchema.safeParse(part);
  const data = parsed.success ? parsed.data.file.file_data : undefined;
  if (!parsed.success || !data) return undefined;
  const source = sourceOf(data);
  if (source.type === "base64" && source.media_type !== "application/pdf") return undefined;
  const block: DocumentBlockParam = { type: "document", source };
  if (parsed.data.file.filename) block.title = parsed.data.file.filename;
  return withCache(block, part.cache_control);
}

type UserBlock = TextBlockParam | ImageBlockParam | DocumentBlockParam;

/**
 * Message content → blocks. Empty text is dropped because Anthropic rejects empty text blocks;
 * audio and video have no Messages API equivalent and are dropped too.
 */
function contentBlocks(content: string | ContentPart[] | null | undefined): UserBlock[] {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  const blocks: UserBlock[] = [];
  for (const part of content) {
    if (part.type === "text") {
      if (part.text !== "") blocks.push(withCache({ type: "text", text: part.text }, part.cache_control));
    } else if (part.type === "image_url") {
      blocks.push(withCache({ type: "image", source: sourceOf(part.image_url.url) }, part.cache_control));
    } else if (part.type === "file") {
      const doc = documentOf(part);
      if (doc) blocks.push(doc);
    }
  }
  return blocks;
}

function textBlocks(content: string | ContentPart[] | null | undefined): TextBlockParam[] {
  return contentBlocks(content).filter((b): b is TextBlockParam => b.type === "text");
}

/**
 * `reasoning_details` sent back → `thinking` / `redacted_thinking` blocks, which must come first
 * in the assistant turn. Streamed details arrive split (text pieces, then the signature, under one
 * `index`), so pieces sharing an index are joined first. Thinking without a signature, and other
 * providers' formats, cannot be verified by Anthropic and are dropped.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#preserving-thinking-blocks
 */
export function thinkingBlocks(details: readonly ReasoningDetail[]): ContentBlockParam[] {
  const joined: ReasoningDetail[] = [];
  const byIndex = new Map<string, ReasoningDetail>();
  for (const detail of details) {
    if (detail.format != null && detail.format !== REASONING_FORMAT) continue;
    const key = detail.index === undefined ? undefined : `${detail.type}:${detail.index}`;
    const seen = key === undefined ? undefined : byIndex.get(key);
    if (seen) {
      seen.text = (seen.text ?? "") + (detail.text ?? "");
      seen.signature = detail.signature || seen.signature;
      seen.data = detail.data || seen.data;
      continue;
    }
    const copy = { ...detail };
    joined.push(copy);
    if (key !== undefined) byIndex.set(key, copy);
  }
  const blocks: (ThinkingBlockParam | RedactedThinkingBlockParam)[] = [];
  for (const d of joined) {
    if (d.type === "reasoning.text" && d.signature) {
      blocks.push({ type: "thinking", thinking: d.text ?? "", signature: d.signature });
    } else if (d.type === "reasoning.encrypted" && d.data) {
      blocks.push({ type: "redacted_thinking", data: d.data });
    }
  }
  return blocks;
}

function toolUseBlock(call: ToolCall): ToolUseBlockParam {
  const args = call.function.arguments.trim();
  let input: unknown;
  try {
    input = args === "" ? {} : JSON.parse(args);
  } catch (cause) {
    throw new GatewayError(400, "invalid_request", `tool call ${call.id}: arguments are not valid JSON`, {
      cause,
    });
  }
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new GatewayError(400, "invalid_request", `tool call ${call.id}: arguments must be a JSON object`);
  }
  return { type: "tool_use", id: call.id, name: call.function.name, input: { ...input } };
}

function toolResultBlock(toolCallId: string, content: string | ContentPart[]): ToolResultBlockParam {
  if (typeof content === "string") return { type: "tool_result", tool_use_id: toolCallId, content };
  const blocks = contentBlocks(content).filter(
    (b): b is TextBlockParam | ImageBlockParam => b.type === "text" || b.type === "image",
  );
  return { type: "tool_result", tool_use_id: toolCallId, content: blocks.length > 0 ? blocks : "" };
}

/** Anthropic wants every tool_result before any other block of its user turn. */
function toolResultsFirst(blocks: ContentBlockParam[]): ContentBlockParam[] {
  return [
    ...blocks.filter((b) => b.type === "tool_result"),
    ...blocks.filter((b) => b.type !== "tool_result"),
  ];
}

/**
 * A trailing assistant turn is a prefill; Anthropic rejects one ending in whitespace
 * ("final assistant content cannot end with trailing whitespace").
 */
function trimPrefill(turn: MessageParam): void {
  const last = turn.content.at(-1);
  if (last?.type !== "text") return;
  last.text = last.text.trimEnd();
  if (last.text === "") turn.content.pop();
}

export interface Conversation {
  system: TextBlockParam[];
  messages: MessageParam[];
}

/**
 * Hoists system and developer messages into `system`, turns `tool` messages into `tool_result`
 * blocks of a user turn, and merges consecutive same-role turns (Anthropic requires alternation).
 */
export function toConversation(input: readonly Message[]): Conversation {
  const system: TextBlockParam[] = [];
  const messages: MessageParam[] = [];
  const push = (role: MessageParam["role"], blocks: ContentBlockParam[]) => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };

  for (const message of input) {
    switch (message.role) {
      case "system":
      case "developer":
        system.push(...textBlocks(message.content));
        break;
      case "user":
        push("user", contentBlocks(message.content));
        break;
      case "tool":
        push("user", [toolResultBlock(message.tool_call_id, message.content)]);
        break;
      case "assistant":
        push("assistant", [
          ...thinkingBlocks(message.reasoning_details ?? []),
          ...textBlocks(message.content),
          ...(message.tool_calls ?? []).map(toolUseBlock),
        ]);
        break;
    }
  }

  for (const turn of messages) if (turn.role === "user") turn.content = toolResultsFirst(turn.content);
  const last = messages.at(-1);
  if (last?.role === "assistant") {
    trimPrefill(last);
    if (last.content.length === 0) messages.pop();
  }
  // A system-only conversation: Anthropic needs at least one message, so the system text asks.
  if (messages.length === 0 && system.length > 0)
    return { system: [], messages: [{ role: "user", content: system }] };
  return { system, messages };
}
