import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TOOL_CALL_MIN_SAMPLES } from "../../src/catalog/measured";
import { freshDatabase } from "./support/fresh-database";
import { createKey, endpoint, loadTestModels, MOCK_SECRETS, pricedAt } from "./support/test-catalog";
import { type Gateway, startGateway } from "./support/workerd";

const mockUrl = inject("mockProvidersUrl");
const MODEL = "exacto/chat";
const SLOPPY = "mock-openai";
const EXACT = "mock-openai-b";

const TOOLS = [
  {
    type: "function",
    function: {
      name: "get_weather",
      parameters: {
        type: "object",
        properties: { location: { type: "string" } },
        required: ["location"],
        additionalProperties: false,
      },
    },
  },
];

let db: Awaited<ReturnType<typeof freshDatabase>>;
let sql: postgres.Sql;
let key: string;
let gateway: Gateway | undefined;

beforeAll(async () => {
  db = await freshDatabase("exacto");
  sql = postgres(db.url, { max: 1, onnotice: () => {} });
  await loadTestModels(db.url, mockUrl, {
    onlyThese: true,
    models: [MODEL],
    endpoints: [
      endpoint(MODEL, SLOPPY, "exacto-bad-args", pricedAt("0.000001")),
      endpoint(MODEL, EXACT, "exacto-ok", pricedAt("0.000002")),
    ],
  });
  ({ key } = await createKey(db.url, "100", "exacto"));
  // A short TTL, so the catalog (with its stats) is re-read within the test.
  gateway = await startGateway({
    databaseUrl: db.url,
    vars: { ...MOCK_SECRETS, CACHE_TTL_SECONDS: "1" },
    name: "exacto",
  });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await sql?.end();
  await db?.drop();
});

async function chat(extra: Record<string, unknown>) {
  const res = await fetch(`${gateway!.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Weather?" }], ...extra }),
  });
  await res.text();
  return { status: res.status, provider: res.headers.get("x-switchyard-provider") };
}

const only = (provider: string) => ({ provider: { order: [provider], allow_fallbacks: false } });

async function toolCounts(): Promise<Record<string, [number, number]>> {
  const rows = await sql<{ provider_slug: string; calls: number; errors: number }[]>`
    select provider_slug, sum(tool_calls)::int as calls, sum(tool_call_errors)::int as errors
    from endpoint_stats where model_id = ${MODEL} group by 1`;
  return Object.fromEntries(rows.map((r) => [r.provider_slug, [r.calls, r.errors]]));
}

async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
  const until = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("tool-call quality feeds routing (Auto Exacto)", () => {
  const n = TOOL_CALL_MIN_SAMPLES;

  beforeAll(async () => {
    // Traffic with tools pinned to each endpoint, half streamed and half not: n calls each.
    const results = await Promise.all(
      [SLOPPY, EXACT].flatMap((provider) =>
        Array.from({ length: n }, (_, i) => chat({ tools: TOOLS, stream: i % 2 === 0, ...only(provider) })),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
  }, 120_000);

  it("records every call of both endpoints, the cut-short ones as broken, streamed or not", async () => {
    const counts = await eventually(
      toolCounts,
      (c) => c[SLOPPY]?.[0] === n && c[EXACT]?.[0] === n,
      "the tool calls in endpoint_stats",
    );
    expect(counts).toEqual({ [SLOPPY]: [n, n], [EXACT]: [n, 0] });
    const rows = await sql<{ provider_slug: string; streamed: boolean; calls: number; errors: number }[]>`
      select provider_slug, streamed, sum(tool_calls)::int as calls, sum(tool_call_errors)::int as errors
      from generations where requested_model = ${MODEL} group by 1, 2 order by 1, 2`;
    expect(rows).toEqual([
      { provider_slug: SLOPPY, streamed: false, calls: n / 2, errors: n / 2 },
      { provider_slug: SLOPPY, streamed: true, calls: n / 2, errors: n / 2 },
      { provider_slug: EXACT, streamed: false, calls: n / 2, errors: 0 },
      { provider_slug: EXACT, streamed: true, calls: n / 2, errors: 0 },
    ]);
  });

  it("sends requests with tools to the endpoint whose calls validate, though it is dearer", async () => {
    // Past 2 × the 1 s TTL, the catalog and its stats are read again before routing.
    await new Promise((r) => setTimeout(r, 2_100));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => chat({ tools: TOOLS, stream: i % 2 === 0 })),
    );
    expect(results).toEqual(Array.from({ length: 8 }, () => ({ status: 200, provider: EXACT })));
  });

  it.each<[string, string, Record<string, unknown>]>([
    ['sort: "exacto"', EXACT, { tools: TOOLS, provider: { sort: "exacto" } }],
    [":exacto", EXACT, { tools: TOOLS, model: `${MODEL}:exacto` }],
    ['sort: "price" (opting out)', SLOPPY, { tools: TOOLS, provider: { sort: "price" } }],
  ])("%s with tools goes to %s", async (_name, provider, extra) => {
    expect(await chat(extra)).toEqual({ status: 200, provider });
  });

  it("keeps the price draw for requests without tools", async () => {
    // The $1 endpoint is drawn first 80 % of the time: never in 30 draws would be 0.2^30.
    const results = await Promise.all(Array.from({ length: 30 }, () => chat({})));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.provider === SLOPPY).length).toBeGreaterThan(0);
  });
});
