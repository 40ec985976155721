/**
 * OpenAI messages → Converse `system` + `messages`. Converse wants strictly alternating
 * user/assistant turns made of content blocks, tool results inside user turns, and no empty
 * turns or blank text blocks; everything here exists to meet those rules.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ContentBlock.html
 */
import type { ContentPart, Message, ReasoningDetail } from "../../schema/chat-request";
import { ANTHROPIC_FORMAT, BEDROCK_FORMAT } from "./reasoning-format";

export type SystemBlock = { text: string } | { cachePoint: { type: "default" } };

export type ReasoningBlock =
  | { reasoningText: { text: string; signature?: string } }
  | { redactedContent: string };

export type ContentBlock =
  | { text: string }
  | { cachePoint: { type: "default" } }
  | { image: { format: string; source: { bytes: string } } }
  | { document: { format: string; name: string; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { toolResult: { toolUseId: string; content: ({ text: string } | { json: unknown })[] } }
  | { reasoningContent: ReasoningBlock };

export interface BedrockMessage {
  role: "user" | "assistant";
  content: ContentBlock[];
}

const CACHE_POINT = { cachePoint: { type: "default" } } as const;

/** `data:<mime>;base64,<data>` → its parts; undefined for http(s) URLs and anything else. */
function dataUrl(url: string): { mime: string; data: string } | undefined {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match?.[1] && match[2] !== undefined ? { mime: match[1].toLowerCase(), data: match[2] } : undefined;
}

const IMAGE_FORMATS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

const DOCUMENT_FORMATS: Record<string, string> = {
  "application/pdf": "pdf",
  "text/csv": "csv",
  "text/plain": "txt",
  "text/html": "html",
  "text/markdown": "md",
};

/** Bedrock document names allow letters, digits, single spaces, hyphens, parentheses and brackets. */
function documentName(filename: unknown, index: number): string {
  const base = typeof filename === "string" ? filename.replace(/\.[^.]+$/, "") : "";
  const clean = base
    .replace(/[^A-Za-z0-9\s\-()[\]]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return clean || `document-${index}`;
}

function partBlocks(part: ContentPart, index: number): ContentBlock[] {
  switch (part.type) {
    case "text": {
      const blocks: ContentBlock[] = part.text ? [{ text: part.text }] : [];
      return part.cache_control ? [...blocks, CACHE_POINT] : blocks;
    }
    case "image_url": {
      // Converse takes image bytes (or an S3 location), never an http(s) URL, and an adapter
      // may not fetch; such images are dropped rather than failing the whole request.
      const parsed = dataUrl(part.image_url.url);
      const format = parsed ? IMAGE_FORMATS[parsed.mime] : undefined;
      return parsed && format ? [{ image: { format, source: { bytes: parsed.data } } }] : [];
    }
    case "file": {
      const file = typeof part.file === "object" && part.file !== null ? part.file : {};
      const fileData = "file_data" in file && typeof file.file_data === "string" ? file.file_data : "";
      const parsed = dataUrl(fileData);
      const format = parsed ? DOCUMENT_FORMATS[parsed.mime] : undefined;
      if (!parsed || !format) return [];
      const name = documentName("filename" in file ? file.filename : undefined, index);
      return [{ document: { format, name, source: { bytes: parsed.data } } }];
    }
    default:
      return []; // audio and video have no Converse block for the models we route to
  }
}

function contentBlocks(content: string | ContentPart[] | null | undefined): ContentBlock[] {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return content ? [{ text: content }] : [];
  return content.flatMap(partBlocks);
}

function textOf(content: string | ContentPart[]): string {
  if (typeof content === "string") return content;
  return content.map((p) => (p.type === "text" ? p.text : "")).join("");
}

/** A tool's output goes back as `json` when it is a JSON object, else as text. */
function toolResultContent(content: string | ContentPart[]): ({ text: string } | { json: unknown })[] {
  const text = textOf(content);
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return [{ json: value }];
  } catch {
    // plain text output
  }
  return [{ text }];
}

function toolInput(args: string): unknown {
  try {
    const value: unknown = JSON.parse(args || "{}");
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  } catch {
    // A client replaying a truncated call: Converse requires an object, so send an empty one.
  }
  return {};
}

/**
 * Reasoning details we produced (or Anthropic's, whose signatures Claude on Bedrock accepts) →
 * `reasoningContent` blocks, in order. Streamed details may come back unmerged (one item per
 * delta, same index), so consecutive pieces with one index are joined into one block.
 * Details in other providers' formats carry signatures Bedrock cannot verify and are dropped.
 */
export function reasoningBlocks(details: readonly ReasoningDetail[] | undefined): ContentBlock[] {
  const blocks: ReasoningBlock[] = [];
  let last: { index: number | undefined; block: { text: string; signature?: string } } | undefined;
  for (const d of details ?? []) {
    if (d.format !== BEDROCK_FORMAT && d.format !== ANTHROPIC_FORMAT) continue;
    if (d.type === "reasoning.encrypted" && d.data) {
      blocks.push({ redactedContent: d.data });
      last = undefined;
    } else if (d.type === "reasoning.text") {
      if (last && d.index !== undefined && last.index === d.index) {
        last.block.text += d.text ?? "";
        if (d.signature) last.block.signature = d.signature;
        continue;
      }
      const block: { text: string; signature?: string } = { text: d.text ?? "" };
      if (d.signature) block.signature = d.signature;
      blocks.push({ reasoningText: block });
      last = { index: d.index, block };
    }
  }
  return blocks.map((reasoningContent) => ({ reasoningContent }));
}

function assistantBlocks(message: Extract<Message, { role: "assistant" }>): ContentBlock[] {
  const blocks = [...reasoningBlocks(message.reasoning_details), ...contentBlocks(message.content)];
  for (const call of message.tool_calls ?? []) {
    blocks.push({
      toolUse: { toolUseId: call.id, name: call.function.name, input: toolInput(call.function.arguments) },
    });
  }
  return blocks;
}

/**
 * Splits system/developer messages into `system` (wherever they appear: Converse has only the
 * top-level slot) and turns the rest into alternating turns, merging neighbours with one role
 * (consecutive tool results, a tool result followed by a user message, …).
 */
export function toConverseMessages(messages: readonly Message[]): {
  system: SystemBlock[];
  messages: BedrockMessage[];
} {
  const system: SystemBlock[] = [];
  const turns: BedrockMessage[] = [];
  const push = (role: BedrockMessage["role"], content: ContentBlock[]) => {
    if (content.length === 0) return;
    const previous = turns.at(-1);
    if (previous?.role === role) previous.content.push(...content);
    else turns.push({ role, content });
  };

  for (const message of messages) {
    switch (message.role) {
      case "system":
      case "developer":
        for (const block of contentBlocks(message.content)) {
          if ("text" in block || "cachePoint" in block) system.push(block);
        }
        break;
      case "user":
        push("user", contentBlocks(message.content));
        break;
      case "assistant":
        push("assistant", assistantBlocks(message));
        break;
      case "tool":
        push("user", [
          { toolResult: { toolUseId: message.tool_call_id, content: toolResultContent(message.content) } },
        ]);
        break;
    }
  }
  return { system, messages: turns };
}
