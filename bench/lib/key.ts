/**
 * The bench tools' API key: an account with a million dollars of credit and a key without a
 * limit, so no load runs out of money. Shared by scripts/bench.ts, heap-probe, inproc, profile
 * and profile-session.
 */
import { generateApiKey, hashApiKey, keyLabel } from "../../src/auth/api-key.ts";
import type { Db } from "../../src/db/client.ts";
import { insertKey } from "../../src/db/queries/keys.ts";

/** Creates the key; returns it and its hash (generations are recorded under the hash). */
export async function insertBenchKey(db: Db, name: string): Promise<{ key: string; hash: string }> {
  const key = generateApiKey();
  const hash = await hashApiKey(key);
  await insertKey(db, { hash, label: keyLabel(key), name, credits: "1000000", limit: null });
  return { key, hash };
}
