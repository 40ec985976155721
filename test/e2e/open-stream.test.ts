/**
 * Streams held open, against the built bundle in plain workerd:
 * - a client that hangs up mid-stream: the gateway aborts the upstream request at once (a
 *   provider that supports it stops generating and billing) and records the generation as
 *   cancelled, charged for what was streamed; while the provider is silent, at the next
 *   keep-alive;
 * - what an open stream keeps alive, read from a heap snapshot. A stream lives for minutes and its
 *   prompt can be megabytes: a thousand open streams must not hold a thousand prompts.
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
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
  db = await freshDatabase("open-stream");
  ({ key } = await seed(db.url, mockUrl));
  gateway = await startGateway({
    databaseUrl: db.url,
    vars: MOCK_SECRETS,
    name: "open-stream",
    inspect: true,
  });
});

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

interface Recorded {
  bodyText: string;
  receivedAt: number;
  abortedAt?: number;
}

async function upstreamRequest(marker: string): Promise<Recorded | undefined> {
  const list = (await (await fetch(`${mockUrl}/__requests?model=drip-stream`)).json()) as Recorded[];
  return list.find((r) => r.bodyText.includes(marker));
}

async function eventually<T>(
  read: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Opens a stream of the mock's slow model (one piece every 200 ms) and reads it up to its first
 * content ("Hello from the mock…").
 */
async function openStream(
  messages: { role: string; content: string }[],
  signal: AbortSignal,
  headers: Record<string, string> = {},
  fields: Record<string, unknown> = {},
) {
  const res = await fetch(`${gateway.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "test/drip", messages, stream: true, ...fields }),
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

describe("a client that leaves mid-stream", () => {
  it("aborts the upstream within a chunk's time and records the generation as cancelled", async () => {
    const marker = `cancel-${Date.now()}`;
    const client = new AbortController();
    const { id, reader } = await openStream([{ role: "user", content: marker }], client.signal);
    expect(id).toMatch(/^gen-/);

    const leftAt = Date.now();
    client.abort();
    await reader.cancel().catch(() => {});

    const upstream = await eventually(async () => {
      const r = await upstreamRequest(marker);
      return r?.abortedAt === undefined ? undefined : r;
    }, "the gateway to abort the upstream request");
    // Aborted well before the mock would have finished (another ~10 pieces at 200 ms).
    expect(upstream.abortedAt! - leftAt).toBeLessThan(1_000);

    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const row = await eventually(async () => {
        const [r] = await sql<{ cancelled: boolean; streamed: boolean; status: number }[]>`
          select cancelled, streamed, status from generations where id = ${id}`;
        return r;
      }, "the generation record");
      expect(row).toEqual({ cancelled: true, streamed: true, status: 200 });
    } finally {
      await sql.end();
    }
  });
});

describe("a client that leaves while the provider is silent", () => {
  it("is noticed at the next keep-alive comment, which aborts the upstream", async () => {
    // The mock goes quiet for 12 s after its first piece. workerd tells a Worker that its client
    // hung up only when it writes to it: the keep-alive (every 5 s) is that write.
    const marker = `silent-${Date.now()}`;
    const client = new AbortController();
    const { reader } = await openStream(
      [{ role: "user", content: `${marker} pause 12000ms` }],
      client.signal,
    );
    const leftAt = Date.now();
    client.abort();
    await reader.cancel().catch(() => {});

    const upstream = await eventually(
      async () => {
        const r = await upstreamRequest(marker);
        return r?.abortedAt === undefined ? undefined : r;
      },
      "the gateway to abort the upstream request",
      10_000,
    );
    // Keep-alives every 2.5 s: noticed within ~5 s (a busy machine's timers add some); without
    // them, at the end of the 12 s pause.
    expect(upstream.abortedAt! - leftAt).toBeLessThan(8_000);
  });
});

describe("an open stream", () => {
  // With router metadata on, the run also keeps the plan and a closure for the final chunk. With
  // the debug echo, the body sent (the prompt) is held until its debug chunk is written, not after.
  it.each<[string, Record<string, string>, Record<string, unknown>]>([
    ["", {}, {}],
    [", with router metadata", { "X-OpenRouter-Metadata": "enabled" }, {}],
    [", with debug.echo_upstream_body", {}, { debug: { echo_upstream_body: true } }],
  ])("keeps its generation's state but not the prompt it was asked%s", async (_name, headers, fields) => {
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
      headers,
      fields,
    );
    try {
      // V8 collects garbage before a snapshot. (Booleans: a failure must not print megabytes.)
      const heap = await takeHeapSnapshot(gateway.inspectorUrl!);
      expect(id).toMatch(/^gen-/);
      expect(heap.includes(id), "the open stream's generation id is in the snapshot").toBe(true);
      expect(heap.includes(marker), "the prompt is still alive").toBe(false);
    } finally {
      client.abort();
      await reader.cancel().catch(() => {});
    }
  });
});
