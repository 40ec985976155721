/**
 * Per-vendor quirks of the OpenAI dialect, keyed by the catalog's provider slug, as the AI SDK's
 * openai-compatible package does with one body hook per vendor. Everything not listed here gets
 * DEFAULT_QUIRKS: OpenAI's dialect as vLLM, Together, Fireworks, DeepInfra and Ollama accept it.
 */
import type { Message, Reasoning } from "../../schema/chat-request";

export type Effort = NonNullable<Reasoning["effort"]>;
type AssistantMessage = Extract<Message, { role: "assistant" }>;

export interface VendorQuirks {
  /**
   * Body fields that ask this vendor for the requested reasoning effort, given the upstream model
   * id (one vendor's models disagree: Groq's qwen3 vs gpt-oss); `{}` sends nothing.
   */
  reasoning(effort: Effort, modelId: string, req: Reasoning | undefined): Record<string, unknown>;
  /** Sends `max_tokens` as `max_completion_tokens` (OpenAI reasoning models reject the legacy name). */
  maxCompletionTokens: boolean;
  /** Keeps `developer` messages; other vendors receive them as `system`. */
  developerRole: boolean;
  /** Whether the vendor takes `stream_options: {include_usage}`. */
  streamOptions: boolean;
  /** Fields carrying an assistant turn's earlier reasoning back to the vendor (none by default). */
  echoReasoning(message: AssistantMessage): Record<string, unknown>;
  /** Rewrites tool-call ids the vendor would reject; the same id always maps to the same result. */
  toolCallId(id: string): string;
}

/** OpenAI's effort vocabulary (gpt-5.x: none…xhigh); `max` is ours, OpenAI's top is `xhigh`. */
const openaiEffort = (effort: Effort): string => (effort === "max" ? "xhigh" : effort);

/** The low/medium/high vocabulary most servers understand (gpt-oss on vLLM, Together, Fireworks…). */
function threeLevelEffort(effort: Effort): string | undefined {
  switch (effort) {
    case "none":
      return undefined;
    case "minimal":
    case "low":
      return "low";
    case "medium":
      return "medium";
    default:
      return "high";
  }
}

/** `reasoning_effort: <value>`, or nothing when the vendor has no word for this effort. */
const effortField = (value: string | undefined): Record<string, unknown> =>
  value === undefined ? {} : { reasoning_effort: value };

const DEFAULT_QUIRKS: VendorQuirks = {
  reasoning: (effort) => effortField(threeLevelEffort(effort)),
  maxCompletionTokens: false,
  developerRole: false,
  streamOptions: true,
  echoReasoning: () => ({}),
  toolCallId: (id) => id,
};

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A stable 9-character alphanumeric stand-in for any id (two FNV-1a hashes, base62). */
function nineAlnum(id: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < id.length; i++) {
    a = Math.imul(a ^ id.charCodeAt(i), 0x01000193) >>> 0;
    b = Math.imul(b ^ id.charCodeAt(i), 0x811c9dc5) >>> 0;
  }
  let out = "";
  for (let i = 0; i < 9; i++) {
    const source = i < 5 ? a : b;
    out += BASE62[Math.floor(source / 62 ** (i % 5)) % 62];
  }
  return out;
}

/** Reasoning text of an assistant turn, whichever field the client sent it back in. */
function reasoningText(message: AssistantMessage): string | undefined {
  if (message.reasoning_content) return message.reasoning_content;
  if (message.reasoning) return message.reasoning;
  const texts = (message.reasoning_details ?? [])
    .filter((d) => d.type === "reasoning.text" && typeof d.text === "string")
    .map((d) => d.text);
  return texts.length > 0 ? texts.join("") : undefined;
}

const QUIRKS: Record<string, Partial<VendorQuirks>> = {
  /** @see https://platform.openai.com/docs/api-reference/chat/create#chat-create-reasoning_effort */
  openai: {
    reasoning: (effort) => effortField(openaiEffort(effort)),
    maxCompletionTokens: true,
    developerRole: true,
  },
  azure: {
    reasoning: (effort) => effortField(openaiEffort(effort)),
    maxCompletionTokens: true,
    developerRole: true,
  },
  /**
   * Only grok-3-mini takes `reasoning_effort` (low | high); grok-4 models reason always and reject it.
   * @see https://docs.x.ai/docs/guides/reasoning
   */
  xai: {
    reasoning: (effort, modelId) =>
      !modelId.startsWith("grok-3-mini") || effort === "none"
        ? {}
        : { reasoning_effort: effort === "minimal" || effort === "low" ? "low" : "high" },
  },
  /**
   * gpt-oss: low | medium | high, and `include_reasoning: false` hides the reasoning; qwen3 takes
   * only `none` | `default`.
   * @see https://console.groq.com/docs/reasoning
   */
  groq: {
    reasoning: (effort, modelId, req) => {
      const hide = req?.exclude ? { include_reasoning: false } : {};
      if (modelId.includes("qwen3"))
        return { reasoning_effort: effort === "none" ? "none" : "default", ...hide };
      return { ...effortField(threeLevelEffort(effort)), ...hide };
    },
  },
  /**
   * DeepSeek: a thinking on/off switch plus `reasoning_effort` low | high | max; in tool-call turns it needs the earlier
   * `reasoning_content` sent back (API.md §c.12, OpenRouterTeam/ai-sdk-provider#487).
   * @see https://api-docs.deepseek.com/guides/thinking_mode
   */
  deepseek: {
    reasoning: (effort) =>
      effort === "none"
        ? { thinking: { type: "disabled" } }
        : {
            thinking: { type: "enabled" },
            reasoning_effort:
              effort === "max" ? "max" : effort === "minimal" || effort === "low" ? "low" : "high",
          },
    echoReasoning: (message) => {
      const text = reasoningText(message);
      return text === undefined ? {} : { reasoning_content: text };
    },
  },
  /**
   * Magistral reasons without a parameter, and Mistral's API rejects fields it does not know;
   * it reports usage on the finish chunk unasked (fixture mistral/stream-tool-call.chunks.jsonl).
   * @see https://docs.mistral.ai/capabilities/reasoning/
   */
  mistral: {
    reasoning: () => ({}),
    streamOptions: false,
    // Mistral rejects ids that are not 9 alphanumerics ("Tool call id was call_… but must be a-z,
    // A-Z, 0-9, with a length of 9"), which a history begun on another provider carries.
    toolCallId: (id) => (/^[A-Za-z0-9]{9}$/.test(id) ? id : nineAlnum(id)),
  },
};

export function quirksFor(slug: string): VendorQuirks {
  return { ...DEFAULT_QUIRKS, ...QUIRKS[slug] };
}
