/**
 * ChatRequest → one Gemini `generateContent` / `streamGenerateContent?alt=sse` call, for the
 * Gemini API (AI Studio, `x-goog-api-key`) and Vertex AI (`config.vertex`, an OAuth access token
 * as Bearer). Both take the same body; only the base URL and the auth header differ.
 *
 * @see https://ai.google.dev/api/generate-content
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/projects.locations.publishers.models/generateContent
 */
import type { ChatRequest, ResponseFormat, Tool, ToolChoice } from "../../schema/chat-request";
import type { Target, UpstreamRequest } from "../types";
import { type GeminiContent, toContents } from "./contents";
import { toGeminiSchema } from "./json-schema";
import { type ThinkingConfig, thinkingConfig } from "./reasoning";

interface FunctionCallingConfig {
  mode: "AUTO" | "NONE" | "ANY";
  allowedFunctionNames?: string[];
  /** Vertex AI only: stream arguments as `partialArgs` (see stream.ts). */
  streamFunctionCallArguments?: boolean;
}

interface GenerationConfig {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  candidateCount?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  responseJsonSchema?: unknown;
  thinkingConfig?: ThinkingConfig;
}

export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: { text: string }[] };
  tools?: { functionDeclarations: { name: string; description?: string; parameters?: unknown }[] }[];
  toolConfig?: { functionCallingConfig: FunctionCallingConfig };
  generationConfig?: GenerationConfig;
}

/** OpenAI tools → a single `functionDeclarations` tool (Gemini allows one per kind). */
function toTools(tools: readonly Tool[]): GeminiRequest["tools"] {
  return [
    {
      functionDeclarations: tools.map((tool) => {
        const { name, description, parameters } = tool.function;
        const decl: { name: string; description?: string; parameters?: unknown } = { name };
        if (description) decl.description = description;
        // A parameterless function is declared without `parameters`: Gemini rejects an OBJECT with no properties.
        if (parameters && Object.keys((parameters.properties as object | undefined) ?? {}).length > 0) {
          decl.parameters = toGeminiSchema(parameters);
        }
        return decl;
      }),
    },
  ];
}

/**
 * `tool_choice` → `functionCallingConfig.mode`: auto → AUTO, none → NONE, required → ANY,
 * a named function → ANY restricted to it.
 *
 * @see https://ai.google.dev/gemini-api/docs/function-calling#function_calling_modes
 */
function toFunctionCallingConfig(choice: ToolChoice | undefined): FunctionCallingConfig | undefined {
  if (choice === undefined) return undefined;
  if (choice === "auto") return { mode: "AUTO" };
  if (choice === "none") return { mode: "NONE" };
  if (choice === "required") return { mode: "ANY" };
  return { mode: "ANY", allowedFunctionNames: [choice.function.name] };
}

/**
 * `response_format` → JSON mode. `responseJsonSchema` takes JSON Schema as is (unlike
 * `responseSchema`, the OpenAPI subset), so the client's schema needs no rewriting.
 *
 * @see https://ai.google.dev/gemini-api/docs/structured-output
 */
function applyResponseFormat(config: GenerationConfig, format: ResponseFormat | undefined): void {
  if (format === undefined || format.type === "text") return;
  config.responseMimeType = "application/json";
  if (format.type === "json_schema" && format.json_schema.schema) {
    const { $schema: _drop, ...schema } = format.json_schema.schema;
    config.responseJsonSchema = schema;
  }
}

function toGenerationConfig(req: ChatRequest, target: Target): GenerationConfig | undefined {
  const config: GenerationConfig = {};
  const set = <K extends keyof GenerationConfig>(key: K, value: GenerationConfig[K] | null | undefined) => {
    if (value !== undefined && value !== null) config[key] = value;
  };
  set("temperature", req.temperature);
  set("topP", req.top_p);
  set("topK", req.top_k);
  set("maxOutputTokens", req.max_tokens ?? req.max_completion_tokens);
  set("stopSequences", typeof req.stop === "string" ? [req.stop] : req.stop);
  set("candidateCount", req.n);
  set("seed", req.seed);
  set("presencePenalty", req.presence_penalty);
  set("frequencyPenalty", req.frequency_penalty);
  applyResponseFormat(config, req.response_format);
  set("thinkingConfig", thinkingConfig(req, target));
  return Object.keys(config).length > 0 ? config : undefined;
}

/** The upstream body, separate from URL and headers so tests can assert on it directly. */
export function toGeminiRequest(req: ChatRequest, target: Target, opts: { stream: boolean }): GeminiRequest {
  const body: GeminiRequest = { ...toContents(req.messages) };
  if (req.tools && req.tools.length > 0) {
    body.tools = toTools(req.tools);
    const calling = toFunctionCallingConfig(req.tool_choice);
    // Opt-in per provider: partial-argument streaming exists on Vertex AI for Gemini 3 only.
    const partialArgs = opts.stream && target.provider.config.streamFunctionCallArguments === true;
    if (calling || partialArgs) {
      body.toolConfig = {
        functionCallingConfig: {
          ...(calling ?? { mode: "AUTO" }),
          ...(partialArgs && { streamFunctionCallArguments: true }),
        },
      };
    }
  }
  const generationConfig = toGenerationConfig(req, target);
  if (generationConfig) body.generationConfig = generationConfig;
  return body;
}

export function toProviderRequest(
  req: ChatRequest,
  target: Target,
  opts: { stream: boolean },
): UpstreamRequest {
  const base = target.provider.baseUrl.replace(/\/+$/, "");
  const method = opts.stream ? "streamGenerateContent?alt=sse" : "generateContent";
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.apiKey !== undefined) {
    if (target.provider.config.vertex === true) headers.authorization = `Bearer ${target.apiKey}`;
    else headers["x-goog-api-key"] = target.apiKey;
  }
  return {
    url: `${base}/models/${target.endpoint.providerModelId}:${method}`,
    headers,
    body: JSON.stringify(toGeminiRequest(req, target, opts)),
  };
}
