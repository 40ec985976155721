/**
 * Azure OpenAI: OpenAI's chat-completions protocol addressed per deployment. The body and the
 * answers are OpenAI's (translation reused from providers/openai), except that the deployment in
 * the URL names the model, the key travels as `api-key`, and Azure adds content-filter annotations
 * (`prompt_filter_results` in a leading choice-less chunk, `content_filter_results` on each choice,
 * finish_reason `content_filter`), which the OpenAI translation already tolerates
 * (fixture openai/azure-chat-stream-reasoning-usage.chunks.jsonl).
 *
 * @see https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference
 */
import { joinUrl } from "../openai";
import { toGatewayError } from "../openai/errors";
import { buildBody } from "../openai/request";
import { fromProviderResponse } from "../openai/response";
import { createStreamTransformer } from "../openai/stream";
import type { ProviderAdapter, UpstreamRequest } from "../types";

/** The GA data-plane version; a provider's `config.apiVersion` overrides it. */
export const DEFAULT_AZURE_API_VERSION = "2024-10-21";

export const azureAdapter: ProviderAdapter = {
  name: "azure",
  async toProviderRequest(req, target, opts): Promise<UpstreamRequest> {
    const version = String(target.provider.config.apiVersion ?? DEFAULT_AZURE_API_VERSION);
    const deployment = encodeURIComponent(target.endpoint.providerModelId);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (opts.stream) headers.accept = "text/event-stream";
    if (target.apiKey !== undefined) headers["api-key"] = target.apiKey;
    return {
      url: `${joinUrl(target.provider.baseUrl, `openai/deployments/${deployment}/chat/completions`)}?api-version=${encodeURIComponent(version)}`,
      headers,
      body: JSON.stringify(buildBody(req, target, { stream: opts.stream, model: false, vendor: "azure" })),
    };
  },
  fromProviderResponse,
  createStreamTransformer,
  toGatewayError,
};
