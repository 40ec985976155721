/**
 * The USAGE_QUEUE consumer in the Workers runtime, against a real Postgres: a batch is written in
 * one statement and acknowledged, and a redelivery charges nothing twice; when the database cannot
 * be reached, every message is retried later, backing off; a row the database refuses is retried
 * alone while the rest of its batch is written.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, inArray, like } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { generateApiKey, hashApiKey, keyLabel } from "../../src/auth/api-key";
import { createDb } from "../../src/db/client";
import { insertKey } from "../../src/db/queries/keys";
import { apiKeys, generations } from "../../src/db/schema";
import worker from "../../src/index";
import { consumeUsageBatch, retryDelaySeconds } from "../../src/usage/queue-consumer";
import type { GenerationRow } from "../../src/usage/record";
import { generationRow } from "../support/generation-row";

const run = `q${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const db = () => createDb(env.HYPERDRIVE.connectionString);

afterAll(async () => {
  await db()
    .delete(apiKeys)
    .where(like(apiKeys.name, `${run}-%`));
});

async function newKey(name: string) {
  const secret = generateApiKey(false);
  const key = await insertKey(db(), {
    hash: await hashApiKey(secret),
    label: keyLabel(secret),
    name: `${run}-${name}`,
    credits: "10",
  });
  return key;
}

let sequence = 0;
const row = (key: { hash: string; accountId: string }, totalCost: string) =>
  generationRow({
    id: `gen-${run}-${++sequence}`,
    keyHash: key.hash,
    accountId: key.accountId,
    createdAt: new Date().toISOString(),
    totalCost,
  });

/**
 * A batch as the queue delivers it, each message's `retry` also noting the delay it was given
 * (the test pool's `getQueueResult` reports which messages were retried, not when).
 */
function batchOf(rows: GenerationRow[], attempts = 1) {
  const batch = createMessageBatch<GenerationRow>(
    "switchyard-usage",
    rows.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts, body })),
  );
  const delays: Record<string, number | undefined> = {};
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    Object.defineProperty(message, "retry", {
      value: (options?: QueueRetryOptions) => {
        delays[message.id] = options?.delaySeconds;
        retry(options);
      },
    });
  }
  return Object.assign(batch, { delays });
}

async function usageOf(hash: string): Promise<string | undefined> {
  const [key] = await db().select({ usage: apiKeys.usage }).from(apiKeys).where(eq(apiKeys.hash, hash));
  return key?.usage;
}

describe("the usage queue consumer", () => {
  it("writes a batch in one go and acknowledges it; a redelivery charges nothing twice", async () => {
    const key = await newKey("batch");
    const rows = [row(key, "0.5"), row(key, "0.25")];
    for (let delivery = 1; delivery <= 2; delivery++) {
      const batch = batchOf(rows, delivery);
      const ctx = createExecutionContext();
      await worker.queue(batch, env);
      const result = await getQueueResult(batch, ctx);
      expect(result.ackAll).toBe(true);
      expect(result.retryMessages).toEqual([]);
    }
    expect(await usageOf(key.hash)).toBe("0.750000000000");
    const stored = await db()
      .select({ id: generations.id })
      .from(generations)
      .where(
        inArray(
          generations.id,
          rows.map((r) => r.id),
        ),
      );
    expect(stored).toHaveLength(2);
  });

  it("retries every message later when the database cannot be reached, and acknowledges none", async () => {
    const key = await newKey("down");
    const batch = batchOf([row(key, "0.5"), row(key, "0.5")], 3);
    const ctx = createExecutionContext();
    await consumeUsageBatch(batch, "postgres://postgres:postgres@127.0.0.1:1/nowhere", 5_000);
    const result = await getQueueResult(batch, ctx);
    expect(result.ackAll).toBe(false);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m0", "m1"]);
    expect(batch.delays).toEqual({ m0: 40, m1: 40 });
    expect(await usageOf(key.hash)).toBe("0.000000000000");
  });

  it("writes the rest of a batch when the database refuses one row, and retries that row alone", async () => {
    const key = await newKey("refused");
    const good = [row(key, "0.5"), row(key, "0.25")];
    const refused = { ...row(key, "1"), tokensPrompt: "many" as unknown as number };
    const batch = batchOf([good[0]!, refused, good[1]!]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.ackAll).toBe(false);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m2"]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m1"]);
    expect(batch.delays).toEqual({ m1: 10 });
    expect(await usageOf(key.hash)).toBe("0.750000000000");
  });
});

describe("retryDelaySeconds", () => {
  it("doubles from 10 s up to an hour", () => {
    expect([1, 2, 3, 4, 9, 10, 11, 100].map(retryDelaySeconds)).toEqual([
      10, 20, 40, 80, 2560, 3600, 3600, 3600,
    ]);
  });

  it("makes Cloudflare's 100 retries outlast a day-long outage within the default 4-day retention", () => {
    let total = 0;
    for (let attempts = 1; attempts <= 100; attempts++) total += retryDelaySeconds(attempts);
    expect(total).toBeGreaterThan(3 * 86_400);
    expect(total).toBeLessThan(4 * 86_400);
  });
});
