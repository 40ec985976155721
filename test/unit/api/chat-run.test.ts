/**
 * A ChatRun outlives routing by the length of a stream (minutes), so it must not keep the
 * request: the prompt can be megabytes, and a thousand open streams would hold a thousand prompts.
 */
import { describe, expect, it } from "vitest";
import { ChatRun } from "../../../src/api/chat-run";
import type { RequestScope } from "../../../src/cache/routing-data";
import type { KeyRecord } from "../../../src/db/queries/keys";
import { GatewayError } from "../../../src/errors";
import { EndpointHealth } from "../../../src/routing/endpoint-health";
import type { Served, ServedStream } from "../../../src/routing/execute";
import type { Attempt } from "../../../src/routing/plan";
import { emptyOutcome } from "../../../src/routing/respond";
import { parseDecimal } from "../../../src/usage/decimal";
import { inFlightSpend, NOTHING_HELD } from "../../../src/usage/in-flight";
import { pendingRecords } from "../../../src/usage/sink";
import { collectGarbage } from "../../support/gc";
import { credential } from "../byok/credential-rows";
import { catalogOf, chat } from "../routing/catalog-rows";

describe("ChatRun", () => {
  it("does not keep the request or its headers alive", async () => {
    let request: ReturnType<typeof chat> | undefined = chat({
      model: "m/a",
      messages: [{ role: "user", content: "x".repeat(1_000_000) }],
      user: "u-1",
    });
    const held = new WeakRef(request);
    const run = new ChatRun({
      request,
      key: { accountId: "acc", hash: "h" } as KeyRecord,
      env: {} as RequestScope["env"],
      scope: { env: {} as RequestScope["env"] },
      promptTokens: 250_000,
      id: "gen-1",
      startedAt: 1_700_000_000_000,
      headers: new Headers({ "x-title": "App" }),
    });
    request = undefined;
    await collectGarbage();

    expect(held.deref()).toBeUndefined();
    // What the record needs of the request was read when the run began.
    expect(run.unservedStamp()).toMatchObject({ id: "gen-1", model: "m/a" });
  });
});

describe("ChatRun router metadata (X-OpenRouter-Metadata)", () => {
  const catalog = catalogOf({ "m/a": [{ provider: "p1" }, { provider: "p2" }] });
  const attempts = attemptsOf(catalog, "m/a");
  const newRun = (request: ReturnType<typeof chat>) =>
    new ChatRun({
      request,
      key: { accountId: "acc", hash: "h" } as KeyRecord,
      env: {} as RequestScope["env"],
      scope: { env: {} as RequestScope["env"] },
      promptTokens: 10,
      id: "gen-5",
      startedAt: 1_700_000_000_000,
      headers: new Headers(),
    });

  it("builds nothing unless asked", () => {
    expect(newRun(chat({ model: "m/a" })).routerMetadata).toBeUndefined();
  });

  it("once asked, reports the served attempt, and the closure keeps the plan but not the request", async () => {
    let request: ReturnType<typeof chat> | undefined = chat({
      models: ["m/a", "m/b"],
      messages: [{ role: "user", content: "x".repeat(1_000_000) }],
    });
    const held = new WeakRef(request);
    const run = newRun(request);
    run.reportRouting(attempts, "fallback");
    request = undefined;
    await collectGarbage();
    expect(held.deref()).toBeUndefined();

    const [first, second] = attempts as [Attempt, Attempt];
    const metadata = run.routerMetadata?.({
      attempt: second,
      log: [
        { provider: first.provider.slug, model: "m/a", status: 429, latencyMs: 1 },
        { provider: second.provider.slug, model: "m/a", status: 200, latencyMs: 1 },
      ],
      sentAt: Date.now() - 50,
      firstByteAt: Date.now(),
    });
    expect(metadata).toMatchObject({
      requested: "m/a",
      strategy: "fallback",
      attempt: 2,
      summary: "available=2, selected=P2",
      attempts: [
        { provider: "P1", status: 429 },
        { provider: "P2", status: 200 },
      ],
      generation_time: expect.any(Number),
    });
    expect(metadata?.generation_time).toBeGreaterThanOrEqual(50);
  });
});

describe("ChatRun.settleStream for a stream no provider served", () => {
  it("gives the usage chunk every field a served stream's has, all zero", () => {
    // The failure is recorded: to a queue that takes it, here.
    const env = { USAGE_QUEUE: { sendBatch: async () => {} } } as unknown as RequestScope["env"];
    const run = new ChatRun({
      request: chat({ model: "m/a", messages: [{ role: "user", content: "hi" }] }),
      key: { accountId: "acc", hash: "h" } as KeyRecord,
      env,
      scope: { env },
      promptTokens: 1,
      id: "gen-2",
      startedAt: 1_700_000_000_000,
      headers: new Headers(),
    });
    const usage = run.settleStream(emptyOutcome(), undefined);
    expect(usage).toEqual({
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, image_tokens: 0 },
      cost: 0,
      is_byok: false,
      cost_details: {
        upstream_inference_cost: null,
        upstream_inference_prompt_cost: 0,
        upstream_inference_completions_cost: 0,
      },
    });
  });
});

/** Every endpoint of `modelId` as an attempt, in catalog order. */
function attemptsOf(catalog: ReturnType<typeof catalogOf>, modelId: string): Attempt[] {
  return catalog.endpointsByModel.get(modelId)!.map((endpoint) => ({
    modelId,
    model: catalog.models.get(modelId)!,
    endpoint,
    provider: catalog.providers.get(endpoint.providerSlug)!,
  }));
}

/** A key whose account has $100 and nothing spent: what prepare's spend check reads. */
function keyWith100(accountId: string, hash: string): KeyRecord {
  return {
    accountId,
    hash,
    money: {
      limit: null,
      account: { credits: parseDecimal("100"), usage: 0n },
      usage: 0n,
      usageDaily: 0n,
      usageWeekly: 0n,
      usageMonthly: 0n,
      byokUsage: 0n,
      byokUsageDaily: 0n,
      byokUsageWeekly: 0n,
      byokUsageMonthly: 0n,
    },
  } as unknown as KeyRecord;
}

describe("ChatRun.prepare for the :thinking variant (API.md b4)", () => {
  const catalog = catalogOf({
    "m/r": [{ provider: "p1", supportedParameters: ["max_tokens", "reasoning"] }],
    "m/plain": [{ provider: "p1" }],
  });
  const attemptOf = (requested: string, base: string): Attempt => {
    const endpoint = catalog.endpointsByModel.get(base)![0]!;
    return {
      modelId: requested,
      model: catalog.models.get(base)!,
      endpoint,
      provider: catalog.providers.get(endpoint.providerSlug)!,
    };
  };
  const prepare = (requested: string, base: string, fields: Parameters<typeof chat>[0]) => {
    const request = chat({ model: requested, ...fields });
    const env = {} as RequestScope["env"];
    const run = new ChatRun({
      request,
      key: keyWith100("acc", "h"),
      env,
      scope: { env },
      promptTokens: 10,
      id: "gen-3",
      startedAt: 1_700_000_000_000,
      headers: new Headers(),
    });
    const prepared = run.prepare(attemptOf(requested, base), request);
    if (!("target" in prepared)) throw prepared;
    return prepared.request;
  };

  it("turns reasoning on when the request does not say how to reason", () => {
    expect(prepare("m/r:thinking", "m/r", {}).reasoning).toEqual({ enabled: true });
  });

  it("leaves the request's own reasoning settings as they are", () => {
    expect(prepare("m/r:thinking", "m/r", { reasoning: { effort: "low" } }).reasoning).toEqual({
      effort: "low",
    });
    expect(prepare("m/r:thinking", "m/r", { reasoning_effort: "high" }).reasoning).toBeUndefined();
    expect(prepare("m/r:thinking", "m/r", { include_reasoning: false }).reasoning).toBeUndefined();
  });

  it("changes nothing without the suffix, or on an endpoint that cannot reason", () => {
    expect(prepare("m/r", "m/r", {}).reasoning).toBeUndefined();
    expect(prepare("m/plain:thinking", "m/plain", {}).reasoning).toBeUndefined();
  });
});

describe("ChatRun holds the attempt's worst case while it runs", () => {
  // $1 per million tokens each way: 10 prompt tokens and max_tokens 1,000 hold $0.00101.
  const catalog = catalogOf({ "m/a": [{ provider: "p1" }, { provider: "p2" }] });
  const attempts = attemptsOf(catalog, "m/a");
  const request = chat({ model: "m/a", messages: [{ role: "user", content: "hi" }], max_tokens: 1000 });
  const newRun = (accountId: string) => {
    const env = { USAGE_QUEUE: { sendBatch: async () => {} } } as unknown as RequestScope["env"];
    return new ChatRun({
      request,
      key: keyWith100(accountId, `${accountId}-key`),
      env,
      scope: { env },
      promptTokens: 10,
      id: "gen-4",
      startedAt: 1_700_000_000_000,
      headers: new Headers(),
    });
  };
  const heldBy = (accountId: string) => inFlightSpend.held(accountId, `${accountId}-key`);

  it("from prepare until it fails, one attempt's worth across fallbacks", () => {
    const run = newRun("acc-fallback");
    run.prepare(attempts[0]!, request);
    expect(heldBy("acc-fallback")).toEqual({
      account: parseDecimal("0.00101"),
      key: parseDecimal("0.00101"),
    });
    run.prepare(attempts[1]!, request);
    expect(heldBy("acc-fallback").account).toBe(parseDecimal("0.00101"));
    run.recordFailure(new Error("every provider failed"));
    expect(heldBy("acc-fallback")).toBe(NOTHING_HELD);
  });

  it("not for an attempt that starts after the run was settled (the client left mid-routing)", () => {
    const run = newRun("acc-left");
    run.prepare(attempts[0]!, request);
    run.settleStream(emptyOutcome(), undefined);
    run.prepare(attempts[1]!, request);
    expect(heldBy("acc-left")).toBe(NOTHING_HELD);
  });
});

describe("ChatRun.settleStream for a stream an error cut short", () => {
  it("counts what was sent when the provider's last count is lower (Anthropic's message_start)", () => {
    const catalog = catalogOf({ "m/a": [{ provider: "p1" }] });
    const [attempt] = attemptsOf(catalog, "m/a");
    const env = { USAGE_QUEUE: { sendBatch: async () => {} } } as unknown as RequestScope["env"];
    const run = new ChatRun({
      request: chat({ model: "m/a", messages: [{ role: "user", content: "hi" }] }),
      key: keyWith100("acc-cut", "acc-cut-key"),
      env,
      scope: { env },
      promptTokens: 10,
      id: "gen-5",
      startedAt: 1_700_000_000_000,
      headers: new Headers(),
    });
    const served = {
      attempt,
      log: [],
      sentAt: 1_700_000_000_001,
      firstByteAt: 1_700_000_000_002,
    } as unknown as ServedStream;
    const outcome = {
      ...emptyOutcome(),
      usage: { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 },
      generatedChars: 400,
      error: new GatewayError(502, "provider_unavailable", "overloaded"),
    };
    const usage = run.settleStream(outcome, served);
    expect(usage).toMatchObject({
      prompt_tokens: 12,
      completion_tokens: 100,
      total_tokens: 112,
      estimated: true,
    });
    // An error is never charged (zero-completion insurance), whatever the count.
    expect(usage.cost).toBe(0);
  });
});

describe("ChatRun.settleStream tells endpoint health how a served stream ended (b10 outages)", () => {
  const catalog = catalogOf({ "m/a": [{ provider: "p1" }] });
  const [attempt] = attemptsOf(catalog, "m/a");
  const env = { USAGE_QUEUE: { sendBatch: async () => {} } } as unknown as RequestScope["env"];

  function settle(outcome: Partial<ReturnType<typeof emptyOutcome>>): EndpointHealth {
    const health = new EndpointHealth();
    const run = new ChatRun({
      request: chat({ model: "m/a", messages: [{ role: "user", content: "hi" }] }),
      key: keyWith100("acc-health", "acc-health-key"),
      env,
      scope: { env },
      promptTokens: 10,
      id: "gen-health",
      startedAt: Date.now(),
      headers: new Headers(),
      health,
    });
    const served = {
      attempt,
      log: [],
      sentAt: Date.now(),
      firstByteAt: Date.now(),
    } as unknown as ServedStream;
    run.settleStream({ ...emptyOutcome(), generatedChars: 40, ...outcome }, served);
    return health;
  }

  it("a provider that broke the stream off after its first content is failing", () => {
    const health = settle({ error: new GatewayError(502, "provider_unavailable", "cut") });
    expect(health.failing(attempt!.endpoint.id, Date.now())).toBe(true);
  });

  it("a stream that ended well, or that the client left, says nothing against it", () => {
    expect(settle({ finishReason: "stop" }).size).toBe(0);
    expect(
      settle({ cancelled: true, error: new GatewayError(502, "provider_unavailable", "cut") }).size,
    ).toBe(0);
  });
});

describe("ChatRun with the user's own provider key (BYOK, API.md b12)", () => {
  // $1 per million tokens each way; the provider's shared key is a secret this env does not have.
  const catalog = catalogOf({ "m/a": [{ provider: "p1" }] });
  const [shared] = attemptsOf(catalog, "m/a");
  const provider = { ...shared!.provider, apiKeyEnv: "P1_API_KEY" };
  const byok: Attempt = {
    ...shared!,
    provider,
    byok: credential({ id: "cred-1", provider: "p1", apiKey: "sk-users-own-key-0001" }),
  };
  const request = chat({ model: "m/a", messages: [{ role: "user", content: "hi" }], max_tokens: 1000 });
  const env = { USAGE_QUEUE: { sendBatch: async () => {} } } as unknown as RequestScope["env"];
  const newRun = (accountId: string) =>
    new ChatRun({
      request,
      key: keyWith100(accountId, `${accountId}-key`),
      env,
      scope: { env },
      promptTokens: 10,
      id: "gen-byok",
      startedAt: Date.now(),
      headers: new Headers(),
    });

  it("gives the adapter the user's key, marked as the user's, without needing the gateway's", () => {
    const prepared = newRun("acc-byok-key").prepare(byok, request);
    if (!("target" in prepared)) throw prepared;
    expect(prepared.target).toMatchObject({ apiKey: "sk-users-own-key-0001", byok: true });
    // The same endpoint without BYOK is not configured here.
    expect(newRun("acc-byok-key").prepare({ ...shared!, provider }, request)).toBeInstanceOf(GatewayError);
  });

  it("holds the 5% fee of the worst case, not the list price", () => {
    const run = newRun("acc-byok-hold");
    run.prepare(byok, request);
    // List price of 10 prompt + 1,000 completion tokens: $0.00101; 5% of it.
    expect(inFlightSpend.held("acc-byok-hold", "acc-byok-hold-key").account).toBe(parseDecimal("0.0000505"));
    run.recordFailure(new Error("failed"));
  });

  it("charges the fee and reports the list price as upstream_inference_cost (b7)", () => {
    const run = newRun("acc-byok-settle");
    run.prepare(byok, request);
    const usage = run.settle({ attempt: byok, log: [], sentAt: Date.now(), firstByteAt: Date.now() }, {
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "hello" },
          finish_reason: "stop",
          native_finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 100, total_tokens: 110 },
    } as unknown as Parameters<ChatRun["settle"]>[1]);
    expect(usage).toMatchObject({
      is_byok: true,
      cost: 0.0000055,
      cost_details: {
        upstream_inference_cost: 0.00011,
        upstream_inference_prompt_cost: 0.00001,
        upstream_inference_completions_cost: 0.0001,
      },
    });
  });
});

describe("ChatRun counts the tool calls of whole answers only (Auto Exacto)", () => {
  const catalog = catalogOf({ "m/a": [{ provider: "p1" }] });
  const [attempt] = attemptsOf(catalog, "m/a");
  const tools = [
    {
      type: "function" as const,
      function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } },
    },
  ];

  /** The recorded row's tool-call counts, for an answer with one call cut off after `{"q": "`. */
  async function countsFor(finishReason: "length" | "tool_calls") {
    // The isolate's queue batcher is shared: let the rows of earlier tests leave with their
    // queue first, so that this row starts a flush to this test's queue.
    for (let i = 0; i < 100 && pendingRecords() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 250));
    const sent: { toolCalls: number; toolCallErrors: number }[] = [];
    const waits: Promise<unknown>[] = [];
    const env = {
      USAGE_QUEUE: {
        sendBatch: async (messages: { body: { toolCalls: number; toolCallErrors: number } }[]) => {
          for (const m of messages) sent.push(m.body);
        },
      },
    } as unknown as RequestScope["env"];
    const run = new ChatRun({
      request: chat({ model: "m/a", tools }),
      key: keyWith100("acc-tools", "acc-tools-key"),
      env,
      scope: { env, waitUntil: (p: Promise<unknown>) => void waits.push(p) },
      promptTokens: 10,
      id: `gen-tools-${finishReason}`,
      startedAt: Date.now(),
      headers: new Headers(),
    });
    const served = { attempt, log: [], sentAt: Date.now(), firstByteAt: Date.now() } as unknown as Served;
    run.settle(served, {
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q": "' } },
            ],
          },
          finish_reason: finishReason,
          native_finish_reason: finishReason,
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
    for (let i = 0; i < 50 && sent.length === 0; i++) {
      await Promise.all(waits.splice(0));
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(sent).toHaveLength(1);
    return { calls: sent[0]!.toolCalls, errors: sent[0]!.toolCallErrors };
  }

  it("a broken call in a whole answer counts against the provider", async () => {
    expect(await countsFor("tool_calls")).toEqual({ calls: 1, errors: 1 });
  });

  it("a call cut by the client's own max_tokens does not", async () => {
    expect(await countsFor("length")).toEqual({ calls: 0, errors: 0 });
  });
});
