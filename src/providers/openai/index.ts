/**
 * The OpenAI chat-completions wire protocol. One adapter serves every catalog provider with
 * `adapter: "openai"` (OpenAI, Groq, Together, Mistral, DeepSeek, xAI, Fireworks, DeepInfra,
 * Ollama, vLLM…): the request goes to `${baseUrl}/chat/completions`, and vendor differences live
 * in vendors.ts, keyed by provider slug.
 */
import type { ProviderAdapter, Target, UpstreamRequest } from "../types";
import { toGatewayError } from "./errors";
import { buildBody } from "./request";
import { fromProviderResponse } from "./response";
import { createStreamTransformer } from "./stream";

/** Joins a catalog base URL and a path without doubling or dropping the slash. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

export const openaiAdapter: ProviderAdapter = {
  name: "openai",
  async toProviderRequest(req, target: Target, opts): Promise<UpstreamRequest> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (opts.stream) headers.accept = "text/event-stream";
    // Local servers (Ollama, vLLM, llama.cpp) run keyless: no key, no Authorization header.
    if (target.apiKey !== undefined) headers.authorization = `Bearer ${target.apiKey}`;
    return {
      url: joinUrl(target.provider.baseUrl, "chat/completions"),
      headers,
      body: JSON.stringify(buildBody(req, target, { stream: opts.stream, model: true })),
    };
  },
  fromProviderResponse,
  createStreamTransformer,
  toGatewayError,
};
