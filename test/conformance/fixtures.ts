/**
 * Access to the real provider recordings in ../shared/fixtures (beside the repository, in
 * development and in CI alike), and helpers to replay them as byte streams cut at awkward offsets.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const FIXTURES_DIR = fileURLToPath(new URL("../../../shared/fixtures/", import.meta.url));

export function fixtureBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURES_DIR + path));
}

export function fixtureText(path: string): string {
  return readFileSync(FIXTURES_DIR + path, "utf8");
}

export function fixtureJson(path: string): unknown {
  return JSON.parse(fixtureText(path));
}

/** A `.http.json` recording: status, lower-case headers and body. */
export function fixtureHttp(path: string): { status: number; headers: Headers; bodyText: string } {
  const rec = fixtureJson(path) as {
    status: number;
    headers: Record<string, string | string[]>;
    body: unknown;
  };
  const headers = new Headers();
  for (const [k, v] of Object.entries(rec.headers ?? {})) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  return {
    status: rec.status,
    headers,
    bodyText: typeof rec.body === "string" ? rec.body : JSON.stringify(rec.body),
  };
}

/**
 * Rebuilds an SSE body from a `.chunks.jsonl` recording (one data payload per line). With
 * `eventNames`, each frame also gets `event: <payload.type>` as Anthropic sends it.
 */
export function sseFromJsonl(path: string, opts: { eventNames?: boolean; done?: boolean } = {}): Uint8Array {
  const lines = fixtureText(path)
    .split("\n")
    .filter((l) => l.trim() !== "");
  let out = "";
  for (const line of lines) {
    if (opts.eventNames) out += `event: ${(JSON.parse(line) as { type: string }).type}\n`;
    out += `data: ${line}\n\n`;
  }
  if (opts.done) out += "data: [DONE]\n\n";
  return new TextEncoder().encode(out);
}

/** The ways the suite cuts a recording: whole, and at offsets that split lines, CRLFs and UTF-8 sequences. */
export const CHUNKINGS = [0, 1, 7, 13, 64] as const;

/** A stream delivering `bytes` in pieces of `size` bytes (0 = all at once). */
export function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (size <= 0) controller.enqueue(bytes);
      else for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size));
      controller.close();
    },
  });
}
