/**
 * The outbox's pace: a lone request's row is written 100 ms after it (the coalescing window),
 * but under sustained load a flush waits until a second after the previous one started — every
 * flush is a new connection and login, so the writes of a busy isolate cost one a second.
 * And a row the database refuses for its data costs only itself.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { GenerationRow } from "../../../src/usage/record";

const writes = vi.hoisted(() => [] as { at: number; ids: string[] }[]);
/** Called after each write is recorded, before the flush sees its answer. */
const afterWrite = vi.hoisted(() => ({ hook: undefined as (() => void) | undefined }));
/** Rows the database refuses, as Postgres refuses a value of the wrong type, under drizzle's wrapper. */
const refused = vi.hoisted(() => new Set<string>());
vi.mock("../../../src/db/client", () => ({ createDb: () => ({}) }));
vi.mock("../../../src/usage/record", () => ({
  settleGenerations: async (_db: unknown, rows: GenerationRow[]) => {
    if (rows.some((r) => refused.has(r.id))) {
      const cause = Object.assign(new Error('invalid input syntax for type integer: "many"'), {
        name: "PostgresError",
        code: "22P02",
      });
      throw Object.assign(new Error(`Failed query: insert … params: ${JSON.stringify(rows)}`), { cause });
    }
    writes.push({ at: Date.now(), ids: rows.map((r) => r.id) });
    afterWrite.hook?.();
  },
}));

const { addToOutbox, flushOutbox } = await import("../../../src/usage/outbox");

const row = (id: string) => ({ id }) as GenerationRow;

/** One request's recording: its row, then the flush its waitUntil runs (none if it joined one). */
function record(id: string): Promise<void> | undefined {
  addToOutbox([row(id)]);
  return flushOutbox({ connectionString: "postgres://db/usage" });
}

// The outbox paces itself by the time of its last flush (module state): each test starts a
// minute after the previous one's clock, as after a pause.
let clock = 1_000_000;
beforeEach(() => {
  clock += 60_000;
  vi.useFakeTimers({ now: clock });
  writes.length = 0;
  afterWrite.hook = undefined;
  refused.clear();
});
afterEach(() => vi.useRealTimers());

describe("flushOutbox", () => {
  it("writes a lone row after the 100 ms window, with the rows that arrived meanwhile", async () => {
    const started = Date.now();
    const first = record("a");
    await vi.advanceTimersByTimeAsync(50);
    const joined = record("b"); // a flush is running: this one returns at once
    await vi.advanceTimersByTimeAsync(60);
    await Promise.all([first, joined]);
    expect(writes).toEqual([{ at: started + 100, ids: ["a", "b"] }]);
  });

  it("under sustained load writes at most once a second, then returns to 100 ms after a pause", async () => {
    // A request every 50 ms for 3 s.
    const flushes: (Promise<void> | undefined)[] = [];
    for (let t = 0; t < 3_000; t += 50) {
      flushes.push(record(`r${t}`));
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(flushes);
    const gaps = writes.slice(1).map((w, i) => w.at - (writes[i]?.at ?? 0));
    expect(gaps.every((gap) => gap >= 1_000)).toBe(true);
    expect(writes.length).toBeLessThanOrEqual(4);
    expect(writes.flatMap((w) => w.ids)).toHaveLength(60);

    await vi.advanceTimersByTimeAsync(5_000);
    const quiet = Date.now();
    await Promise.all([record("after-pause"), vi.advanceTimersByTimeAsync(100)]);
    expect(writes.at(-1)).toEqual({ at: quiet + 100, ids: ["after-pause"] });
  });

  // Whichever microtask turn after the write the flush gives up on, a row added after that
  // turn must start a flush of its own rather than wait for the next request (maybe never).
  it.each(Array.from({ length: 16 }, (_, turn) => turn))(
    "writes a row that arrives %i microtask turns after the last write",
    async (turn) => {
      let late: Promise<void> | undefined;
      afterWrite.hook = () => {
        afterWrite.hook = undefined;
        let left = turn;
        const next = () => {
          if (left-- > 0) queueMicrotask(next);
          else late = record("late");
        };
        queueMicrotask(next);
      };
      const first = record("first");
      await vi.advanceTimersByTimeAsync(2_000);
      await Promise.all([first, late]);
      expect(writes.flatMap((w) => w.ids)).toEqual(["first", "late"]);
    },
  );

  it("writes the rest of a batch when the database refuses a row, and drops that row alone", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    refused.add("bad");
    const flushes = [record("a"), record("bad"), record("c")];
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all(flushes);
    expect(writes.map((w) => w.ids)).toEqual([["a"], ["c"]]);
    expect(logged.mock.calls.map(([line]) => line)).toEqual([
      "usage record bad refused by the database and dropped: PostgresError 22P02",
    ]);

    // It does not come back to block the rows after it.
    const next = record("d");
    await vi.advanceTimersByTimeAsync(2_000);
    await next;
    expect(writes.at(-1)?.ids).toEqual(["d"]);
    logged.mockRestore();
  });
});
