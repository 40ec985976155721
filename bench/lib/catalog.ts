/**
 * The benchmark's catalog: one OpenAI-dialect provider at the mock upstream, `bench/<name>` →
 * upstream `<name>` (the mock reads chunk count and pacing from the name, e.g. `mock-c20-d200`).
 * Shared by `scripts/bench.ts`, `bench/heap-probe.ts` and `bench/inproc.ts`.
 */
import { parseCatalog } from "../../src/catalog/parse.ts";

/** The env var that holds the mock provider's key in the gateway's config. */
export const BENCH_PROVIDER_SECRET = "BENCH_MOCK_API_KEY";

export function benchCatalog(mockUrl: string, models: readonly string[], label = "bench catalog") {
  return parseCatalog(
    {
      providers: [
        {
          slug: "bench-mock",
          name: "Bench Mock",
          adapter: "openai",
          baseUrl: `${mockUrl}/v1`,
          apiKeyEnv: BENCH_PROVIDER_SECRET,
          dataPolicy: { training: false, retainsPrompts: false },
        },
      ],
      models: models.map((m) => ({
        id: `bench/${m}`,
        name: `Bench: ${m}`,
        created: "2026-01-01",
        contextLength: 128_000,
        inputModalities: ["text"],
        outputModalities: ["text"],
      })),
      endpoints: models.map((m) => ({
        model: `bench/${m}`,
        provider: "bench-mock",
        providerModelId: m,
        contextLength: 128_000,
        maxCompletionTokens: 8_192,
        pricing: { prompt: "0.000001", completion: "0.000002" },
        supportedParameters: ["temperature", "max_tokens", "stop", "seed", "top_p"],
        quantization: "unknown",
      })),
    },
    label,
  );
}
