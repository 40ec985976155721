/**
 * The Google Gemini wire protocol, for the Gemini API (AI Studio) and Vertex AI
 * (`provider.config.vertex: true`). Streams are SSE with CRLF separators, decoded by the shared
 * parser plus one end-of-stream repair (decode.ts).
 */
import type { ProviderAdapter } from "../types";
import { decodeStream } from "./decode";
import { toGatewayError } from "./errors";
import { toProviderRequest } from "./request";
import { fromProviderResponse } from "./response";
import { createStreamTransformer } from "./stream";

export const googleAdapter: ProviderAdapter = {
  name: "google",
  toProviderRequest: async (req, target, opts) => toProviderRequest(req, target, opts),
  fromProviderResponse,
  decodeStream,
  createStreamTransformer,
  toGatewayError,
};
