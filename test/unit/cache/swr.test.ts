/**
 * The in-isolate cache's contract with an injected clock (ttl 1 s, maxStale 10 s): fresh values
 * are served without a load; between ttl and 2·ttl the stale value is served and refreshed in
 * the background; from 2·ttl on the load happens before answering; a failed load serves a value
 * up to maxStale old (counted), then throws.
 */
import { describe, expect, it } from "vitest";
import { FAILURE_BACKOFF_MS, SwrCache, type SwrPolicy, withTimeout } from "../../../src/cache/swr";

const TTL = 1000;
const MAX_STALE = 10_000;

function setup() {
  let clock = 0;
  const cache = new SwrCache<string, string>(3, () => clock);
  const background: Promise<unknown>[] = [];
  const policy = (withWaitUntil = true): SwrPolicy => ({
    ttlMs: TTL,
    maxStaleMs: MAX_STALE,
    waitUntil: withWaitUntil ? (p) => background.push(p) : undefined,
  });
  let loads = 0;
  const loader = (result: string | Error) => async () => {
    loads++;
    if (result instanceof Error) throw result;
    return result;
  };
  return {
    cache,
    policy,
    background,
    loader,
    loads: () => loads,
    at: (ms: number) => {
      clock = ms;
    },
  };
}

describe("SwrCache.get", () => {
  it.each<[string, number, boolean, "ok" | "fail", string | "throws", number, number, number]>([
    // name, age, waitUntil, load, answer, loads before answering, background refreshes, staleServes
    ["fresh", 0, true, "ok", "old", 0, 0, 0],
    ["just before ttl", 999, true, "ok", "old", 0, 0, 0],
    ["at ttl: stale served, refreshed in the background", 1000, true, "ok", "old", 0, 1, 0],
    ["just before 2·ttl: stale served, refreshed", 1999, true, "ok", "old", 0, 1, 0],
    ["stale without waitUntil: loaded before answering", 1500, false, "ok", "new", 1, 0, 0],
    ["at 2·ttl: loaded before answering", 2000, true, "ok", "new", 1, 0, 0],
    ["long expired: loaded before answering", 9000, true, "ok", "new", 1, 0, 0],
    ["expired and the load fails: stale served (stale-while-error)", 2000, true, "fail", "old", 1, 0, 1],
    ["just before maxStale and the load fails: stale served", 9999, true, "fail", "old", 1, 0, 1],
    ["at maxStale and the load fails: throws", 10_000, true, "fail", "throws", 1, 0, 0],
  ])("%s", async (_name, age, withWaitUntil, load, answer, loadsBefore, refreshes, staleServes) => {
    const t = setup();
    await t.cache.get("k", t.loader("old"), t.policy());
    t.at(age);
    const result = t.cache.get(
      "k",
      t.loader(load === "ok" ? "new" : new Error("db down")),
      t.policy(withWaitUntil),
    );
    if (answer === "throws") await expect(result).rejects.toThrow("db down");
    else expect(await result).toBe(answer);
    expect(t.loads() - 1 - refreshes).toBe(loadsBefore);
    expect(t.background).toHaveLength(refreshes);
    expect(t.cache.staleServes).toBe(staleServes);
  });

  it("a background refresh replaces the value: the next request gets it without a load", async () => {
    const t = setup();
    await t.cache.get("k", t.loader("old"), t.policy());
    t.at(1500);
    expect(await t.cache.get("k", t.loader("new"), t.policy())).toBe("old");
    await Promise.all(t.background);
    expect(await t.cache.get("k", t.loader("never"), t.policy())).toBe("new");
    expect(t.loads()).toBe(2);
    // …and it is fresh from when it was loaded.
    t.at(1500 + TTL - 1);
    expect(await t.cache.get("k", t.loader("never"), t.policy())).toBe("new");
    expect(t.loads()).toBe(2);
  });

  it("a failed background refresh is swallowed and keeps the old value", async () => {
    const t = setup();
    await t.cache.get("k", t.loader("old"), t.policy());
    t.at(1500);
    expect(await t.cache.get("k", t.loader(new Error("db down")), t.policy())).toBe("old");
    await expect(Promise.all(t.background)).resolves.toBeDefined();
    expect(await t.cache.get("k", t.loader("never"), t.policy())).toBe("old");
  });

  it("nothing cached and the load fails: throws", async () => {
    const t = setup();
    await expect(t.cache.get("k", t.loader(new Error("db down")), t.policy())).rejects.toThrow("db down");
    expect(t.cache.staleServes).toBe(0);
  });

  it("stale serves are counted each time", async () => {
    const t = setup();
    await t.cache.get("k", t.loader("old"), t.policy());
    t.at(3000);
    for (let i = 0; i < 3; i++) await t.cache.get("k", t.loader(new Error("down")), t.policy());
    expect(t.cache.staleServes).toBe(3);
  });
});

describe("SwrCache: delete, clear, bounds", () => {
  it("delete forces the next get to load", async () => {
    const t = setup();
    await t.cache.get("k", t.loader("old"), t.policy());
    t.cache.delete("k");
    expect(await t.cache.get("k", t.loader("new"), t.policy())).toBe("new");
  });

  it("a deleted key is not brought back by a refresh that was already running", async () => {
    const t = setup();
    await t.cache.get("k", t.loader("before revoke"), t.policy());
    t.at(1500);
    let release!: () => void;
    const slow = () =>
      new Promise<string>((resolve) => {
        release = () => resolve("read before revoke");
      });
    expect(await t.cache.get("k", slow, t.policy())).toBe("before revoke");
    t.cache.delete("k"); // e.g. this isolate just disabled the key
    release();
    await Promise.all(t.background);
    expect(await t.cache.get("k", t.loader("after revoke"), t.policy())).toBe("after revoke");
  });

  it("clear drops everything", async () => {
    const t = setup();
    await t.cache.get("a", t.loader("a1"), t.policy());
    await t.cache.get("b", t.loader("b1"), t.policy());
    t.cache.clear();
    expect(await t.cache.get("a", t.loader("a2"), t.policy())).toBe("a2");
    expect(await t.cache.get("b", t.loader("b2"), t.policy())).toBe("b2");
  });

  it.each<[string, string[], string[], string[]]>([
    ["the oldest load is evicted beyond maxEntries", ["a", "b", "c", "d"], ["b", "c", "d"], ["a"]],
    ["a reloaded key counts as new", ["a", "b", "c", "a*", "d"], ["c", "a", "d"], ["b"]],
  ])("%s", async (_name, sequence, cached, evicted) => {
    const t = setup();
    for (const step of sequence) {
      const key = step.replace("*", "");
      if (step.endsWith("*")) t.cache.delete(key);
      await t.cache.get(key, t.loader(`${key}-value`), t.policy());
    }
    const before = t.loads();
    for (const key of cached)
      expect(await t.cache.get(key, t.loader("reloaded"), t.policy())).toBe(`${key}-value`);
    expect(t.loads()).toBe(before);
    for (const key of evicted)
      expect(await t.cache.get(key, t.loader("reloaded"), t.policy())).toBe("reloaded");
  });
});

describe("withTimeout", () => {
  it("passes a value that arrives in time", async () => {
    await expect(withTimeout(Promise.resolve(42), 50, "catalog read")).resolves.toBe(42);
  });

  it("passes the promise's own rejection", async () => {
    await expect(withTimeout(Promise.reject(new Error("refused")), 50, "catalog read")).rejects.toThrow(
      "refused",
    );
  });

  it("rejects, naming what timed out, when the promise hangs", async () => {
    await expect(withTimeout(new Promise(() => {}), 10, "key lookup")).rejects.toThrow(
      "key lookup timed out after 10 ms",
    );
  });

  it("a late answer after the timeout changes nothing", async () => {
    let resolve!: (v: string) => void;
    const late = withTimeout(
      new Promise<string>((r) => {
        resolve = r;
      }),
      5,
      "x",
    );
    await expect(late).rejects.toThrow("timed out");
    resolve("too late");
    await expect(late).rejects.toThrow("timed out");
  });
});

describe("SwrCache under load and outage", () => {
  it("starts at most one background refresh per key, however many requests find it stale", async () => {
    const t = setup();
    await t.cache.get("k", t.loader("old"), t.policy());
    t.at(1500);
    const never = () => new Promise<string>(() => {});
    for (let i = 0; i < 50; i++) expect(await t.cache.get("k", never, t.policy())).toBe("old");
    expect(t.background).toHaveLength(1);
  });

  it("after a failed load, serves the stale value at once for the backoff instead of retrying per request", async () => {
    const t = setup();
    await t.cache.get("k", t.loader("old"), t.policy());
    t.at(5000);
    expect(await t.cache.get("k", t.loader(new Error("db down")), t.policy())).toBe("old");
    const loadsAfterFailure = t.loads();
    t.at(5000 + FAILURE_BACKOFF_MS - 1);
    for (let i = 0; i < 20; i++) expect(await t.cache.get("k", t.loader("new"), t.policy())).toBe("old");
    expect(t.loads()).toBe(loadsAfterFailure);
    t.at(5000 + FAILURE_BACKOFF_MS);
    expect(await t.cache.get("k", t.loader("new"), t.policy())).toBe("new");
  });
});

describe("SwrCache blocking loads", () => {
  it("shares one load among the requests that miss the same key at once", async () => {
    const t = setup();
    let release: (v: string) => void = () => {};
    let loads = 0;
    const slow = () => {
      loads++;
      return new Promise<string>((resolve) => {
        release = resolve;
      });
    };
    const waiting = Array.from({ length: 50 }, () => t.cache.get("k", slow, t.policy()));
    release("loaded");
    expect(await Promise.all(waiting)).toEqual(Array(50).fill("loaded"));
    expect(loads).toBe(1);
  });

  it("a joiner stops waiting after joinTimeoutMs and loads for itself", async () => {
    const t = setup();
    const never = () => new Promise<string>(() => {});
    void t.cache.get("k", never, t.policy());
    const own = await t.cache.get("k", t.loader("mine"), { ...t.policy(), joinTimeoutMs: 10 });
    expect(own).toBe("mine");
  });
});
