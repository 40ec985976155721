/**
 * The Anthropic Messages API adapter (`adapter: "anthropic"` in the catalog): api.anthropic.com
 * and anything speaking the same protocol at another `baseUrl`.
 * @see https://docs.anthropic.com/en/api/messages
 */
import type { ProviderAdapter } from "../types";
import { toAnthropicGatewayError } from "./errors";
import { toUpstreamRequest } from "./request";
import { fromMessagesResponse } from "./response";
import { createAnthropicStream } from "./stream";

export const anthropicAdapter: ProviderAdapter = {
  name: "anthropic",
  toProviderRequest: async (req, target, opts) => toUpstreamRequest(req, target, opts.stream),
  fromProviderResponse: fromMessagesResponse,
  createStreamTransformer: createAnthropicStream,
  toGatewayError: toAnthropicGatewayError,
};
