/** Shared setup for the Anthropic adapter tests: a target, requests, and fixture access. */

import type { Target } from "../../../../src/providers/types";
import { type ChatRequest, chatRequestSchema } from "../../../../src/schema/chat-request";
import { testTarget } from "../../../conformance/adapter-suite";
import { fixtureText } from "../../../conformance/fixtures";

export const DIR = "anthropic/";

export function target(
  overrides: Partial<Target["endpoint"]> = {},
  config: Target["provider"]["config"] = {},
): Target {
  return testTarget({
    provider: {
      slug: "anthropic",
      name: "Anthropic",
      adapter: "anthropic",
      baseUrl: "https://api.anthropic.com",
      config,
    },
    endpoint: {
      model: "anthropic/claude-sonnet-4.5",
      providerModelId: "claude-sonnet-4-5",
      contextLength: 200_000,
      maxCompletionTokens: 64_000,
      supportedParameters: [
        "max_tokens",
        "temperature",
        "top_p",
        "top_k",
        "stop",
        "tools",
        "tool_choice",
        "reasoning",
      ],
      ...overrides,
    },
  });
}

/** A validated request (defaults applied), from the fields a test cares about. */
export function request(fields: Record<string, unknown> = {}): ChatRequest {
  return chatRequestSchema.parse({
    model: "anthropic/claude-sonnet-4.5",
    messages: [{ role: "user", content: "Hello" }],
    ...fields,
  });
}

/** The in-stream error payload recording, framed the way Anthropic sends it. */
export function errorEventFrame(path: string): Uint8Array {
  return new TextEncoder().encode(
    `event: error\ndata: ${fixtureText(path).trim().replace(/\n\s*/g, " ")}\n\n`,
  );
}
