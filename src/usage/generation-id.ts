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

const ALPHABET_CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));

/**
 * Built as one string from its character codes, not by concatenation: a concatenated id is a
 * rope, and JSON.stringify — the id is in every response, streamed frame and usage row — walks a
 * rope again on every call instead of taking its fast path (+0.25 µs a frame in workerd).
 */
export function newGenerationId(atMs: number): string {
  if (poolOffset === pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  const head = `gen-${Math.floor(atMs / 1000)}-`;
  const codes = new Array<number>(head.length + SUFFIX_LENGTH);
  for (let i = 0; i < head.length; i++) codes[i] = head.charCodeAt(i);
  for (let i = 0; i < SUFFIX_LENGTH; i++)
    codes[head.length + i] = ALPHABET_CODES[(pool[poolOffset + i] as number) % ALPHABET.length] as number;
  poolOffset += SUFFIX_LENGTH;
  return String.fromCharCode(...codes);
}

/** The creation second encoded in an id, or undefined for something that is not one of ours. */
export function generationSecond(id: string): number | undefined {
  const match = /^gen-(\d{9,11})-[A-Za-z0-9]{8,40}$/.exec(id);
  return match ? Number(match[1]) : undefined;
}
