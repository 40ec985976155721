/**
 * Generation ids look like OpenRouter's, `gen-<unix seconds>-<20 random chars>`. The embedded
 * second is also the partition key's value, so a lookup by id prunes to one partition.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function newGenerationId(atMs: number): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  let suffix = "";
  for (const b of bytes) suffix += ALPHABET[b % ALPHABET.length];
  return `gen-${Math.floor(atMs / 1000)}-${suffix}`;
}

/** The creation second encoded in an id, or undefined for something that is not one of ours. */
export function generationSecond(id: string): number | undefined {
  const match = /^gen-(\d{9,11})-[A-Za-z0-9]{8,40}$/.exec(id);
  return match ? Number(match[1]) : undefined;
}
