/**
 * Generation ids look like OpenRouter's, `gen-<unix seconds>-<20 random chars>`. The embedded
 * second is also the partition key's value, so a lookup by id prunes to one partition.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const SUFFIX_LENGTH = 20;
/**
 * Random bytes for 64 ids, refilled when used up: one call into the runtime's CSPRNG per 64
 * requests instead of one per request. (Filled lazily: workerd allows no randomness at startup.)
 */
const pool = new Uint8Array(SUFFIX_LENGTH * 64);
let poolOffset = pool.length;

export function newGenerationId(atMs: number): string {
  if (poolOffset === pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  let suffix = "";
  for (let i = poolOffset; i < poolOffset + SUFFIX_LENGTH; i++)
    suffix += ALPHABET[(pool[i] as number) % ALPHABET.length];
  poolOffset += SUFFIX_LENGTH;
  return `gen-${Math.floor(atMs / 1000)}-${suffix}`;
}

/** The creation second encoded in an id, or undefined for something that is not one of ours. */
export function generationSecond(id: string): number | undefined {
  const match = /^gen-(\d{9,11})-[A-Za-z0-9]{8,40}$/.exec(id);
  return match ? Number(match[1]) : undefined;
}
