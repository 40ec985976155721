/** Shared test targets and request for the Google adapter tests. */
import type { Target } from "../../../../src/providers/types";
import { type ChatRequest, chatRequestSchema } from "../../../../src/schema/chat-request";
import { testTarget } from "../../../conformance/adapter-suite";

export function aiStudioTarget(
  overrides: Partial<Target["provider"]> = {},
  model = "gemini-2.5-flash",
): Target {
  return testTarget({
    provider: {
      slug: "google-ai-studio",
      name: "Google AI Studio",
      adapter: "google",
      baseUrl: "https://generativelanguage.googleapis.com/v1beta",
      config: {},
      ...overrides,
    },
    endpoint: {
      model: `google/${model}`,
      providerModelId: model,
      contextLength: 1_048_576,
      maxCompletionTokens: 65_536,
      supportedParameters: [],
    },
  });
}

export function vertexTarget(): Target {
  return aiStudioTarget({
    slug: "google-vertex",
    name: "Google Vertex",
    baseUrl: "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google",
    config: { vertex: true },
  });
}

export function chatRequest(body: Record<string, unknown>): ChatRequest {
  return chatRequestSchema.parse({ model: "google/gemini-2.5-flash", ...body });
}
