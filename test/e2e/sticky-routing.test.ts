import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshDatabase } from "./support/fresh-database";
import { createKey, endpoint, loadTestModels, MOCK_SECRETS } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

let gateway: Gateway;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
const mockUrl = inject("mockProvidersUrl");

/** Each of two providers is drawn with p = ½: all N on one by chance is 2⁻²³ for N = 24. */
const N = 24;
const pricing = { prompt: "0.000001", completion: "0.000002", inputCacheRead: "0.0000001" };

beforeAll(async () => {
  db = await freshDatabase("sticky");
  await loadTestModels(db.url, mockUrl, {
    models: ["sticky/chat", "sticky/hits"],
    endpoints: [
      endpoint("sticky/chat", "mock-openai", "sticky-ok", { pricing }),
      endpoint("sticky/chat", "mock-openai-b", "sticky-ok", { pricing }),
      endpoint("sticky/hits", "mock-openai", "sticky-cache-hit-ok", { pricing }),
      endpoint("sticky/hits", "mock-openai-b", "sticky-cache-hit-ok", { pricing }),
    ],
  });
  ({ key } = await createKey(db.url, "100", "sticky"));
  gateway = await startGateway({ databaseUrl: db.url, vars: MOCK_SECRETS, name: "sticky-routing" });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

/** The providers that served N consecutive turns of one conversation, as X-Switchyard-Provider says. */
async function servedBy(body: Record<string, unknown>): Promise<string[]> {
  const providers: string[] = [];
  for (let i = 0; i < N; i++) {
    const res = await fetch(`${gateway.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        messages: [
          { role: "system", content: "You are terse." },
          { role: "user", content: `Hello ${String(body.model)} ${JSON.stringify(body.session_id ?? null)}` },
          { role: "assistant", content: "Hi." },
          { role: "user", content: `Turn ${i}` },
        ],
        ...body,
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await res.text();
    providers.push(res.headers.get("x-switchyard-provider") ?? "");
  }
  return providers;
}

describe("sticky routing (b10)", () => {
  it("without a session or a cache hit, the price-weighted draw spreads a conversation over both", async () => {
    const providers = await servedBy({ model: "sticky/chat" });
    expect(new Set(providers)).toEqual(new Set(["mock-openai", "mock-openai-b"]));
  });

  it("with a session_id, every turn stays on the provider that served the first", async () => {
    const providers = await servedBy({ model: "sticky/chat", session_id: `s-${Date.now()}` });
    expect(new Set(providers).size, providers.join(",")).toBe(1);
  });

  it("without a session, a cache hit keeps the conversation (keyed by its opening) where it hit", async () => {
    const providers = await servedBy({ model: "sticky/hits" });
    expect(new Set(providers).size, providers.join(",")).toBe(1);
  });
});
