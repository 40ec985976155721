/**
 * Middle-out through the Worker (issue: fit any prompt to any model, and say what was cut):
 * what the provider actually received is read back from the mock and counted with a real
 * tokenizer.
 */
import { encode } from "gpt-tokenizer/encoding/o200k_base";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshDatabase } from "./support/fresh-database";
import { MOCK_SECRETS, seed } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

let gateway: Gateway;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
const mockUrl = inject("mockProvidersUrl");

type Msg = { role: string; content: string };

const PROSE =
  "The committee reviewed the quarterly figures, noted the rise in shipping costs, and asked the regional teams to explain " +
  "why the forecasts had drifted so far from the results of the previous season. ";

/** A 100-message conversation of ~50k tokens, with recognisable first and last turns. */
function longConversation(marker: string): Msg[] {
  const messages: Msg[] = [{ role: "system", content: "You are a careful analyst." }];
  for (let i = 0; i < 100; i++) {
    const role = i % 2 === 0 ? "user" : "assistant";
    const head = i === 0 ? "FIRST-TURN " : i === 99 ? `LAST-TURN ${marker} ` : `turn ${i}: `;
    messages.push({ role: i === 99 ? "user" : role, content: head + PROSE.repeat(14) });
  }
  return messages;
}

function realTokens(messages: Msg[]): number {
  return messages.reduce((n, m) => n + encode(m.content).length + 4, 3);
}

async function received(marker: string): Promise<{ messages: Msg[] }[]> {
  const res = await fetch(`${mockUrl}/__requests?model=${encodeURIComponent(marker)}`);
  return ((await res.json()) as { bodyText: string }[]).map(
    (r) => JSON.parse(r.bodyText) as { messages: Msg[] },
  );
}

function chat(body: Record<string, unknown>): Promise<Response> {
  return fetch(`${gateway.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  db = await freshDatabase("middleout");
  ({ key } = await seed(db.url, mockUrl));
  gateway = await startGateway({ databaseUrl: db.url, vars: MOCK_SECRETS, name: "middle-out" });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

describe("middle-out", () => {
  it("fits a 100-message, 50k-token conversation into an 8k endpoint, keeps the ends, and says what was cut", async () => {
    const marker = `mo-${Date.now()}`;
    const messages = longConversation(marker);
    expect(realTokens(messages)).toBeGreaterThan(45_000);
    const res = await chat({ model: "test/small", messages, transforms: ["middle-out"], max_tokens: 500 });
    expect(res.status).toBe(200);
    const header = res.headers.get("x-switchyard-compression") ?? "";
    expect(header).toMatch(/^middle-out; messages=101->\d+; tokens=\d+->\d+/);
    const body = (await res.json()) as { id: string };

    const [sent] = await received(marker);
    const got = sent!.messages;
    expect(got.length).toBeLessThan(101);
    expect(got[0]).toEqual({ role: "system", content: "You are a careful analyst." });
    expect(got[1]?.content.startsWith("FIRST-TURN")).toBe(true);
    expect(got.at(-1)?.content.startsWith(`LAST-TURN ${marker}`)).toBe(true);
    expect(realTokens(got)).toBeLessThanOrEqual(8_192 - 500);

    // The generation record says the same.
    let compression: Record<string, number> | null = null;
    for (let i = 0; i < 50 && !compression; i++) {
      const g = await fetch(`${gateway.baseUrl}/generation?id=${body.id}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      if (g.status === 200)
        compression = ((await g.json()) as { data: { compression: Record<string, number> } }).data
          .compression;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(compression).toMatchObject({ messages_in: 101, messages_out: got.length });
  });

  it("is on by default for an endpoint of 8,192 tokens or less", async () => {
    const marker = `mo-default-${Date.now()}`;
    const res = await chat({ model: "test/small", messages: longConversation(marker) });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchyard-compression")).toMatch(/^middle-out/);
  });

  it("leaves the same conversation untouched on a 128k model without the transform", async () => {
    const marker = `mo-big-${Date.now()}`;
    const messages = longConversation(marker);
    const res = await chat({ model: "test/big", messages });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchyard-compression")).toBeNull();
    const [sent] = await received(marker);
    expect(sent!.messages).toEqual(messages);
  });

  it("without compression, refuses an over-long prompt with context_length_exceeded naming the model and sizes", async () => {
    const marker = `mo-off-${Date.now()}`;
    const res = await chat({ model: "test/small", messages: longConversation(marker), transforms: [] });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; metadata: Record<string, unknown> } };
    expect(error.metadata.error_type).toBe("context_length_exceeded");
    expect(error.message).toMatch(/8192 tokens/);
    expect(error.metadata).toMatchObject({ model: "test/small", context_length: 8192 });
    expect(await received(marker)).toHaveLength(0);
  });

  it("without compression, moves on to a later model in `models` that fits", async () => {
    const marker = `mo-next-${Date.now()}`;
    const res = await chat({
      models: ["test/small", "test/big"],
      messages: longConversation(marker),
      transforms: [],
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model: string }).model).toBe("test/big");
  });

  it("moves on to the next model when a provider itself reports a context-length error", async () => {
    const res = await chat({ models: ["test/ctx", "test/gpt"], messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model: string }).model).toBe("test/gpt");
  });
});
