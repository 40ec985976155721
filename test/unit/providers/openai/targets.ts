/** Test targets for OpenAI-dialect vendors, as catalog rows would describe them. */
import type { Target } from "../../../../src/providers/types";
import type { ChatRequest } from "../../../../src/schema/chat-request";
import { testTarget } from "../../../conformance/adapter-suite";

const BASE_URLS: Record<string, [name: string, baseUrl: string]> = {
  openai: ["OpenAI", "https://api.openai.com/v1"],
  groq: ["Groq", "https://api.groq.com/openai/v1"],
  deepseek: ["DeepSeek", "https://api.deepseek.com"],
  mistral: ["Mistral", "https://api.mistral.ai/v1"],
  xai: ["xAI", "https://api.x.ai/v1"],
  ollama: ["Ollama", "http://localhost:11434/v1"],
  openrouter: ["OpenRouter", "https://openrouter.ai/api/v1"],
  together: ["Together", "https://api.together.xyz/v1"],
  azure: ["Azure", "https://switchyard.openai.azure.com"],
};

export function vendorTarget(
  slug: string,
  opts: {
    supportedParameters?: string[];
    providerModelId?: string;
    config?: Target["provider"]["config"];
  } = {},
): Target {
  const [name, baseUrl] = BASE_URLS[slug] ?? [slug, `https://${slug}.example/v1`];
  return testTarget({
    provider: {
      slug,
      name,
      adapter: slug === "azure" ? "azure" : "openai",
      baseUrl,
      config: opts.config ?? {},
    },
    endpoint: {
      model: `test/${slug}-model`,
      providerModelId: opts.providerModelId ?? `${slug}-model-1`,
      contextLength: 128_000,
      maxCompletionTokens: 16_384,
      supportedParameters: opts.supportedParameters ?? ["tools", "tool_choice", "max_tokens", "temperature"],
    },
  });
}

export const baseRequest: ChatRequest = {
  model: "test/model",
  messages: [{ role: "user", content: "Hello" }],
};
