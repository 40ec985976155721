/** Catalog `adapter` name → the wire protocol that speaks it. */
import { anthropicAdapter } from "./anthropic";
import { azureAdapter } from "./azure";
import { bedrockAdapter } from "./bedrock";
import { googleAdapter } from "./google";
import { openaiAdapter } from "./openai";
import type { AdapterName, ProviderAdapter } from "./types";

const ADAPTERS: Record<AdapterName, ProviderAdapter> = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  google: googleAdapter,
  azure: azureAdapter,
  bedrock: bedrockAdapter,
};

export function adapterFor(name: AdapterName): ProviderAdapter {
  return ADAPTERS[name];
}
