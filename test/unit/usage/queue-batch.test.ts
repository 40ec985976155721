import { describe, expect, it } from "vitest";
import {
  packBatches,
  QUEUE_LIMITS,
  QueueBatcher,
  type UsageQueue,
  utf8Length,
} from "../../../src/usage/queue-batch";
import type { GenerationRow } from "../../../src/usage/record";

function row(n: number, extra: Partial<GenerationRow> = {}): GenerationRow {
  return {
    id: `gen-${n}`,
    createdAt: new Date(Date.UTC(2026, 10, 28, 0, 0, 0, n)).toISOString(),
    accountId: "00000000-0000-0000-0000-000000000001",
    keyHash: "k".repeat(64),
    requestedModel: "openai/gpt-4o",
    streamed: false,
    status: 200,
    totalCost: "0.000123",
    ...extra,
  };
}

/** A queue binding that records every sendBatch; `fail(n)` makes the n-th call (1-based) reject. */
function fakeQueue(opts: { failCalls?: number[]; hangCalls?: number[]; sendMs?: number } = {}) {
  const calls: MessageSendRequest<GenerationRow>[][] = [];
  const queue: UsageQueue = {
    async sendBatch(messages) {
      const batch = [...messages];
      calls.push(batch);
      const n = calls.length;
      if (opts.sendMs) await new Promise((r) => setTimeout(r, opts.sendMs));
      if (opts.hangCalls?.includes(n)) await new Promise(() => {});
      if (opts.failCalls?.includes(n)) throw new Error("Queue is overloaded. Please back off.");
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as QueueSendBatchResponse;
    },
  };
  const ids = () => calls.map((batch) => batch.map((m) => m.body.id));
  return { queue, calls, ids };
}

/** A fallback that records the rows handed to it. */
function fakeFallback() {
  const rows: GenerationRow[] = [];
  return { rows, fallback: async (r: GenerationRow[]) => void rows.push(...r) };
}

const fast = { coalesceMs: 5, sendTimeoutMs: 200, maxFlushMs: 2_000, staleFlushMs: 15_000 };

describe("QueueBatcher", () => {
  it("sends the rows of one window as ONE sendBatch, started by the first row only", async () => {
    const batcher = new QueueBatcher(fast);
    const { queue, calls, ids } = fakeQueue();
    const { fallback, rows: fellBack } = fakeFallback();

    const first = batcher.add(row(1), queue, fallback);
    const later = [2, 3, 4].map((n) => batcher.add(row(n), queue, fallback));
    expect(first).toBeInstanceOf(Promise);
    expect(later).toEqual([undefined, undefined, undefined]);
    expect(batcher.size).toBe(4);

    await first;
    expect(calls).toHaveLength(1);
    expect(ids()).toEqual([["gen-1", "gen-2", "gen-3", "gen-4"]]);
    expect(fellBack).toEqual([]);
    expect(batcher.size).toBe(0);
  });

  it("sends JSON messages the consumer turns back into the same rows", async () => {
    const batcher = new QueueBatcher(fast);
    const { queue, calls } = fakeQueue();
    const original = row(7, { rawUsage: { prompt_tokens: 3 }, appTitle: "Zoë's app" });
    await batcher.add(original, queue, fakeFallback().fallback);
    const message = calls[0]?.[0];
    expect(message?.contentType).toBe("json");
    expect(JSON.parse(JSON.stringify(message?.body))).toEqual(original);
  });

  it("splits a window into batches of at most 100 messages, in order", async () => {
    const batcher = new QueueBatcher(fast);
    const { queue, ids } = fakeQueue();
    const { fallback } = fakeFallback();
    const flush = batcher.add(row(0), queue, fallback);
    for (let n = 1; n < 250; n++) batcher.add(row(n), queue, fallback);
    await flush;
    expect(ids().map((batch) => batch.length)).toEqual([100, 100, 50]);
    expect(ids().flat()).toEqual(Array.from({ length: 250 }, (_, n) => `gen-${n}`));
  });

  it("hands a failed batch and the rest of its flush to the fallback, losing no row", async () => {
    const batcher = new QueueBatcher(fast);
    const { queue, ids } = fakeQueue({ failCalls: [2] });
    const { fallback, rows: fellBack } = fakeFallback();
    const flush = batcher.add(row(0), queue, fallback);
    for (let n = 1; n < 250; n++) batcher.add(row(n), queue, fallback);
    await flush;

    // Batch 1 sent, batch 2 failed; batch 3 is not tried against a failing queue.
    const sent = ids();
    expect(sent.map((b) => b.length)).toEqual([100, 100]);
    expect(fellBack.map((r) => r.id)).toEqual(Array.from({ length: 150 }, (_, n) => `gen-${n + 100}`));
  });

  it("tries the queue again in the next flush after a failure", async () => {
    const batcher = new QueueBatcher(fast);
    const { queue, ids } = fakeQueue({ failCalls: [1] });
    const { fallback, rows: fellBack } = fakeFallback();
    await batcher.add(row(1), queue, fallback);
    await batcher.add(row(2), queue, fallback);
    expect(ids()).toEqual([["gen-1"], ["gen-2"]]);
    expect(fellBack.map((r) => r.id)).toEqual(["gen-1"]);
  });

  it("hands a send that does not settle in time to the fallback, and still waits for it", async () => {
    const batcher = new QueueBatcher({ ...fast, sendTimeoutMs: 50 });
    const events: string[] = [];
    const queue: UsageQueue = {
      sendBatch: () =>
        new Promise((resolve) =>
          setTimeout(() => {
            events.push("send settled");
            resolve({
              metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
            } as QueueSendBatchResponse);
          }, 150),
        ),
    };
    await batcher.add(row(1), queue, async (rows) => void events.push(`fallback ${rows.map((r) => r.id)}`));
    expect(events).toEqual(["fallback gen-1", "send settled"]);
  });

  it("hands the rows back when sendBatch throws before returning a promise", async () => {
    const batcher = new QueueBatcher(fast);
    const queue: UsageQueue = {
      sendBatch: () => {
        throw new TypeError("Message body too large");
      },
    };
    const { fallback, rows: fellBack } = fakeFallback();
    await batcher.add(row(1), queue, fallback);
    expect(fellBack.map((r) => r.id)).toEqual(["gen-1"]);
  });

  it("carries rows that arrive during a send in the same flush, one window later", async () => {
    const batcher = new QueueBatcher(fast);
    const { queue, ids } = fakeQueue({ sendMs: 30 });
    const { fallback } = fakeFallback();
    const flush = batcher.add(row(1), queue, fallback);
    await new Promise((r) => setTimeout(r, 15)); // the first send is under way
    expect(batcher.add(row(2), queue, fallback)).toBeUndefined();
    await flush;
    expect(ids()).toEqual([["gen-1"], ["gen-2"]]);
  });

  it("starts a new flush once the last one has finished", async () => {
    const batcher = new QueueBatcher(fast);
    const { queue, ids } = fakeQueue();
    const { fallback } = fakeFallback();
    await batcher.add(row(1), queue, fallback);
    const next = batcher.add(row(2), queue, fallback);
    expect(next).toBeInstanceOf(Promise);
    await next;
    expect(ids()).toEqual([["gen-1"], ["gen-2"]]);
  });

  it("starts another flush when the running one is older than staleFlushMs (its request was cut off)", async () => {
    const batcher = new QueueBatcher({ ...fast, staleFlushMs: 20 });
    const { queue, ids } = fakeQueue({ hangCalls: [1] });
    const { fallback } = fakeFallback();
    void batcher.add(row(1), queue, fallback); // never settles within staleFlushMs
    await new Promise((r) => setTimeout(r, 30));
    const second = batcher.add(row(2), queue, fallback);
    expect(second).toBeInstanceOf(Promise);
    await second;
    expect(ids()).toEqual([["gen-1"], ["gen-2"]]);
  });
});

describe("packBatches", () => {
  const bytes = (m: MessageSendRequest<GenerationRow>) =>
    utf8Length(JSON.stringify(m.body)) + QUEUE_LIMITS.metadataBytes;

  it("keeps every batch within 256 KB counting each message's JSON and metadata", () => {
    // ~60 KB each: four fit in one batch by count, at most four by size.
    const rows = Array.from({ length: 10 }, (_, n) => row(n, { userAgent: "x".repeat(60_000) }));
    const { batches, oversized } = packBatches(rows);
    expect(oversized).toEqual([]);
    expect(batches.map((b) => b.messages.length)).toEqual([4, 4, 2]);
    for (const b of batches) {
      expect(b.messages.reduce((sum, m) => sum + bytes(m), 0)).toBeLessThanOrEqual(256_000);
    }
  });

  it("counts UTF-8 bytes, not characters", () => {
    const rows = Array.from({ length: 4 }, (_, n) => row(n, { userAgent: "é".repeat(40_000) })); // 80 KB each
    expect(packBatches(rows).batches.map((b) => b.messages.length)).toEqual([3, 1]);
  });

  it("sets aside a row whose message alone is over 128 KB", () => {
    const big = row(2, { userAgent: "x".repeat(128_000) });
    const { batches, oversized } = packBatches([row(1), big, row(3)]);
    expect(oversized).toEqual([big]);
    expect(batches.map((b) => b.rows.map((r) => r.id))).toEqual([["gen-1", "gen-3"]]);
  });
});

describe("utf8Length", () => {
  it("is the string length for ASCII and the encoded length otherwise", () => {
    expect(utf8Length('{"a":"b"}')).toBe(9);
    expect(utf8Length("Zoë")).toBe(4);
    expect(utf8Length("日本")).toBe(6);
    expect(utf8Length("🙂")).toBe(4);
  });
});
