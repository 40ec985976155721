const encoder = new TextEncoder();

/** One `data:` frame as text. JSON.stringify never emits raw newlines, so a single data line is always valid. */
export function sseFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** A comment line; spec-compliant clients ignore it (OpenRouter sends `: OPENROUTER PROCESSING`). */
export const SSE_KEEPALIVE = encoder.encode(": SWITCHYARD PROCESSING\n\n");
