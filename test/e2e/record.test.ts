/**
 * Settling usage against a real Postgres: one statement per batch moves each key's and
 * account's spend by exactly the batch's cost, per UTC day, and a redelivered batch (a queue
 * retry, an outbox flush after a timeout that had in fact committed) changes nothing.
 */

import { inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeDbError } from "../../src/db/errors";
import { generations } from "../../src/db/schema";
import { type GenerationRow, settleGenerations } from "../../src/usage/record";
import { generationRow } from "../support/generation-row";
import { freshDatabase } from "./support/fresh-database";
import { createKey } from "./support/test-catalog";

let db: Awaited<ReturnType<typeof freshDatabase>>;
let sql: postgres.Sql;

beforeAll(async () => {
  db = await freshDatabase("record");
  sql = postgres(db.url, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

async function keyOf(hash: string) {
  const [row] = await sql<
    { usage: string; byok_usage: string; account_id: string }[]
  >`select usage::text, byok_usage::text, account_id from api_keys where hash = ${hash}`;
  return row!;
}

const row = (id: string, keyHash: string, accountId: string, createdAt: string, totalCost: string) =>
  generationRow({ id, keyHash, accountId, createdAt, totalCost });

describe("settleGenerations", () => {
  it("charges exactly the batch, per key, account and UTC day, and a redelivery changes nothing", async () => {
    const a = await createKey(db.url, "10", "a");
    const b = await createKey(db.url, "10", "b");
    const accA = (await keyOf(a.hash)).account_id;
    const accB = (await keyOf(b.hash)).account_id;
    const batch = [
      row("gen-1795000000-aaaaaaaaaaaaaaaaaaaa", a.hash, accA, "2026-11-27T23:59:59.500Z", "0.000000000123"),
      row("gen-1795000001-bbbbbbbbbbbbbbbbbbbb", a.hash, accA, "2026-11-28T00:00:00.250Z", "0.1"),
      row("gen-1795000002-cccccccccccccccccccc", b.hash, accB, "2026-11-28T00:00:01.000Z", "0"),
    ];
    const orm = drizzle(sql);
    expect(await settleGenerations(orm, batch)).toBe(3);
    expect(await settleGenerations(orm, batch)).toBe(0);

    expect((await keyOf(a.hash)).usage).toBe("0.100000000123");
    expect((await keyOf(b.hash)).usage).toBe("0.000000000000");
    const [account] = await sql<{ usage: string }[]>`select usage::text from accounts where id = ${accA}`;
    expect(account?.usage).toBe("0.100000000123");
    const days = await sql<{ day: string; usage: string; requests: number }[]>`
      select day::text, usage::text, requests from key_usage_daily where key_hash = ${a.hash} order by day`;
    expect(days).toEqual([
      { day: "2026-11-27", usage: "0.000000000123", requests: 1 },
      { day: "2026-11-28", usage: "0.100000000000", requests: 1 },
    ]);
    const [stored] = await sql<{ attempts: unknown; cancelled: boolean }[]>`
      select attempts, cancelled from generations where id = ${batch[0]!.id}`;
    expect(stored).toEqual({
      attempts: [{ provider: "p", model: "test/gpt", status: 200, latencyMs: 3 }],
      cancelled: false,
    });
  });

  it("stores every column of a row as given, and a sparse row with nulls and the table's defaults", async () => {
    const k = await createKey(db.url, "10", "full");
    const accountId = (await keyOf(k.hash)).account_id;
    const full: GenerationRow = {
      id: "gen-1795000100-ffffffffffffffffffff",
      createdAt: "2026-11-28T12:34:56.789Z",
      accountId,
      keyHash: k.hash,
      requestedModel: "openrouter/auto",
      model: "test/gpt",
      providerSlug: "p",
      providerName: "Provider P",
      upstreamId: "chatcmpl-1",
      streamed: true,
      cancelled: true,
      status: 200,
      finishReason: "length",
      nativeFinishReason: "max_tokens",
      tokensPrompt: 11,
      tokensCompletion: 22,
      tokensReasoning: 3,
      tokensCached: 4,
      tokensCacheWrite: 5,
      usageEstimated: true,
      totalCost: "0.000000000042",
      isByok: true,
      upstreamInferenceCost: "0.000000000840",
      latencyMs: 1234,
      generationTimeMs: 1000,
      timeToFirstTokenMs: 150,
      attempts: [
        {
          provider: "q",
          model: "test/gpt",
          status: 429,
          latencyMs: 9,
          errorType: "rate_limit_exceeded",
          message: "slow down",
        },
      ],
      compression: {
        engine: "middle-out",
        messagesIn: 9,
        messagesOut: 5,
        tokensIn: 900,
        tokensOut: 500,
        truncatedMessages: 1,
      },
      rawUsage: { prompt_tokens: 11, nested: { a: [1, null, "x"] }, note: 'it\'s "quoted" ü' },
      error: { code: 502, message: "upstream's stream broke", type: "provider_unavailable" },
      httpReferer: "https://app.example/ü",
      appTitle: "App",
      userAgent: "sdk/1.0",
      externalUser: "user-7",
      sessionId: "s-1",
      toolCalls: 3,
      toolCallErrors: 1,
    };
    const sparse: GenerationRow = {
      id: "gen-1795000101-ssssssssssssssssssss",
      createdAt: "2026-11-28T12:34:57.000Z",
      accountId,
      keyHash: k.hash,
      requestedModel: "test/gpt",
      streamed: false,
      status: 503,
    };
    expect(await settleGenerations(drizzle(sql), [full, sparse])).toBe(2);

    const stored = await drizzle(sql)
      .select()
      .from(generations)
      .where(inArray(generations.id, [full.id, sparse.id]))
      .orderBy(generations.id);
    expect(stored[0]).toEqual({ ...full, createdAt: new Date(full.createdAt) });
    // A BYOK row's list price is the key's (and its day's) BYOK spend; the fee is its usage.
    expect(await keyOf(k.hash)).toMatchObject({ usage: "0.000000000042", byok_usage: "0.000000000840" });
    const [day] = await sql<{ byok_usage: string }[]>`
      select byok_usage::text from key_usage_daily where key_hash = ${k.hash}`;
    expect(day?.byok_usage).toBe("0.000000000840");
    // SQL nulls, not the jsonb value `null` (which reads back as null in JS too).
    const [nulls] = await sql<{ n: number }[]>`
      select count(*)::int as n from generations
      where id = ${sparse.id} and raw_usage is null and compression is null and error is null`;
    expect(nulls?.n).toBe(1);
    expect(stored[1]).toEqual({
      ...sparse,
      createdAt: new Date(sparse.createdAt),
      model: null,
      providerSlug: null,
      providerName: null,
      upstreamId: null,
      cancelled: false,
      finishReason: null,
      nativeFinishReason: null,
      tokensPrompt: 0,
      tokensCompletion: 0,
      tokensReasoning: 0,
      tokensCached: 0,
      tokensCacheWrite: 0,
      usageEstimated: false,
      totalCost: "0.000000000000",
      isByok: false,
      upstreamInferenceCost: null,
      latencyMs: null,
      generationTimeMs: null,
      timeToFirstTokenMs: null,
      attempts: [],
      compression: null,
      rawUsage: null,
      error: null,
      httpReferer: null,
      appTitle: null,
      userAgent: null,
      externalUser: null,
      sessionId: null,
      toolCalls: 0,
      toolCallErrors: 0,
    });
  });

  it("a row with text Postgres cannot store (NUL, a lone surrogate) is still stored and charged, with U+FFFD", async () => {
    // A client's `user`/`session_id` and a provider's error text reach the row as sent: were the
    // row refused, the request would have been free.
    const k = await createKey(db.url, "10", "nul");
    const accountId = (await keyOf(k.hash)).account_id;
    const odd: GenerationRow = {
      ...row("gen-1795000200-nnnnnnnnnnnnnnnnnnnn", k.hash, accountId, "2026-11-28T12:00:00.000Z", "0.25"),
      externalUser: "a\u0000b",
      sessionId: "\ud800",
      appTitle: "\udfffApp",
      error: { code: 502, message: "upstream said \u0000", type: "provider_unavailable" },
      rawUsage: { note: "x\u0000" },
    };
    expect(await settleGenerations(drizzle(sql), [odd])).toBe(1);
    expect((await keyOf(k.hash)).usage).toBe("0.250000000000");
    const [stored] = await sql<
      {
        external_user: string;
        session_id: string;
        app_title: string;
        error: { message: string };
        raw_usage: unknown;
      }[]
    >`select external_user, session_id, app_title, error, raw_usage from generations where id = ${odd.id}`;
    expect(stored).toEqual({
      external_user: "a\ufffdb",
      session_id: "\ufffd",
      app_title: "\ufffdApp",
      error: expect.objectContaining({ message: "upstream said \ufffd" }),
      raw_usage: { note: "x\ufffd" },
    });
  });

  it("a failed write is logged by its kind and code, never with the rows it carried", async () => {
    const k = await createKey(db.url, "10", "refused");
    const accountId = (await keyOf(k.hash)).account_id;
    const refused = {
      ...row("gen-1795000200-rrrrrrrrrrrrrrrrrrrr", k.hash, accountId, "2026-11-28T00:00:00.000Z", "0"),
      userAgent: "private-agent/1.0",
      tokensPrompt: "many" as unknown as number,
    };
    const error = await settleGenerations(drizzle(sql), [refused]).catch((e: unknown) => e);
    expect(String(error)).toContain("private-agent"); // what drizzle's own message would have logged
    expect(describeDbError(error)).toBe("PostgresError 22P02");

    const nowhere = drizzle(postgres("postgres://postgres@127.0.0.1:1/none", { max: 1, onnotice: () => {} }));
    const unreachable = await settleGenerations(nowhere, [refused]).catch((e: unknown) => e);
    expect(describeDbError(unreachable)).toBe("Error ECONNREFUSED");
  });
});
