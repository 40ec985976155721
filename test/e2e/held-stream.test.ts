/**
 * What an open stream keeps alive, read from a heap snapshot of the built gateway in plain
 * workerd. A stream lives for minutes and its prompt can be megabytes: a thousand open streams
 * must not hold a thousand prompts. Once the answer is streaming, the prompt must be garbage,
 * while the stream's own state (its generation id, for the record it writes at the end) is not.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { takeHeapSnapshot } from "../../scripts/lib/inspector";
import { freshDatabase } from "./support/fresh-database";
import { MOCK_SECRETS, seed } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

const mockUrl = inject("mockProvidersUrl");

let db: Awaited<ReturnType<typeof freshDatabase>>;
let gateway: Gateway;
let key: string;

beforeAll(async () => {
  db = await freshDatabase("held-stream");
  ({ key } = await seed(db.url, mockUrl));
  gateway = await startGateway({
    databaseUrl: db.url,
    vars: MOCK_SECRETS,
    name: "held-stream",
    inspect: true,
  });
});

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

/** Opens a stream of the mock's slow model and reads it up to its first content. */
async function openStream(messages: { role: string; content: string }[], signal: AbortSignal) {
  const res = await fetch(`${gateway.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "test/drip", messages, stream: true }),
    signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes('"content":"H')) {
    const { value, done } = await reader.read();
    expect(done).toBe(false);
    text += decoder.decode(value, { stream: true });
  }
  return { id: res.headers.get("x-generation-id") ?? "", reader };
}

describe("an open stream", () => {
  it("keeps its generation's state but not the prompt it was asked", async () => {
    const marker = `PROMPT-${randomUUID()}`;
    const client = new AbortController();
    // The marker leads a long system message: the mock echoes only the last user message, so the
    // answer being streamed cannot carry it.
    const { id, reader } = await openStream(
      [
        { role: "system", content: `${marker} ${"You are a careful assistant. ".repeat(2_000)}` },
        { role: "user", content: "Say hello." },
      ],
      client.signal,
    );
    try {
      const heap = await takeHeapSnapshot(gateway.inspectorUrl!);
      // (Booleans: a failure must not print a snapshot of megabytes.)
      expect(id).toMatch(/^gen-/);
      expect(heap.includes(id), "the open stream's generation id is in the snapshot").toBe(true);
      expect(heap.includes(marker), "the prompt is still alive").toBe(false);
    } finally {
      client.abort();
      await reader.cancel().catch(() => {});
    }
  });
});
