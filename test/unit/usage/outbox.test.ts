/**
 * The outbox's pace: a lone request's row is written 100 ms after it (the coalescing window),
 * but under sustained load a flush waits until a second after the previous one started — every
 * flush is a new connection and login, so the writes of a busy isolate cost one a second.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { GenerationRow } from "../../../src/usage/record";

const writes = vi.hoisted(() => [] as { at: number; ids: string[] }[]);
vi.mock("../../../src/db/client", () => ({ createDb: () => ({}) }));
vi.mock("../../../src/usage/record", () => ({
  settleGenerations: async (_db: unknown, rows: GenerationRow[]) =>
    void writes.push({ at: Date.now(), ids: rows.map((r) => r.id) }),
}));

const { addToOutbox, flushOutbox } = await import("../../../src/usage/outbox");

const row = (id: string) => ({ id }) as GenerationRow;

/** One request's recording: its row, then the flush its waitUntil runs. */
function record(id: string): Promise<void> {
  addToOutbox([row(id)]);
  return flushOutbox({ connectionString: "postgres://db/usage" });
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  writes.length = 0;
});
afterEach(() => vi.useRealTimers());

describe("flushOutbox", () => {
  it("writes a lone row after the 100 ms window, with the rows that arrived meanwhile", async () => {
    const first = record("a");
    await vi.advanceTimersByTimeAsync(50);
    const joined = record("b"); // a flush is running: this one returns at once
    await vi.advanceTimersByTimeAsync(60);
    await Promise.all([first, joined]);
    expect(writes).toEqual([{ at: 1_000_100, ids: ["a", "b"] }]);
  });

  it("under sustained load writes at most once a second, then returns to 100 ms after a pause", async () => {
    // A request every 50 ms for 3 s.
    const flushes: Promise<void>[] = [];
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
});
