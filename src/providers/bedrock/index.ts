/**
 * AWS Bedrock through the model-agnostic Converse / ConverseStream API: one wire protocol for
 * every Bedrock model family (Claude, Nova, Llama, Mistral, DeepSeek…). Streams are binary
 * `application/vnd.amazon.eventstream` frames, decoded here rather than as SSE.
 *
 * Catalog config: `region` (else parsed from baseUrl), `secretAccessKeyEnv` (default
 * `AWS_SECRET_ACCESS_KEY`), optional `sessionTokenEnv`, or `auth: "bearer"` for Bedrock API keys.
 * The provider's `apiKey` is the access key id (SigV4) or the API key (bearer).
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference.html
 */
import type { ProviderAdapter } from "../types";
import { toGatewayError } from "./errors";
import { decodeEventStream } from "./event-stream";
import { toConverseRequest } from "./request";
import { fromProviderResponse } from "./response";
import { signedRequest } from "./sign";
import { createStreamTransformer } from "./stream";

export const bedrockAdapter: ProviderAdapter = {
  name: "bedrock",
  async toProviderRequest(req, target, opts) {
    return signedRequest(target, opts.stream, JSON.stringify(toConverseRequest(req, target)));
  },
  fromProviderResponse,
  decodeStream: decodeEventStream,
  createStreamTransformer,
  toGatewayError,
};
