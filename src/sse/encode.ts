const encoder = new TextEncoder();

/** One `data:` frame. JSON.stringify never emits raw newlines, so a single data line is always valid. */
export function sseData(payload: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(payload)}\n\n`);
}

export const SSE_DONE = encoder.encode("data: [DONE]\n\n");

/** A comment line; spec-compliant clients ignore it (OpenRouter sends `: OPENROUTER PROCESSING`). */
export const SSE_KEEPALIVE = encoder.encode(": SWITCHYARD PROCESSING\n\n");
