/**
 * Sticky provider routing for prompt caching as a specification (API.md b10): the conversation's
 * key, when stickiness starts, what it never overrides, its TTL and its memory bound. Prices are
 * per million tokens; "cheap" < "mid" < "dear", each reading its cache at a tenth of its input.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChatRun } from "../../../src/api/chat-run";
import type { RequestScope } from "../../../src/cache/routing-data";
import type { KeyRecord } from "../../../src/db/queries/keys";
import { GatewayError } from "../../../src/errors";
import type { ServedStream } from "../../../src/routing/execute";
import { type PlanInput, planRoute, type StickySource } from "../../../src/routing/plan";
import { emptyOutcome } from "../../../src/routing/respond";
import {
  conversationKey as keyOf,
  STICKY_TTL_MS,
  StickyRoutes,
  sessionIdOf,
} from "../../../src/routing/sticky";
import type { ChatRequest } from "../../../src/schema/chat-request";
import { parseDecimal } from "../../../src/usage/decimal";
import { catalogOf, chat, perToken } from "./catalog-rows";

const cached = (usdPerMillion: number) => ({ priceInputCacheRead: perToken(usdPerMillion) });
const catalog = catalogOf({
  "m/c": [
    { provider: "cheap", prompt: 1, ...cached(0.1) },
    { provider: "mid", prompt: 1.5, ...cached(0.15) },
    { provider: "dear", prompt: 2, ...cached(0.2) },
  ],
  "m/c2": [
    { provider: "cheap", prompt: 1, ...cached(0.1) },
    { provider: "dear", prompt: 2, ...cached(0.2) },
  ],
  "m/mixed": [
    { provider: "cheap", prompt: 1 },
    { provider: "dear", prompt: 2, ...cached(0.2) },
  ],
  // No cache price (reads cost as input), and one priced at exactly its input.
  "m/flat": [
    { provider: "cheap", prompt: 1 },
    { provider: "dear", prompt: 2, ...cached(2) },
  ],
});
/** `random` values for the 1/price² draw: the cheapest endpoint, or the dearest. */
const DRAW_CHEAP = 0;
const DRAW_DEAR = 0.9999;

/** The key ChatRun computes: from the session id it read when the request came in. */
const conversationKey = (request: ChatRequest, headers: Headers) =>
  keyOf(request, sessionIdOf(request, headers));
/** A sticky source that always answers `provider`, recording what it was asked. */
const always = (provider: string) => ({
  stickyProvider: vi.fn<StickySource["stickyProvider"]>(() => provider),
});

const slugs = (input: Partial<PlanInput> & { request: ChatRequest }) =>
  planRoute({
    catalog,
    promptTokens: 10,
    compression: () => false,
    random: () => DRAW_CHEAP,
    ...input,
  }).attempts.map((a) => a.provider.slug);

describe("the conversation key: session_id, x-session-id, prompt_cache_key, else the opening's hash", () => {
  const messages: ChatRequest["messages"] = [
    { role: "system", content: "You are terse." },
    { role: "user", content: "Hello" },
  ];
  it.each<[string, Partial<ChatRequest>, Record<string, string>, string]>([
    ["session_id over everything", { session_id: "s", prompt_cache_key: "p" }, { "x-session-id": "h" }, "=s"],
    ["x-session-id over prompt_cache_key", { prompt_cache_key: "p" }, { "x-session-id": "h" }, "=h"],
    ["prompt_cache_key alone", { prompt_cache_key: "p" }, {}, "=p"],
    ["an empty session_id is unset", { session_id: "", prompt_cache_key: "p" }, {}, "=p"],
  ])("%s", (_name, fields, headers, expected) => {
    expect(conversationKey(chat({ messages, ...fields }), new Headers(headers))).toBe(expected);
  });

  const hashOf = (messages: ChatRequest["messages"]) => conversationKey(chat({ messages }), new Headers());

  it("else hashes the first system/developer message and the first other one: the same for every turn", () => {
    const key = hashOf(messages);
    expect(key).toMatch(/^~[0-9a-z]+$/);
    expect(
      hashOf([
        ...messages,
        { role: "assistant", content: "Hi." },
        { role: "system", content: "A later system message is not the first." },
        { role: "user", content: "And now?" },
      ]),
    ).toBe(key);
    expect(hashOf([messages[0]!, { role: "developer", content: "Be kind." }, messages[1]!])).toBe(key);
    expect(hashOf([{ role: "developer", content: "You are terse." }, messages[1]!])).not.toBe(key);
  });

  it.each<[string, ChatRequest["messages"]]>([
    [
      "another first user message",
      [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Hi" },
      ],
    ],
    [
      "another system prompt",
      [
        { role: "system", content: "You are chatty." },
        { role: "user", content: "Hello" },
      ],
    ],
    ["no system prompt", [{ role: "user", content: "Hello" }]],
    [
      "text moved across the two",
      [
        { role: "system", content: "You are terse.H" },
        { role: "user", content: "ello" },
      ],
    ],
    [
      "the same text as content parts, another image",
      [
        { role: "system", content: "You are terse." },
        {
          role: "user",
          content: [
            { type: "text", text: "Hello" },
            { type: "image_url", image_url: { url: "https://x.example/a.png" } },
          ],
        },
      ],
    ],
  ])("another conversation: %s", (_name, other) => {
    expect(hashOf(other)).not.toBe(hashOf(messages));
  });

  it("reads a bounded sample of a long prompt (its ends and its length included), never keeps it", () => {
    const big = "x".repeat(1_000_000);
    const key = hashOf([
      { role: "system", content: big },
      { role: "user", content: "Hello" },
    ]);
    expect(key.length).toBeLessThan(20);
    expect(
      hashOf([
        { role: "system", content: `${big}y` },
        { role: "user", content: "Hello" },
      ]),
    ).not.toBe(key);
    expect(
      hashOf([
        { role: "system", content: `${big.slice(1)}y` },
        { role: "user", content: "Hello" },
      ]),
    ).not.toBe(key);
    expect(
      hashOf([
        { role: "system", content: `y${big.slice(1)}` },
        { role: "user", content: "Hello" },
      ]),
    ).not.toBe(key);
    // A long explicit key is hashed too: the map holds short strings only.
    expect(conversationKey(chat({ prompt_cache_key: big }), new Headers()).length).toBeLessThan(20);
  });
});

describe("StickyRoutes: 10 minutes of inactivity, refreshed by successes, bounded", () => {
  it("forgets a conversation 10 minutes after its last success, not before", () => {
    const routes = new StickyRoutes();
    routes.served("a", "dear", true, 0);
    expect(routes.get("a", STICKY_TTL_MS - 1)).toBe("dear");
    expect(routes.get("a", STICKY_TTL_MS)).toBeUndefined();
  });

  it("a success on the sticky provider refreshes it, even without a cache hit; a read does not", () => {
    const routes = new StickyRoutes();
    routes.served("a", "dear", true, 0);
    routes.get("a", 5 * 60_000);
    routes.served("b", "dear", true, 0);
    routes.served("b", "dear", false, 5 * 60_000);
    expect(routes.get("a", 12 * 60_000)).toBeUndefined();
    expect(routes.get("b", 12 * 60_000)).toBe("dear");
  });

  it("without a start, a success elsewhere neither moves nor refreshes it, and an expired one is not revived", () => {
    const routes = new StickyRoutes();
    routes.served("a", "dear", true, 0);
    routes.served("a", "cheap", false, 1);
    expect(routes.get("a", 2)).toBe("dear");
    routes.served("a", "cheap", true, 3);
    expect(routes.get("a", 4)).toBe("cheap");
    routes.served("a", "cheap", false, 3 + STICKY_TTL_MS);
    expect(routes.get("a", 3 + STICKY_TTL_MS)).toBeUndefined();
  });

  it("holds at most its cap, dropping the least recently served", () => {
    const routes = new StickyRoutes(STICKY_TTL_MS, 3);
    routes.served("a", "p", true, 0);
    routes.served("b", "p", true, 1);
    routes.served("c", "p", true, 2);
    routes.served("a", "p", false, 3); // refreshed: now the most recent
    routes.served("d", "p", true, 4);
    expect(routes.size).toBe(3);
    expect(routes.get("b", 5)).toBeUndefined();
    expect(["a", "c", "d"].map((k) => routes.get(k, 5))).toEqual(["p", "p", "p"]);
  });
});

describe("the plan with a sticky provider", () => {
  const dear = always("dear");
  const request = (fields: Partial<ChatRequest> = {}) => chat({ model: "m/c", ...fields });

  it("puts it first; the rest keep the order they had, as fallbacks", () => {
    expect(slugs({ request: request() })).toEqual(["cheap", "mid", "dear"]);
    expect(slugs({ request: request(), sticky: dear })).toEqual(["dear", "cheap", "mid"]);
  });

  it("with allow_fallbacks: false, it is the one attempt", () => {
    expect(slugs({ request: request({ provider: { allow_fallbacks: false } }), sticky: dear })).toEqual([
      "dear",
    ]);
  });

  it.each<[string, Partial<ChatRequest>, string[]]>([
    ["ignore", { provider: { ignore: ["dear"] } }, ["cheap", "mid"]],
    ["only", { provider: { only: ["cheap", "mid"] } }, ["cheap", "mid"]],
    ["max_price", { provider: { max_price: { prompt: 1.5 } } }, ["cheap", "mid"]],
  ])("never brings back an endpoint the filters removed (%s)", (_name, fields, expected) => {
    expect(slugs({ request: request(fields), sticky: dear })).toEqual(expected);
  });

  it("is ignored with provider.order, and not even asked", () => {
    const asked = always("dear");
    expect(slugs({ request: request({ provider: { order: ["mid"] } }), sticky: asked })).toEqual([
      "mid",
      "cheap",
      "dear",
    ]);
    expect(asked.stickyProvider).not.toHaveBeenCalled();
  });

  it("is not asked for a model whose cache reads cost as much as its input", () => {
    const asked = always("dear");
    expect(slugs({ request: chat({ model: "m/flat" }), sticky: asked })).toEqual(["cheap", "dear"]);
    expect(asked.stickyProvider).not.toHaveBeenCalled();
  });

  it("does not put a degraded endpoint first", () => {
    const degraded = catalogOf({
      "m/c": [
        { provider: "cheap", prompt: 1, ...cached(0.1) },
        { provider: "dear", prompt: 2, status: -1, ...cached(0.2) },
      ],
    });
    expect(slugs({ request: request(), catalog: degraded, sticky: dear })).toEqual(["cheap", "dear"]);
  });
});

describe("ChatRun: when stickiness starts, and what refreshes it", () => {
  afterEach(() => vi.useRealTimers());

  const env = { USAGE_QUEUE: { sendBatch: async () => {} } } as unknown as RequestScope["env"];
  const key = (accountId: string) =>
    ({
      accountId,
      hash: `h-${accountId}`,
      money: {
        limit: null,
        account: { credits: parseDecimal("100"), usage: 0n },
        usage: 0n,
        usageDaily: 0n,
        usageWeekly: 0n,
        usageMonthly: 0n,
      },
    }) as unknown as KeyRecord;

  interface Turn {
    fields?: Partial<ChatRequest>;
    headers?: Record<string, string>;
    /** The price draw: which endpoint the plan would put first without stickiness. */
    draw?: number;
    cachedTokens?: number;
    error?: boolean;
    account?: string;
  }

  /** One request: planned, served by its first attempt, settled; returns that attempt's provider. */
  function turn(routes: StickyRoutes, t: Turn = {}): string {
    const request = chat({
      model: "m/c",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Hello" },
      ],
      ...t.fields,
    });
    const headers = new Headers(t.headers);
    const run = new ChatRun({
      request,
      key: key(t.account ?? "acc"),
      env,
      scope: { env },
      promptTokens: 10,
      id: "gen-sticky",
      startedAt: Date.now(),
      headers,
      sticky: routes,
    });
    const plan = planRoute({
      request,
      catalog,
      promptTokens: 10,
      compression: () => false,
      random: () => t.draw ?? DRAW_CHEAP,
      sticky: run,
    });
    const attempt = plan.attempts[0]!;
    const served = {
      attempt,
      log: [],
      sentAt: Date.now(),
      firstByteAt: Date.now(),
    } as unknown as ServedStream;
    run.settleStream(
      {
        ...emptyOutcome(),
        usage: {
          prompt_tokens: 100,
          completion_tokens: 5,
          total_tokens: 105,
          prompt_tokens_details: { cached_tokens: t.cachedTokens ?? 0 },
        },
        generatedChars: 20,
        error: t.error ? new GatewayError(502, "provider_unavailable", "upstream failed") : undefined,
      },
      served,
    );
    return attempt.provider.slug;
  }

  it.each<[string, Turn, string]>([
    ["a cache hit starts it", { cachedTokens: 80 }, "dear"],
    ["a success without a hit does not", {}, "cheap"],
    ["any success with session_id starts it", { fields: { session_id: "s1" } }, "dear"],
    ["so does x-session-id", { headers: { "x-session-id": "s1" } }, "dear"],
    [
      "prompt_cache_key is a key, not a session: no hit, no start",
      { fields: { prompt_cache_key: "k1" } },
      "cheap",
    ],
  ])("%s", (_name, first, expected) => {
    const routes = new StickyRoutes();
    expect(turn(routes, { ...first, draw: DRAW_DEAR })).toBe("dear");
    // The next turn of the same conversation, with a draw that would pick the cheapest.
    expect(turn(routes, { fields: first.fields, headers: first.headers })).toBe(expected);
  });

  it("never starts where cache reads are not cheaper than input", () => {
    const routes = new StickyRoutes();
    const flat = { fields: { model: "m/flat", session_id: "s1" } };
    expect(turn(routes, { ...flat, draw: DRAW_DEAR, cachedTokens: 80 })).toBe("dear");
    expect(turn(routes, flat)).toBe("cheap");
    expect(routes.size).toBe(0);
  });

  it("never sticks to the one endpoint of a model whose cache reads are not cheaper", () => {
    const routes = new StickyRoutes();
    const mixed = { fields: { model: "m/mixed", session_id: "s1" } };
    expect(turn(routes, { ...mixed, cachedTokens: 80 })).toBe("cheap");
    expect(routes.size).toBe(0);
    expect(turn(routes, { ...mixed, draw: DRAW_DEAR })).toBe("dear");
  });

  it("an error does not start it, even in a session", () => {
    const routes = new StickyRoutes();
    turn(routes, { fields: { session_id: "s1" }, draw: DRAW_DEAR, error: true });
    expect(turn(routes, { fields: { session_id: "s1" } })).toBe("cheap");
  });

  it.each([
    ["a success 9 minutes in keeps it past the first 10", false, "dear"],
    ["an error 9 minutes in does not refresh it", true, "cheap"],
  ])("%s", (_name, error, expected) => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_800_000_000_000);
    const routes = new StickyRoutes();
    turn(routes, { cachedTokens: 80, draw: DRAW_DEAR });
    vi.setSystemTime(1_800_000_000_000 + 9 * 60_000);
    expect(turn(routes, { error })).toBe("dear");
    vi.setSystemTime(1_800_000_000_000 + 11 * 60_000);
    expect(turn(routes)).toBe(expected);
  });

  it("is per account and per model", () => {
    const routes = new StickyRoutes();
    turn(routes, { fields: { session_id: "s1" }, draw: DRAW_DEAR });
    expect(turn(routes, { fields: { session_id: "s1" }, account: "other" })).toBe("cheap");
    expect(turn(routes, { fields: { session_id: "s1", model: "m/c2" } })).toBe("cheap");
    expect(turn(routes, { fields: { session_id: "s1" } })).toBe("dear");
  });
});
