/** A usage record as a request of the test model would leave it, for tests that write them. */
import type { GenerationRow } from "../../src/usage/record";

export function generationRow(fields: {
  id: string;
  keyHash: string;
  accountId: string;
  createdAt: string;
  totalCost: string;
}): GenerationRow {
  return {
    ...fields,
    requestedModel: "test/gpt",
    model: "test/gpt",
    streamed: false,
    status: 200,
    tokensPrompt: 10,
    tokensCompletion: 5,
    attempts: [{ provider: "p", model: "test/gpt", status: 200, latencyMs: 3 }],
  };
}
