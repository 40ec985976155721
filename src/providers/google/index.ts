/**
 * The Google Gemini wire protocol, for the Gemini API (AI Studio) and Vertex AI
 * (`provider.config.vertex: true`). Streams are SSE with CRLF separators, decoded by the shared
 * parser, which also delivers a last event missing its blank line (fixture stream-prompt-blocked-safety.sse).
 */
import type { ProviderAdapter } from "../types";
import { toGatewayError } from "./errors";
import { toProviderRequest } from "./request";
import { fromProviderResponse } from "./response";
import { createStreamTransformer } from "./stream";

export const googleAdapter: ProviderAdapter = {
  name: "google",
  toProviderRequest: async (req, target, opts) => toProviderRequest(req, target, opts),
  fromProviderResponse,
  createStreamTransformer,
  toGatewayError,
};
