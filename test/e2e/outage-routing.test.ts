/**
 * Outage-aware routing through the built gateway in plain workerd (API.md b10: "prefer providers
 * with no significant outage in the last 30 s"). A model has a $1 endpoint that answers every
 * request with a 500 and a $3 one that works: the 1/price² draw puts the broken one first nine
 * times in ten. Once it has failed, the gateway stops trying it first — the requests that follow
 * go straight to the working one, without a failed round trip each.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshDatabase } from "./support/fresh-database";
import { createKey, endpoint, loadTestModels, MOCK_SECRETS, pricedAt } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

let gateway: Gateway;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
const mockUrl = inject("mockProvidersUrl");

const N = 20;

beforeAll(async () => {
  db = await freshDatabase("outage");
  await loadTestModels(db.url, mockUrl, {
    models: ["outage/chat"],
    endpoints: [
      endpoint("outage/chat", "mock-openai", "outage-fail-500", pricedAt("0.000001")),
      endpoint("outage/chat", "mock-openai-b", "outage-ok", pricedAt("0.000003")),
    ],
  });
  ({ key } = await createKey(db.url, "100", "outage"));
  gateway = await startGateway({ databaseUrl: db.url, vars: MOCK_SECRETS, name: "outage-routing" });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

async function callsTo(providerModelId: string): Promise<number> {
  const res = await fetch(`${mockUrl}/__requests?model=${providerModelId}`);
  return ((await res.json()) as unknown[]).length;
}

describe("outage-aware routing (b10)", () => {
  it("after one failure, the failing endpoint is no longer tried first", async () => {
    const before = await callsTo("outage-fail-500");
    const servedBy: string[] = [];
    for (let i = 0; i < N; i++) {
      const res = await fetch(`${gateway.baseUrl}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "outage/chat", messages: [{ role: "user", content: `Turn ${i}` }] }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      await res.text();
      servedBy.push(res.headers.get("x-switchyard-provider") ?? "");
    }
    // Every request was served by the working endpoint (a fallback covers the one failure) …
    expect(new Set(servedBy)).toEqual(new Set(["mock-openai-b"]));
    // … and the broken one was asked once, not on the ~18 requests that drew it first.
    expect(await callsTo("outage-fail-500")).toBe(before + 1);
  });
});
