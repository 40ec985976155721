import { beforeEach, describe, expect, it, vi } from "vitest";
import type { RequestScope } from "../../../src/cache/routing-data";
import type { Bindings } from "../../../src/env";
import type { GenerationRow } from "../../../src/usage/record";

// The outbox writes to Postgres; here we only see what the sink hands it.
const outbox = vi.hoisted(() => ({ added: [] as string[], flushes: [] as string[] }));
vi.mock("../../../src/usage/outbox", () => ({
  addToOutbox: (rows: GenerationRow[]) => outbox.added.push(...rows.map((r) => r.id)),
  // Like the real one: only the first call starts a flush (a promise); later calls join it.
  flushOutbox: (database: { connectionString: string }) => {
    if (outbox.flushes.push(database.connectionString) > 1) return undefined;
    return Promise.resolve();
  },
  outboxSize: () => outbox.added.length,
}));

const { recordGeneration } = await import("../../../src/usage/sink");

function row(id: string): GenerationRow {
  return {
    id,
    createdAt: "2026-11-28T00:00:00.000Z",
    accountId: "00000000-0000-0000-0000-000000000001",
    keyHash: "k".repeat(64),
    requestedModel: "m",
    streamed: false,
    status: 200,
  };
}

function scope(queue?: Queue<unknown>) {
  const held: Promise<unknown>[] = [];
  const env = {
    HYPERDRIVE: { connectionString: "postgres://db/usage" },
    USAGE_QUEUE: queue,
  } as unknown as Bindings;
  const s: RequestScope = { env, waitUntil: (p) => held.push(p) };
  return { scope: s, held };
}

function queue(fail = false) {
  const batches: string[][] = [];
  const q = {
    sendBatch: async (messages: Iterable<MessageSendRequest<{ id: string }>>) => {
      batches.push([...messages].map((m) => m.body.id));
      if (fail) throw new Error("queue down");
    },
  } as unknown as Queue<unknown>;
  return { q, batches };
}

beforeEach(() => {
  outbox.added.length = 0;
  outbox.flushes.length = 0;
});

describe("recordGeneration", () => {
  it("with a queue, sends a window's rows in one batch and holds only the first request open", async () => {
    const { q, batches } = queue();
    const requests = ["a", "b", "c"].map((id) => {
      const r = scope(q);
      recordGeneration(r.scope, row(id));
      return r.held;
    });
    expect(requests.map((held) => held.length)).toEqual([1, 0, 0]);
    await Promise.all(requests.flat());
    expect(batches).toEqual([["a", "b", "c"]]);
    expect(outbox.added).toEqual([]);
  });

  it("with a queue that fails, writes the rows through the outbox instead", async () => {
    const { q, batches } = queue(true);
    const first = scope(q);
    recordGeneration(first.scope, row("x"));
    recordGeneration(scope(q).scope, row("y"));
    await Promise.all(first.held);
    expect(batches).toEqual([["x", "y"]]);
    expect(outbox.added).toEqual(["x", "y"]);
    expect(outbox.flushes).toEqual(["postgres://db/usage"]);
  });

  it("without a queue, puts every row in the outbox and holds open only the request that starts a flush", async () => {
    const requests = ["p", "q"].map((id) => {
      const r = scope();
      recordGeneration(r.scope, row(id));
      return r.held;
    });
    expect(requests.map((held) => held.length)).toEqual([1, 0]);
    await Promise.all(requests.flat());
    expect(outbox.added).toEqual(["p", "q"]);
  });
});
