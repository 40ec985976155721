/**
 * OpenAI `messages` → Gemini `systemInstruction` + `contents`. Gemini has two roles (`user`,
 * `model`), one system instruction, tool results as `functionResponse` parts of a user turn
 * (named, not id'd), and wants adjacent turns of one role merged.
 *
 * @see https://ai.google.dev/api/generate-content#request-body
 * @see https://ai.google.dev/gemini-api/docs/function-calling
 * @see https://ai.google.dev/gemini-api/docs/thought-signatures
 */
import type { ContentPart, Message } from "../../schema/chat-request";
import { REASONING_FORMAT } from "./reasoning";

export interface GeminiPart {
  text?: string;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: { name: string; args: Record<string, unknown> };
  functionResponse?: { name: string; response: Record<string, unknown> };
}

export interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

export interface GeminiContents {
  systemInstruction?: { parts: { text: string }[] };
  contents: GeminiContent[];
}

type Content = Message["content"];

const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
  mp4: "video/mp4",
  mov: "video/quicktime",
  webm: "video/webm",
  mp3: "audio/mp3",
  wav: "audio/wav",
};

/** Gemini's `fileData` needs a MIME type and a URL rarely says; the extension is the best guess. */
function guessMime(url: string, fallback: string): string {
  const path = url.split(/[?#]/, 1)[0] ?? "";
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (ext && MIME_BY_EXTENSION[ext]) ?? fallback;
}

/** `data:<mime>;base64,<data>` → inlineData; http(s) → fileData; anything else → undefined. */
function mediaPart(url: string, fallbackMime: string): GeminiPart | undefined {
  const data = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (data?.[1] !== undefined && data[2] !== undefined) {
    return { inlineData: { mimeType: data[1], data: data[2] } };
  }
  if (/^https?:\/\//i.test(url))
    return { fileData: { fileUri: url, mimeType: guessMime(url, fallbackMime) } };
  return undefined;
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === "object" && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
}

function stringField(obj: unknown, key: string): string | undefined {
  const value = field(obj, key);
  return typeof value === "string" ? value : undefined;
}

function contentPart(part: ContentPart): GeminiPart | undefined {
  switch (part.type) {
    case "text":
      return part.text === "" ? undefined : { text: part.text };
    case "image_url":
      return mediaPart(part.image_url.url, "image/jpeg");
    case "input_audio": {
      const audio = field(part, "input_audio");
      const data = stringField(audio, "data");
      return data
        ? { inlineData: { mimeType: `audio/${stringField(audio, "format") ?? "wav"}`, data } }
        : undefined;
    }
    case "file": {
      const url = stringField(field(part, "file"), "file_data");
      return url ? mediaPart(url, "application/pdf") : undefined;
    }
    case "video_url":
    case "input_video": {
      const url =
        stringField(field(part, "video_url"), "url") ?? stringField(field(part, "input_video"), "url");
      return url ? mediaPart(url, "video/mp4") : undefined;
    }
    default:
      return undefined;
  }
}

function partsOf(content: Content | null | undefined): GeminiPart[] {
  if (content === undefined || content === null || content === "") return [];
  if (typeof content === "string") return [{ text: content }];
  return content.flatMap((part) => contentPart(part) ?? []);
}

function textOf(content: Content | null | undefined): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  return content.map((p) => (p.type === "text" ? p.text : "")).join("");
}

/** Gemini wants `response` to be an object: JSON objects pass, anything else is wrapped as `{result}`. */
function toolResponse(content: Content): Record<string, unknown> {
  const text = textOf(content);
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
    return { result: parsed };
  } catch {
    return { result: text };
  }
}

function parseArgs(json: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(json || "{}");
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { value: parsed };
  } catch {
    // Not JSON (a model's malformed call echoed back): keep it rather than fail the request.
    return { arguments: json };
  }
}

type AssistantMessage = Extract<Message, { role: "assistant" }>;

/**
 * An assistant turn as Gemini parts, with each `thoughtSignature` restored where it came from:
 * a signature whose detail `id` is a tool call id goes back on that functionCall part, the others
 * on the text part (or the first call when there is no text). Gemini 3 rejects a follow-up whose
 * function calls lost their signatures (fixtures generate-function-call.json,
 * stream-function-call-thought-signature.sse).
 */
function assistantParts(msg: AssistantMessage): GeminiPart[] {
  const calls = msg.tool_calls ?? [];
  const callIds = new Set(calls.map((c) => c.id));
  const byCall = new Map<string, string>();
  let loose: string | undefined;
  for (const detail of msg.reasoning_details ?? []) {
    if (detail.format && detail.format !== REASONING_FORMAT) continue;
    const signature = detail.type === "reasoning.encrypted" ? detail.data : detail.signature;
    if (!signature) continue;
    if (detail.id && callIds.has(detail.id)) byCall.set(detail.id, signature);
    else loose ??= signature;
  }

  const parts = partsOf(msg.content);
  const text = parts.find((p) => p.text !== undefined);
  if (loose && text) {
    text.thoughtSignature = loose;
    loose = undefined;
  }
  for (const call of calls) {
    const part: GeminiPart = {
      functionCall: { name: call.function.name, args: parseArgs(call.function.arguments) },
    };
    const signature = byCall.get(call.id) ?? loose;
    loose = undefined;
    if (signature) part.thoughtSignature = signature;
    parts.push(part);
  }
  return parts;
}

/** Translates the conversation; turns left without parts are dropped (Gemini rejects empty ones). */
export function toContents(messages: readonly Message[]): GeminiContents {
  const system: { text: string }[] = [];
  const contents: GeminiContent[] = [];
  const toolNames = new Map<string, string>();

  const push = (role: GeminiContent["role"], parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  for (const msg of messages) {
    switch (msg.role) {
      case "system":
      case "developer": {
        const text = textOf(msg.content);
        if (text) system.push({ text });
        break;
      }
      case "user":
        push("user", partsOf(msg.content));
        break;
      case "assistant":
        for (const call of msg.tool_calls ?? []) toolNames.set(call.id, call.function.name);
        push("model", assistantParts(msg));
        break;
      case "tool":
        push("user", [
          {
            functionResponse: {
              // Gemini matches results by name; the id is ours. An unknown id (history edited by the
              // client) falls back to the id itself, which Gemini accepts as an opaque name.
              name: toolNames.get(msg.tool_call_id) ?? msg.tool_call_id,
              response: toolResponse(msg.content),
            },
          },
        ]);
        break;
      default:
        break;
    }
  }
  return system.length > 0 ? { systemInstruction: { parts: system }, contents } : { contents };
}
