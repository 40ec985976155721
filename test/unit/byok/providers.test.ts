/**
 * Which catalog provider a BYOK credential names: OpenRouter's SDK slugs map to ours, and a
 * provider this gateway does not serve, or cannot call with one user key, is refused up front.
 */
import { describe, expect, it } from "vitest";
import { resolveByokProvider } from "../../../src/byok/providers";
import { catalogOf } from "../routing/catalog-rows";

const catalog = catalogOf(
  {
    "a/x": [
      { provider: "openai" },
      { provider: "anthropic" },
      { provider: "amazon-bedrock" },
      { provider: "azure" },
      { provider: "ollama" },
    ],
  },
  {
    openai: { apiKeyEnv: "OPENAI_API_KEY" },
    anthropic: { adapter: "anthropic", apiKeyEnv: "ANTHROPIC_API_KEY" },
    "amazon-bedrock": { adapter: "bedrock", apiKeyEnv: "AWS_ACCESS_KEY_ID" },
    azure: { adapter: "azure", apiKeyEnv: "AZURE_OPENAI_API_KEY" },
    ollama: { apiKeyEnv: null },
  },
);

describe("resolveByokProvider", () => {
  it.each([
    ["openai", "openai"],
    ["OpenAI", "openai"],
    ["anthropic/2", "anthropic"],
  ])("%s is the catalog's %s", (requested, slug) => {
    expect(resolveByokProvider(requested, catalog)).toEqual({ ok: true, slug });
  });

  it.each([
    ["moonshotai", /not served by this gateway/],
    ["amazon-bedrock", /not supported for .*more than a single API key/],
    ["claude-on-aws", /not supported/],
    ["azure", /not supported/],
    ["ollama", /called without a key/],
  ])("%s is refused: %s", (requested, message) => {
    const result = resolveByokProvider(requested, catalog);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});
