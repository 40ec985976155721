/**
 * A client that hangs up mid-stream, against the built bundle in plain workerd: the gateway
 * aborts the upstream request at once (a provider that supports it stops generating and
 * billing) and records the generation as cancelled, charged for what was streamed.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshDatabase } from "./support/fresh-database";
import { MOCK_SECRETS, seed } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

const mockUrl = inject("mockProvidersUrl");

let db: Awaited<ReturnType<typeof freshDatabase>>;
let gateway: Gateway;
let key: string;

beforeAll(async () => {
  db = await freshDatabase("stream-cancel");
  ({ key } = await seed(db.url, mockUrl));
  gateway = await startGateway({ databaseUrl: db.url, vars: MOCK_SECRETS, name: "stream-cancel" });
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

describe("a client that leaves mid-stream", () => {
  it("aborts the upstream within a chunk's time and records the generation as cancelled", async () => {
    const marker = `cancel-${Date.now()}`;
    const client = new AbortController();
    const res = await fetch(`${gateway.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "test/drip",
        messages: [{ role: "user", content: marker }],
        stream: true,
      }),
      signal: client.signal,
    });
    expect(res.status).toBe(200);
    const id = res.headers.get("x-generation-id");
    expect(id).toMatch(/^gen-/);

    // Read until the first content arrives (the mock drips one piece every 200 ms), then hang up.
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes('"content":"H')) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      text += decoder.decode(value, { stream: true });
    }
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
          select cancelled, streamed, status from generations where id = ${id!}`;
        return r;
      }, "the generation record");
      expect(row).toEqual({ cancelled: true, streamed: true, status: 200 });
    } finally {
      await sql.end();
    }
  });
});
