import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Endpoint, modelEndpointsResponseSchema } from "../../src/schema/models";
import { freshDatabase } from "./support/fresh-database";
import { createKey, endpoint, loadTestModels, MOCK_SECRETS, pricedAt } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

const mockUrl = inject("mockProvidersUrl");
const MODEL = "measured/chat";
const BROKEN = "mock-openai";
const SLOW = "mock-openai-b";
const FAST = "mock-local";

let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
const gateways: Gateway[] = [];

/** A short TTL, so the catalog (with its stats) is re-read within the test. */
const start = (name: string) =>
  startGateway({ databaseUrl: db.url, vars: { ...MOCK_SECRETS, CACHE_TTL_SECONDS: "1" }, name }).then((g) => {
    gateways.push(g);
    return g;
  });

beforeAll(async () => {
  db = await freshDatabase("measured");
  await loadTestModels(db.url, mockUrl, {
    onlyThese: true,
    models: [MODEL],
    endpoints: [
      endpoint(MODEL, BROKEN, "measured-fail-500", pricedAt("0.000001")),
      endpoint(MODEL, SLOW, "measured-slow", pricedAt("0.000002")),
      endpoint(MODEL, FAST, "measured-ok", pricedAt("0.000003")),
    ],
  });
  ({ key } = await createKey(db.url, "100", "measured"));
}, 180_000);

afterAll(async () => {
  for (const g of gateways) await g.stop();
  await db?.drop();
});

async function chat(g: Gateway, extra: Record<string, unknown>) {
  const res = await fetch(`${g.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: MODEL,
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      ...extra,
    }),
  });
  await res.text();
  return { status: res.status, provider: res.headers.get("x-switchyard-provider") };
}

const only = (provider: string) => ({ provider: { order: [provider], allow_fallbacks: false } });

async function listing(g: Gateway): Promise<Record<string, Endpoint>> {
  const res = await fetch(`${g.baseUrl}/models/${MODEL}/endpoints`);
  expect(res.status).toBe(200);
  const { data } = modelEndpointsResponseSchema.parse(await res.json());
  return Object.fromEntries(data.endpoints.map((e) => [e.tag, e]));
}

async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
  const until = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) {
      if (!done(value)) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
      return value;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function callsTo(providerModelId: string): Promise<number> {
  const res = await fetch(`${mockUrl}/__requests?model=${providerModelId}`);
  return ((await res.json()) as unknown[]).length;
}

describe("measured endpoint health", () => {
  let first: Gateway;

  beforeAll(async () => {
    first = await start("measured-1");
    // Traffic pinned to each endpoint: 10 failures, 2 slow answers, 3 fast ones.
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => chat(first, only(BROKEN))),
      ...Array.from({ length: 2 }, () => chat(first, only(SLOW))),
      ...Array.from({ length: 3 }, () => chat(first, only(FAST))),
    ]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
  }, 120_000);

  it("the endpoints listing shows each endpoint's uptime, latency and throughput", async () => {
    const endpoints = await eventually(
      () => listing(first),
      (e) =>
        e[BROKEN]?.uptime_last_5m !== null &&
        e[SLOW]?.latency_last_30m !== null &&
        e[FAST]?.uptime_last_1d !== null,
      "the recorded traffic in the listing",
    );
    expect(endpoints[BROKEN]).toMatchObject({
      uptime_last_5m: 0,
      uptime_last_30m: 0,
      uptime_last_1d: 0,
      latency_last_30m: null,
      throughput_last_30m: null,
    });
    for (const tag of [SLOW, FAST])
      expect(endpoints[tag]).toMatchObject({
        uptime_last_5m: 100,
        uptime_last_30m: 100,
        uptime_last_1d: 100,
      });
    // The slow endpoint waits 3 s before its first token; the fast one answers at once.
    expect(endpoints[SLOW]!.latency_last_30m!.p50).toBeGreaterThan(2500);
    expect(endpoints[FAST]!.latency_last_30m!.p50).toBeLessThan(1000);
    expect(endpoints[FAST]!.throughput_last_30m!.p50).toBeGreaterThan(
      endpoints[SLOW]!.throughput_last_30m!.p50,
    );
  });

  it.each<[string, Record<string, unknown>]>([
    ['sort: "latency"', { provider: { sort: "latency" } }],
    ['sort: "throughput"', { provider: { sort: "throughput" } }],
    [":nitro (throughput)", { model: `${MODEL}:nitro` }],
  ])("%s routes to the measured fastest endpoint, not the cheapest", async (_name, extra) => {
    // Past 2 × the 1 s TTL, the catalog and its stats are read again before routing.
    await new Promise((r) => setTimeout(r, 2_100));
    expect(await chat(first, extra)).toEqual({ status: 200, provider: FAST });
  });

  it("another isolate, which never saw the broken endpoint fail, does not draw it first", async () => {
    const second = await start("measured-2");
    const before = await callsTo("measured-fail-500");
    // The 1/price² draw would put the $1 endpoint first about 73 % of the time.
    const results = await Promise.all(Array.from({ length: 6 }, () => chat(second, {})));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await callsTo("measured-fail-500")).toBe(before);
  });

  it("a stats read that fails costs the measurements, never routing or the listing", async () => {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await sql`alter table endpoint_stats rename to endpoint_stats_away`;
      await new Promise((r) => setTimeout(r, 2_100));
      // Price order again: the broken endpoint is no longer known to be down, so it is tried
      // first and fails over; the slow one, cheaper than the fast, serves.
      // (Not streamed: a stream whose first token takes over a second commits before it knows who serves.)
      expect(await chat(first, { provider: { sort: "latency" }, stream: false })).toEqual({
        status: 200,
        provider: SLOW,
      });
      // The listing answers (with the stats it last read: stale-while-error, as the catalog).
      expect(Object.keys(await listing(first)).sort()).toEqual([FAST, BROKEN, SLOW].sort());
    } finally {
      await sql`alter table endpoint_stats_away rename to endpoint_stats`;
      await sql.end();
    }
  });
});
