// What Switchyard's stream path needs to know about the provider, for the variants that run it.
export const target = {
  provider: { slug: "bench", name: "Bench", adapter: "openai", baseUrl: "http://upstream/v1", config: {} },
  endpoint: {
    model: "bench/m",
    providerModelId: "m",
    contextLength: 128_000,
    maxCompletionTokens: null,
    supportedParameters: [],
  },
  apiKey: "sk-bench",
  secret: () => undefined,
};
export const stamp = {
  id: "gen-1765000000-abcdefghijklmnopqrst",
  created: 1765000000,
  model: "bench/m",
  provider: "Bench",
};
export const usage = { prompt_tokens: 12, completion_tokens: 50, total_tokens: 62 };
