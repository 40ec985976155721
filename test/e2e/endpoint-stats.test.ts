/**
 * The per-endpoint health rollup against a real Postgres (migrations/0004_*): generations are
 * written as the gateway writes them (`settleGenerations`, one multi-row idempotent insert per
 * batch), and the `endpoint_stats` trigger counts every attempt for its endpoint — served, or
 * failed for availability — and bins the served ones' time to first token and throughput. What
 * the endpoints listing and routing read back is checked through their own queries.
 */

import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type ModelEndpointStats,
  readModelEndpointStats,
  readRecentEndpointStats,
} from "../../src/db/queries/endpoint-stats";
import type { GenerationAttempt } from "../../src/db/schema";
import { VARIANTS } from "../../src/routing/plan";
import { type GenerationRow, settleGenerations } from "../../src/usage/record";
import { freshDatabase } from "./support/fresh-database";
import { createKey } from "./support/test-catalog";

let db: Awaited<ReturnType<typeof freshDatabase>>;
let sql: postgres.Sql;
let key: { hash: string; accountId: string };

beforeAll(async () => {
  db = await freshDatabase("endpoint_stats");
  sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const { hash } = await createKey(db.url, "100", "stats");
  const [row] = await sql<{ account_id: string }[]>`select account_id from api_keys where hash = ${hash}`;
  key = { hash, accountId: row!.account_id };
});

afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

beforeEach(async () => {
  await sql`delete from endpoint_stats`;
});

let serial = 0;
const MINUTE = 60_000;

/**
 * A generation as the gateway records it: `attempts` in order, the last one served (status 200)
 * unless every attempt failed. Timings are those of the served attempt: `ttft` and `generation`
 * from when it was sent, `before` the time spent on earlier attempts.
 */
function generation(
  attempts: Pick<GenerationAttempt, "provider" | "model" | "status">[],
  served: { ttft?: number; generation?: number; before?: number; tokens?: number } = {},
  extra: Partial<GenerationRow> & { agoMs?: number } = {},
): GenerationRow {
  const { agoMs = 0, ...fields } = extra;
  const last = attempts.at(-1);
  const ok = last?.status === 200;
  const before = served.before ?? 0;
  const generationMs = served.generation ?? 1000;
  serial++;
  return {
    id: `gen-${Math.floor(Date.now() / 1000)}-stats${String(serial).padStart(15, "0")}`,
    createdAt: new Date(Date.now() - agoMs).toISOString(),
    accountId: key.accountId,
    keyHash: key.hash,
    requestedModel: last?.model ?? "m/x",
    model: ok ? last.model : null,
    providerSlug: ok ? last.provider : null,
    streamed: true,
    status: ok ? 200 : (last?.status ?? 503),
    tokensCompletion: ok ? (served.tokens ?? 100) : 0,
    latencyMs: ok ? before + generationMs : before,
    generationTimeMs: ok ? generationMs : null,
    timeToFirstTokenMs: ok ? before + (served.ttft ?? 100) : null,
    attempts: attempts.map((a) => ({ ...a, latencyMs: 1 })),
    ...fields,
  };
}

const write = (rows: GenerationRow[]) => settleGenerations(drizzle(sql), rows);

async function statsOf(model: string): Promise<Record<string, ModelEndpointStats>> {
  const rows = await readModelEndpointStats(drizzle(sql), model);
  return Object.fromEntries(rows.map((r) => [r.provider_slug, r]));
}

async function counts(model: string) {
  const rows = await sql<{ provider_slug: string; successes: number; failures: number }[]>`
    select provider_slug, sum(successes)::int as successes, sum(failures)::int as failures
    from endpoint_stats where model_id = ${model} group by 1 order by 1`;
  return Object.fromEntries(rows.map((r) => [r.provider_slug, [r.successes, r.failures]]));
}

describe("counting attempts per endpoint", () => {
  it("counts a failed attempt and the served fallback of one generation, one each", async () => {
    await write([
      generation([
        { provider: "down", model: "m/x", status: 503 },
        { provider: "up", model: "m/x", status: 200 },
      ]),
    ]);
    expect(await counts("m/x")).toEqual({ down: [0, 1], up: [1, 0] });
  });

  it.each([
    [500, "failure"],
    [502, "failure"],
    [504, "failure"],
    [408, "failure"],
    [429, "failure"],
    [400, "nothing: the request's own refusal"],
    [401, "nothing"],
    [404, "nothing"],
    [413, "nothing"],
    [499, "nothing: the client went away"],
  ])("an attempt that ended in %i counts as %s", async (status, expected) => {
    await write([generation([{ provider: "p", model: "m/status", status }])]);
    expect(await counts("m/status")).toEqual(expected === "failure" ? { p: [0, 1] } : {});
  });

  it("counts a model's variants for its base model (an endpoint serves them all)", async () => {
    await write(VARIANTS.map((v) => generation([{ provider: "p", model: `m/v:${v}`, status: 200 }])));
    expect(await counts("m/v")).toEqual({ p: [VARIANTS.length, 0] });
    // An unknown suffix is part of the id, as routing reads it.
    await write([generation([{ provider: "p", model: "ollama/llama3:8b", status: 200 }])]);
    expect(await counts("ollama/llama3:8b")).toEqual({ p: [1, 0] });
  });

  it("skips attempts it cannot read, and still writes the generation", async () => {
    const row = generation([{ provider: "p", model: "m/odd", status: 200 }]);
    row.attempts = [
      "junk",
      { provider: "p", model: "m/odd", status: "500" },
      { model: "m/odd", status: 500 },
      { provider: "p", model: "m/odd", status: null },
      { provider: "p", model: "m/odd", status: 200, latencyMs: 1 },
    ] as unknown as GenerationAttempt[];
    expect(await write([row])).toBe(1);
    expect(await counts("m/odd")).toEqual({ p: [1, 0] });
  });

  it("does not count a redelivered batch again: only rows actually inserted reach the trigger", async () => {
    const batch = [
      generation([{ provider: "p", model: "m/again", status: 200 }]),
      generation([{ provider: "p", model: "m/again", status: 500 }]),
    ];
    expect(await write(batch)).toBe(2);
    expect(await write(batch)).toBe(0);
    // Half old, half new: the new half alone is counted.
    const more = [batch[0]!, generation([{ provider: "p", model: "m/again", status: 200 }])];
    expect(await write(more)).toBe(1);
    expect(await counts("m/again")).toEqual({ p: [2, 1] });
    const [latency] = await sql<{ hist: number[] }[]>`
      select endpoint_stats_sum(latency_ms) as hist from endpoint_stats where model_id = 'm/again'`;
    expect(latency!.hist.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it("adds up rows of many batches into one row per endpoint and 5-minute bucket", async () => {
    const createdAt = new Date(Date.now() - MINUTE).toISOString();
    for (let i = 0; i < 3; i++)
      await write([
        generation([{ provider: "p", model: "m/b", status: 200 }], {}, { createdAt }),
        generation([{ provider: "q", model: "m/b", status: 429 }], {}, { createdAt }),
      ]);
    const rows = await sql<{ n: number }[]>`
      select count(*)::int as n from endpoint_stats where model_id = 'm/b' group by provider_slug`;
    expect(rows.map((r) => r.n)).toEqual([1, 1]);
    expect(await counts("m/b")).toEqual({ p: [3, 0], q: [0, 3] });
  });

  it("never costs the batch its charges: a rollup that fails is a warning, the rows and spend stay", async () => {
    await sql`alter table endpoint_stats add constraint broken check (successes < 0) not valid`;
    try {
      const [before] = await sql<
        { usage: string }[]
      >`select usage::text from api_keys where hash = ${key.hash}`;
      const row = generation([{ provider: "p", model: "m/broken", status: 200 }], {}, { totalCost: "0.5" });
      expect(await write([row])).toBe(1);
      const [after] = await sql<
        { usage: string }[]
      >`select usage::text from api_keys where hash = ${key.hash}`;
      expect(Number(after!.usage) - Number(before!.usage)).toBeCloseTo(0.5, 9);
      expect(await counts("m/broken")).toEqual({});
    } finally {
      await sql`alter table endpoint_stats drop constraint broken`;
    }
  });
});

describe("latency and throughput histograms", () => {
  /** The exact nearest-rank quantile of a sample, as the histogram approximates it. */
  function exact(values: number[], q: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
  }
  /** The documented bound: a bin's geometric midpoint is within 2^(1/8) − 1 of any value in it. */
  const ERROR = 2 ** (1 / 8) - 1;
  const near = (value: number | null, expected: number) =>
    expect(Math.abs(value! / expected - 1)).toBeLessThanOrEqual(ERROR);

  it("reads p50/p75/p90/p99 back within 9.05 % of the exact values", async () => {
    // Times to first token from 40 ms to ~8 s, throughputs from ~6 to ~500 tokens/s.
    const ttfts = Array.from({ length: 200 }, (_, i) => Math.round(40 * 1.027 ** i));
    const gens = ttfts.map((_, i) => 500 + ((i * 37) % 200) * 40);
    const tokens = ttfts.map((_, i) => 50 + ((i * 53) % 100) * 10);
    const throughputs = gens.map((g, i) => (tokens[i]! * 1000) / g);
    await write(
      ttfts.map((ttft, i) =>
        generation([{ provider: "p", model: "m/h", status: 200 }], {
          ttft,
          generation: gens[i]!,
          tokens: tokens[i]!,
          before: 5_000,
        }),
      ),
    );
    const p = (await statsOf("m/h")).p!;
    for (const [q, latency, throughput] of [
      [0.5, p.latency_p50, p.throughput_p50],
      [0.75, p.latency_p75, p.throughput_p75],
      [0.9, p.latency_p90, p.throughput_p90],
      [0.99, p.latency_p99, p.throughput_p99],
    ] as const) {
      // Measured from the attempt's own start: the 5 s spent on earlier attempts are not its latency.
      near(latency, exact(ttfts, q));
      near(throughput, exact(throughputs, q));
    }
  });

  it("takes latency from streamed answers only, and throughput from complete ones only", async () => {
    const served = [{ provider: "p", model: "m/s", status: 200 }];
    await write([
      generation(served, { ttft: 100, generation: 1000, tokens: 100 }),
      // Not streamed: its "first token" is the whole answer; its rate is a rate all the same.
      generation(served, { ttft: 5000, generation: 5000, tokens: 500 }, { streamed: false }),
      // Cancelled or broken mid-stream: its token count is not a rate.
      generation(served, { ttft: 100, generation: 1000, tokens: 1 }, { cancelled: true }),
      generation(
        served,
        { ttft: 100, generation: 1000, tokens: 1 },
        { error: { code: 502, message: "cut", type: "provider_unavailable" } },
      ),
    ]);
    const p = (await statsOf("m/s")).p!;
    expect(p.successes_5m).toBe(4);
    near(p.latency_p99, 100);
    near(p.throughput_p50, 100);
    near(p.throughput_p99, 100);
  });

  it("has no percentiles for an endpoint that served nothing", async () => {
    await write([generation([{ provider: "p", model: "m/none", status: 500 }])]);
    expect((await statsOf("m/none")).p).toMatchObject({
      successes_5m: 0,
      failures_5m: 1,
      latency_p50: null,
      throughput_p99: null,
    });
  });
});

describe("windows and retention", () => {
  it("counts an attempt in every window that covers it (5-minute buckets overlapping the window)", async () => {
    const ok = [{ provider: "p", model: "m/w", status: 200 }];
    await write([
      generation(ok),
      generation(ok, {}, { agoMs: 20 * MINUTE }),
      generation(ok, {}, { agoMs: 3 * 60 * MINUTE }),
      // Past the 2-day retention (an outbox drained after an outage): not counted at all.
      generation(ok, {}, { agoMs: 3 * 24 * 60 * MINUTE }),
    ]);
    expect((await statsOf("m/w")).p).toMatchObject({
      successes_5m: 1,
      successes_30m: 2,
      successes_1d: 3,
    });
    const [buckets] = await sql<{ n: number }[]>`
      select count(*)::int as n from endpoint_stats where model_id = 'm/w'`;
    expect(buckets!.n).toBe(3);
  });

  it("prunes buckets older than 2 days when the first batch of a new bucket comes in", async () => {
    await sql`
      insert into endpoint_stats (model_id, provider_slug, bucket, successes)
      values ('m/old', 'p', now() - interval '3 days', 1), ('m/old', 'p', now() - interval '1 day', 1)`;
    await write([generation([{ provider: "p", model: "m/new", status: 200 }])]);
    const rows = await sql<{ age: string }[]>`
      select case when bucket > now() - interval '2 days' then 'kept' else 'old' end as age
      from endpoint_stats where model_id = 'm/old'`;
    expect(rows.map((r) => r.age)).toEqual(["kept"]);
  });

  it("gives routing every endpoint's last 30 minutes in one read", async () => {
    await write([
      generation([
        { provider: "down", model: "m/r", status: 500 },
        { provider: "up", model: "m/r:nitro", status: 200 },
      ]),
      generation([{ provider: "up", model: "m/r", status: 200 }], { ttft: 300 }, { agoMs: 20 * MINUTE }),
      generation([{ provider: "gone", model: "m/r", status: 200 }], {}, { agoMs: 60 * MINUTE }),
    ]);
    const rows = await readRecentEndpointStats(drizzle(sql));
    const byProvider = Object.fromEntries(rows.map((r) => [`${r.model_id}@${r.provider_slug}`, r]));
    expect(Object.keys(byProvider).sort()).toEqual(["m/r@down", "m/r@up"]);
    expect(byProvider["m/r@down"]).toMatchObject({ successes_5m: 0, failures_5m: 1, latency_p50: null });
    expect(byProvider["m/r@up"]).toMatchObject({ successes_5m: 1, failures_5m: 0 });
    expect(byProvider["m/r@up"]!.latency_p50).toBeGreaterThan(90);
    expect(byProvider["m/r@up"]!.throughput_p50).toBeGreaterThan(90);
    // The last 5 minutes alone (preferred_max_latency / preferred_min_throughput): the 300 ms
    // first token of 20 minutes ago is not in them; the endpoint that never served has none.
    expect(byProvider["m/r@up"]!.latency_5m_p99).toBeGreaterThan(90);
    expect(byProvider["m/r@up"]!.latency_5m_p99).toBeLessThan(110);
    expect(byProvider["m/r@up"]!.throughput_5m_p50).toBeGreaterThan(90);
    expect(byProvider["m/r@down"]).toMatchObject({ latency_5m_p50: null, throughput_5m_p99: null });
  });
});

describe("tool-call quality (Auto Exacto, API.md b4: migrations/0006_*)", () => {
  async function toolCounts(model: string) {
    const rows = await sql<{ provider_slug: string; calls: number; errors: number }[]>`
      select provider_slug, sum(tool_calls)::int as calls, sum(tool_call_errors)::int as errors
      from endpoint_stats where model_id = ${model} group by 1 order by 1`;
    return Object.fromEntries(rows.map((r) => [r.provider_slug, [r.calls, r.errors]]));
  }

  it("adds a served generation's tool calls and broken calls to the endpoint that served it", async () => {
    await write([
      generation(
        [
          { provider: "down", model: "m/t", status: 503 },
          { provider: "up", model: "m/t:exacto", status: 200 },
        ],
        {},
        { toolCalls: 3, toolCallErrors: 1 },
      ),
      generation([{ provider: "up", model: "m/t", status: 200 }], {}, { toolCalls: 2, toolCallErrors: 0 }),
      // No tools offered: zeros (the columns' defaults), counted as a served attempt only.
      generation([{ provider: "up", model: "m/t", status: 200 }]),
    ]);
    expect(await toolCounts("m/t")).toEqual({ down: [0, 0], up: [5, 1] });
    expect(await counts("m/t")).toEqual({ down: [0, 1], up: [3, 0] });
  });

  it("does not count a redelivered batch's tool calls again", async () => {
    const batch = [
      generation(
        [{ provider: "p", model: "m/t-again", status: 200 }],
        {},
        { toolCalls: 4, toolCallErrors: 2 },
      ),
    ];
    expect(await write(batch)).toBe(1);
    expect(await write(batch)).toBe(0);
    expect(await toolCounts("m/t-again")).toEqual({ p: [4, 2] });
  });

  it("gives routing each endpoint's tool calls over the last day, beyond the 30 minutes of health", async () => {
    await write([
      generation(
        [{ provider: "p", model: "m/t-day", status: 200 }],
        {},
        { toolCalls: 10, toolCallErrors: 1 },
      ),
      generation(
        [{ provider: "p", model: "m/t-day", status: 200 }],
        {},
        { toolCalls: 10, toolCallErrors: 3, agoMs: 5 * 60 * MINUTE },
      ),
      // An endpoint with tool calls hours ago and nothing since is still read, for its tool calls.
      generation(
        [{ provider: "quiet", model: "m/t-day", status: 200 }],
        {},
        { toolCalls: 7, toolCallErrors: 7, agoMs: 3 * 60 * MINUTE },
      ),
      // Older than a day: not in the window.
      generation(
        [{ provider: "p", model: "m/t-day", status: 200 }],
        {},
        { toolCalls: 50, toolCallErrors: 50, agoMs: 30 * 60 * MINUTE },
      ),
      // Without tool calls, an hour ago: neither health (30 minutes) nor tool calls read it.
      generation([{ provider: "idle", model: "m/t-day", status: 200 }], {}, { agoMs: 60 * MINUTE }),
    ]);
    const rows = await readRecentEndpointStats(drizzle(sql));
    const byProvider = Object.fromEntries(
      rows.filter((r) => r.model_id === "m/t-day").map((r) => [r.provider_slug, r]),
    );
    expect(Object.keys(byProvider).sort()).toEqual(["p", "quiet"]);
    expect(byProvider.p).toMatchObject({ tool_calls_1d: 20, tool_call_errors_1d: 4, successes_5m: 1 });
    expect(byProvider.quiet).toMatchObject({
      tool_calls_1d: 7,
      tool_call_errors_1d: 7,
      successes_5m: 0,
      latency_p50: null,
    });
  });
});
