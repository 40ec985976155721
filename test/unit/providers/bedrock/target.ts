import type { Target } from "../../../../src/providers/types";
import { testTarget } from "../../../conformance/adapter-suite";

/** Claude Sonnet 4 on Bedrock, us-east-1, SigV4 with fixed test credentials. */
export function bedrockTarget(
  overrides: Partial<Target> = {},
  modelId = "us.anthropic.claude-sonnet-4-20250514-v1:0",
): Target {
  return testTarget({
    provider: {
      slug: "amazon-bedrock",
      name: "Amazon Bedrock",
      adapter: "bedrock",
      baseUrl: "https://bedrock-runtime.us-east-1.amazonaws.com",
      config: { region: "us-east-1" },
    },
    endpoint: {
      model: "anthropic/claude-sonnet-4",
      providerModelId: modelId,
      contextLength: 200_000,
      maxCompletionTokens: 64_000,
      supportedParameters: [],
    },
    secret: (name) =>
      name === "AWS_SECRET_ACCESS_KEY" ? "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" : undefined,
    ...overrides,
  });
}
