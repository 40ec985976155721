/**
 * The fallback loop as a specification (API.md b8 stream start, b9 errors, b10 failover), with
 * an injected fetch and clock and the real OpenAI-dialect adapter: which failures move on to
 * the next attempt, which return to the client, and what the final error carries.
 */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors";
import { openaiAdapter } from "../../../src/providers/openai";
import type { ProviderChunk, Target } from "../../../src/providers/types";
import type { ChunkSource } from "../../../src/routing/chunk-source";
import {
  ClientGone,
  type ExecuteDeps,
  executeCompletion,
  executeStream,
  type Prepared,
} from "../../../src/routing/execute";
import type { Attempt } from "../../../src/routing/plan";
import { UpstreamEchoes } from "../../../src/routing/upstream-echo";
import { testTarget } from "../../conformance/adapter-suite";
import { fixtureBytes, fixtureJson, sseFromJsonl } from "../../conformance/fixtures";
import { collectGarbage } from "../../support/gc";
import { credential } from "../byok/credential-rows";
import { catalogOf, chat } from "./catalog-rows";

const catalog = catalogOf({
  "m/a": [{ provider: "p1" }, { provider: "p2" }, { provider: "p3" }],
  "m/b": [{ provider: "p1" }, { provider: "q1" }],
});

/** `"m/a@p1"` → the attempt the plan would produce. */
function attempt(id: string): Attempt {
  const [modelId = "", slug = ""] = id.split("@");
  const endpoint = catalog.endpointsByModel.get(modelId)?.find((e) => e.providerSlug === slug);
  const model = catalog.models.get(modelId);
  const provider = catalog.providers.get(slug);
  if (!endpoint || !model || !provider) throw new Error(`no such attempt ${id}`);
  return { modelId, model, endpoint, provider };
}
const attempts = (...ids: string[]) => ids.map(attempt);

function targetOf(a: Attempt): Target {
  return testTarget({
    provider: {
      slug: a.provider.slug,
      name: a.provider.name,
      adapter: "openai",
      baseUrl: a.provider.baseUrl,
      config: {},
    },
    endpoint: {
      model: a.modelId,
      providerModelId: a.endpoint.providerModelId,
      contextLength: a.endpoint.contextLength,
      maxCompletionTokens: a.endpoint.maxCompletionTokens,
      supportedParameters: a.endpoint.supportedParameters,
    },
  });
}

/** What a provider does with one request. */
type Reply = Response | "network" | "hang" | ((signal: AbortSignal) => Promise<Response>);

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const ok = () => json(200, fixtureJson("openai/chat-text.json"));
const fail = (status: number, message = `failure ${status}`, headers: Record<string, string> = {}) =>
  json(status, { error: { message, type: "api_error", code: null } }, headers);
const contextTooLong = () =>
  json(400, {
    error: {
      message:
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    },
  });
const sse = (bytes: Uint8Array | string, streamOpen = false) =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes);
        if (!streamOpen) controller.close();
      },
    }),
    { status: 200, headers: { "content-type": "text/event-stream" } },
  );
const okStream = () =>
  sse(sseFromJsonl("openai/chat-stream-text-include-usage.chunks.jsonl", { done: true }));

const hang = (signal: AbortSignal) =>
  new Promise<Response>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));

/**
 * A fetch that answers per provider (by host `<slug>.example`) from a script, one reply per
 * call, and records which providers were called, in order.
 */
function scripted(script: Record<string, Reply[]>) {
  const calls: string[] = [];
  const fetch: typeof globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const slug = new URL(String(input)).host.replace(/\.example$/, "");
    calls.push(slug);
    const reply = script[slug]?.shift();
    if (reply === undefined) throw new Error(`unexpected call to ${slug}`);
    const signal = init?.signal ?? new AbortController().signal;
    if (reply === "network") throw new TypeError("fetch failed");
    if (reply === "hang") return hang(signal);
    if (typeof reply === "function") return reply(signal);
    return reply;
  };
  return { fetch, calls };
}

function deps(
  fetch: typeof globalThis.fetch,
  overrides: Partial<ExecuteDeps> = {},
): ExecuteDeps & { slept: number[] } {
  let clock = 1_000_000;
  const slept: number[] = [];
  return {
    fetch,
    adapterFor: () => openaiAdapter,
    prepare: (a): Prepared => ({ request: chat({ model: a.modelId }), target: targetOf(a) }),
    firstByteTimeoutMs: 50,
    now: () => clock,
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
    slept,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a GatewayError");
}

describe("executeCompletion: what falls back", () => {
  it.each<[string, Reply]>([
    ["408", () => Promise.resolve(fail(408))],
    ["409", () => Promise.resolve(fail(409))],
    ["429", () => Promise.resolve(fail(429))],
    ["500", () => Promise.resolve(fail(500))],
    ["502", () => Promise.resolve(fail(502))],
    ["503", () => Promise.resolve(fail(503))],
    ["529", () => Promise.resolve(fail(529))],
    ["a network error", "network"],
    ["no first byte within firstByteTimeoutMs", "hang"],
    ["an unreadable 200 body", () => Promise.resolve(new Response("<html>oops", { status: 200 }))],
  ])("%s → the next attempt serves", async (_name, reply) => {
    const { fetch, calls } = scripted({ p1: [reply], p2: [ok()] });
    const served = await executeCompletion(attempts("m/a@p1", "m/a@p2"), deps(fetch));
    expect(calls).toEqual(["p1", "p2"]);
    expect(served.attempt.provider.slug).toBe("p2");
    expect(served.completion.choices[0]?.message.content).toBeTruthy();
    expect(served.log.map((l) => [l.provider, l.status])).toEqual([
      ["p1", expect.any(Number)],
      ["p2", 200],
    ]);
  });

  it.each([401, 403])(
    "%i (the provider refused the gateway's credentials) → the next attempt serves; if none, a 502, never the client's 401/403",
    async (status) => {
      const fallback = scripted({ p1: [fail(status, "Incorrect API key provided")], p2: [ok()] });
      const served = await executeCompletion(attempts("m/a@p1", "m/a@p2"), deps(fallback.fetch));
      expect(fallback.calls).toEqual(["p1", "p2"]);
      expect(served.log[0]).toMatchObject({ provider: "p1", status: 502 });

      const alone = scripted({ p1: [fail(status, "Incorrect API key provided")] });
      const err = await failure(executeCompletion(attempts("m/a@p1"), deps(alone.fetch)));
      expect(err).toMatchObject({ status: 502, type: "provider_unavailable" });
      expect(err.message).toContain("Incorrect API key provided");
    },
  );

  it.each([400, 404, 413, 422])("%i → returned to the client, no fallback", async (status) => {
    const { fetch, calls } = scripted({ p1: [fail(status, "nope")], p2: [ok()] });
    const err = await failure(executeCompletion(attempts("m/a@p1", "m/a@p2"), deps(fetch)));
    expect(calls).toEqual(["p1"]);
    expect(err.status).toBe(status);
    expect(err.message).toContain("nope");
  });

  it("a first-byte timeout is a retryable 408 naming the provider, and aborts the request", async () => {
    let aborted = false;
    const { fetch } = scripted({
      p1: [
        (signal) => {
          signal.addEventListener("abort", () => {
            aborted = true;
          });
          return hang(signal);
        },
      ],
    });
    const err = await failure(executeCompletion(attempts("m/a@p1"), deps(fetch, { firstByteTimeoutMs: 5 })));
    expect(err).toMatchObject({ status: 408, type: "timeout", retryable: true });
    expect(err.meta.provider).toBe("P1");
    expect(aborted).toBe(true);
  });
});

describe("executeCompletion: context length, Retry-After, prepare, the final error", () => {
  it("a context-length error skips the rest of that model and moves to the next model", async () => {
    const { fetch, calls } = scripted({ p1: [contextTooLong()], p2: [ok()], q1: [ok()] });
    const served = await executeCompletion(attempts("m/a@p1", "m/a@p2", "m/b@q1"), deps(fetch));
    expect(calls).toEqual(["p1", "q1"]);
    expect(served.attempt.modelId).toBe("m/b");
    expect(served.log.map((l) => [l.model, l.provider, l.errorType])).toEqual([
      ["m/a", "p1", "context_length_exceeded"],
      ["m/b", "q1", undefined],
    ]);
  });

  it("a context-length error on the last model is the final error", async () => {
    const { fetch } = scripted({ p1: [contextTooLong()] });
    const err = await failure(executeCompletion(attempts("m/a@p1", "m/a@p2"), deps(fetch)));
    expect(err).toMatchObject({ status: 400, type: "context_length_exceeded" });
  });

  it.each<[string, Record<string, string>, number[], string[]]>([
    [
      "Retry-After: 2 → waits 2 s, then tries the provider again",
      { "retry-after": "2" },
      [2000],
      ["p1", "p1"],
    ],
    ["retry-after-ms: 1500 → waits 1.5 s", { "retry-after-ms": "1500" }, [1500], ["p1", "p1"]],
    ["Retry-After: 10 → waits the whole 10 s", { "retry-after": "10" }, [10_000], ["p1", "p1"]],
    ["Retry-After: 11 (over 10 s) → skips that provider", { "retry-after": "11" }, [], ["p1", "q1"]],
    ["no Retry-After → tries again at once", {}, [], ["p1", "p1"]],
  ])("%s", async (_name, headers, slept, called) => {
    const { fetch, calls } = scripted({ p1: [fail(429, "slow down", headers), ok()], q1: [ok()] });
    const d = deps(fetch);
    const served = await executeCompletion(attempts("m/a@p1", "m/b@p1", "m/b@q1"), d);
    expect(d.slept).toEqual(slept);
    expect(calls).toEqual(called);
    expect(served.attempt.provider.slug).toBe(called.at(-1));
  });

  it("Retry-After is per provider: another provider is tried without waiting", async () => {
    const { fetch, calls } = scripted({ p1: [fail(429, "wait", { "retry-after": "5" })], p2: [ok()] });
    const d = deps(fetch);
    await executeCompletion(attempts("m/a@p1", "m/a@p2"), d);
    expect(d.slept).toEqual([]);
    expect(calls).toEqual(["p1", "p2"]);
  });

  it("the final error is the last one, with every earlier attempt in metadata.previous_errors, in order", async () => {
    const { fetch } = scripted({ p1: [fail(500, "one")], p2: [fail(429, "two")], p3: [fail(503, "three")] });
    const err = await failure(executeCompletion(attempts("m/a@p1", "m/a@p2", "m/a@p3"), deps(fetch)));
    expect(err.status).toBe(503);
    expect(err.message).toContain("three");
    expect(err.toErrorObject().metadata.previous_errors).toEqual([
      {
        provider: "p1",
        model: "m/a",
        code: 500,
        error_type: "provider_unavailable",
        message: expect.stringContaining("one"),
      },
      {
        provider: "p2",
        model: "m/a",
        code: 429,
        error_type: "rate_limit_exceeded",
        message: expect.stringContaining("two"),
      },
    ]);
  });

  it.each([400, 404, 422])(
    "%i skips the rest of that model and moves to the next model (`models`, API.md b4)",
    async (status) => {
      const { fetch, calls } = scripted({ p1: [fail(status, "bad tool schema")], p2: [ok()], q1: [ok()] });
      const served = await executeCompletion(attempts("m/a@p1", "m/a@p2", "m/b@q1"), deps(fetch));
      expect(calls).toEqual(["p1", "q1"]);
      expect(served.attempt.modelId).toBe("m/b");
      expect(served.log.map((l) => [l.provider, l.status])).toEqual([
        ["p1", status],
        ["q1", 200],
      ]);
    },
  );

  it("a client error after fallbacks carries the earlier ones too", async () => {
    const { fetch } = scripted({ p1: ["network"], p2: [fail(400, "bad tool schema")] });
    const err = await failure(executeCompletion(attempts("m/a@p1", "m/a@p2", "m/a@p3"), deps(fetch)));
    expect(err.status).toBe(400);
    expect(err.toErrorObject().metadata.previous_errors).toEqual([
      expect.objectContaining({ provider: "p1", code: 502, error_type: "provider_unavailable" }),
    ]);
  });

  it("a single failure has no previous_errors", async () => {
    const { fetch } = scripted({ p1: [fail(503)] });
    const err = await failure(executeCompletion(attempts("m/a@p1"), deps(fetch)));
    expect(err.toErrorObject().metadata.previous_errors).toBeUndefined();
  });

  it("the final error carries every attempt, itself last, for the generation record (not for the client)", async () => {
    const one = await failure(
      executeCompletion(attempts("m/a@p1"), deps(scripted({ p1: [fail(503)] }).fetch)),
    );
    expect(one.meta.attempts).toEqual([
      expect.objectContaining({ provider: "p1", model: "m/a", status: 503, latencyMs: expect.any(Number) }),
    ]);
    const { fetch } = scripted({ p1: [fail(500, "one")], p2: [fail(429, "two")] });
    const err = await failure(executeCompletion(attempts("m/a@p1", "m/a@p2"), deps(fetch)));
    expect(err.meta.attempts?.map((a) => [a.provider, a.status, a.errorType])).toEqual([
      ["p1", 500, "provider_unavailable"],
      ["p2", 429, "rate_limit_exceeded"],
    ]);
    expect(JSON.stringify(err.toErrorObject())).not.toContain("latencyMs");
  });

  it("prepare returning a GatewayError skips that attempt without calling fetch", async () => {
    const { fetch, calls } = scripted({ p2: [ok()] });
    const base = deps(fetch);
    const served = await executeCompletion(attempts("m/a@p1", "m/a@p2"), {
      ...base,
      prepare: (a) =>
        a.provider.slug === "p1" ? new GatewayError(402, "payment_required", "no credits") : base.prepare(a),
    });
    expect(calls).toEqual(["p2"]);
    expect(served.log.map((l) => l.provider)).toEqual(["p2"]);
  });

  it.each<[string, GatewayError[], number, string]>([
    ["one refusal", [new GatewayError(402, "payment_required", "no credits")], 402, "payment_required"],
    [
      "a context-length refusal wins over others",
      [
        new GatewayError(402, "payment_required", "no credits"),
        new GatewayError(400, "context_length_exceeded", "too long"),
        new GatewayError(429, "rate_limit_exceeded", "free limit"),
      ],
      400,
      "context_length_exceeded",
    ],
    [
      "otherwise the first refusal",
      [
        new GatewayError(429, "rate_limit_exceeded", "free limit"),
        new GatewayError(402, "payment_required", "x"),
      ],
      429,
      "rate_limit_exceeded",
    ],
  ])("when prepare refuses every attempt: %s is the error", async (_name, refusals, status, type) => {
    const { fetch, calls } = scripted({});
    const queue = [...refusals];
    const err = await failure(
      executeCompletion(attempts("m/a@p1", "m/a@p2", "m/a@p3").slice(0, refusals.length), {
        ...deps(fetch),
        prepare: () => queue.shift()!,
      }),
    );
    expect(calls).toEqual([]);
    expect(err).toMatchObject({ status, type });
  });

  it("an empty plan is a 503", async () => {
    const err = await failure(executeCompletion([], deps(scripted({}).fetch)));
    expect(err).toMatchObject({ status: 503, type: "provider_unavailable" });
  });
});

describe("endpoint health: what each attempt reports (b10 outages)", () => {
  /** Records the reports as `failed p1` / `ok p2`, by provider slug. */
  function healthLog() {
    const reports: string[] = [];
    const slugOf = (id: number) =>
      [...catalog.endpointsByModel.values()].flat().find((e) => e.id === id)?.providerSlug;
    return {
      reports,
      health: {
        succeeded: (id: number) => void reports.push(`ok ${slugOf(id)}`),
        failed: (id: number) => void reports.push(`failed ${slugOf(id)}`),
      },
    };
  }

  it.each<[string, Reply]>([
    ["a 500", () => Promise.resolve(fail(500))],
    ["a 429", () => Promise.resolve(fail(429))],
    ["refused credentials", () => Promise.resolve(fail(401, "Incorrect API key provided"))],
    ["a network error", "network"],
    ["no first byte in time", "hang"],
  ])("%s marks the endpoint failing; the one that serves is marked healthy", async (_name, reply) => {
    const { fetch } = scripted({ p1: [reply], p2: [ok()] });
    const { reports, health } = healthLog();
    await executeCompletion(attempts("m/a@p1", "m/a@p2"), deps(fetch, { health }));
    expect(reports).toEqual(["failed p1", "ok p2"]);
  });

  it("a refusal of the request itself (a 400) says nothing about the endpoint", async () => {
    const { fetch } = scripted({ p1: [fail(400, "bad request")] });
    const { reports, health } = healthLog();
    await failure(executeCompletion(attempts("m/a@p1", "m/a@p2"), deps(fetch, { health })));
    expect(reports).toEqual([]);
  });

  it("a stream cut before its first content marks the endpoint failing", async () => {
    const { fetch } = scripted({ p1: [sse('data: {"id":"x","choices":[]}\n\n')], p2: [okStream()] });
    const { reports, health } = healthLog();
    await executeStream(attempts("m/a@p1", "m/a@p2"), deps(fetch, { health }));
    expect(reports).toEqual(["failed p1", "ok p2"]);
  });
});

describe("client abort", () => {
  it("an already-aborted signal stops before any call", async () => {
    const { fetch, calls } = scripted({ p1: [ok()] });
    const controller = new AbortController();
    controller.abort();
    await expect(
      executeCompletion(attempts("m/a@p1"), deps(fetch, { signal: controller.signal })),
    ).rejects.toBeInstanceOf(ClientGone);
    expect(calls).toEqual([]);
  });

  it("aborting mid-request aborts the upstream call and tries nothing else", async () => {
    let upstreamAborted = false;
    const { fetch, calls } = scripted({
      p1: [
        (signal) => {
          signal.addEventListener("abort", () => {
            upstreamAborted = true;
          });
          setTimeout(() => controller.abort(), 5);
          return hang(signal);
        },
      ],
      p2: [ok()],
    });
    const controller = new AbortController();
    await expect(
      executeCompletion(
        attempts("m/a@p1", "m/a@p2"),
        deps(fetch, { signal: controller.signal, firstByteTimeoutMs: 5_000 }),
      ),
    ).rejects.toBeInstanceOf(ClientGone);
    expect(upstreamAborted).toBe(true);
    expect(calls).toEqual(["p1"]);
  });

  it("aborting between attempts stops the loop", async () => {
    const controller = new AbortController();
    const { fetch, calls } = scripted({
      p1: [
        async () => {
          controller.abort();
          return fail(503);
        },
      ],
      p2: [ok()],
    });
    await expect(
      executeCompletion(attempts("m/a@p1", "m/a@p2"), deps(fetch, { signal: controller.signal })),
    ).rejects.toBeInstanceOf(ClientGone);
    expect(calls).toEqual(["p1"]);
  });
});

const text = (chunks: readonly ProviderChunk[]) =>
  chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? "")).join("");

async function drain(source: ChunkSource): Promise<ProviderChunk[]> {
  const out: ProviderChunk[] = [];
  for (let batch = await source.next(); batch !== null; batch = await source.next()) out.push(...batch);
  return out;
}

describe("executeStream", () => {
  const role = `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "x", choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] })}\n\n`;
  const inBand = (code: number, message: string) =>
    `data: ${JSON.stringify({ error: { code, message, metadata: { error_type: "provider_overloaded" } } })}\n\n`;

  it("the head holds the reads up to the one with the first content; the rest follows in order", async () => {
    const { fetch } = scripted({ p1: [okStream()] });
    const served = await executeStream(attempts("m/a@p1"), deps(fetch));
    expect(text(served.head)).not.toBe("");
    const rest = await drain(served.rest);
    const all = [...served.head, ...rest];
    expect(all.filter((c) => c.usage).length).toBe(1);
    expect(all.at(-1)?.usage).toBeDefined();
    expect(served.log).toEqual([expect.objectContaining({ provider: "p1", status: 200 })]);
  });

  it.each<[string, Reply]>([
    ["an HTTP 503", () => Promise.resolve(fail(503))],
    ["an in-band error before any content", () => Promise.resolve(sse(role + inBand(503, "Overloaded")))],
    ["an in-band 429 as the first event", () => Promise.resolve(sse(inBand(429, "Rate limited")))],
    ["a stream that stalls before its first content", () => Promise.resolve(sse(role, true))],
    [
      "a stream cut before any content",
      () => Promise.resolve(sse(`${role}data: {"choices":[{"index":0,"delta":{"con`)),
    ],
  ])("%s → falls back to the next attempt", async (_name, reply) => {
    const { fetch, calls } = scripted({ p1: [reply], p2: [okStream()] });
    const served = await executeStream(attempts("m/a@p1", "m/a@p2"), deps(fetch, { firstByteTimeoutMs: 30 }));
    expect(calls).toEqual(["p1", "p2"]);
    expect(served.attempt.provider.slug).toBe("p2");
    expect(served.log.map((l) => l.provider)).toEqual(["p1", "p2"]);
  });

  it("an in-band error after content is not a fallback: it is returned in rest (groq/stream-error-tool-use-failed.sse)", async () => {
    const { fetch, calls } = scripted({
      p1: [sse(fixtureBytes("groq/stream-error-tool-use-failed.sse"))],
      p2: [okStream()],
    });
    const served = await executeStream(attempts("m/a@p1", "m/a@p2"), deps(fetch));
    expect(calls).toEqual(["p1"]);
    expect(served.attempt.provider.slug).toBe("p1");
    expect(served.head.some((c) => c.choices.some((ch) => !!ch.delta.reasoning))).toBe(true);
    const err = await drain(served.rest).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
  });

  it("a non-retryable in-band error before content is returned to the client", async () => {
    const { fetch, calls } = scripted({ p1: [sse(role + inBand(400, "Bad tool schema"))], p2: [okStream()] });
    const err = await failure(executeStream(attempts("m/a@p1", "m/a@p2"), deps(fetch)));
    expect(calls).toEqual(["p1"]);
    expect(err.status).toBe(400);
  });

  /** Headers after `headersMs`, a role chunk, then each of `gapsMs` later an event: pings, content last. */
  const slowStart = (headersMs: number, gapsMs: number[]) => async () => {
    const encode = (text: string) => new TextEncoder().encode(text);
    await new Promise((r) => setTimeout(r, headersMs));
    return new Response(
      new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encode(role));
          for (const [i, gap] of gapsMs.entries()) {
            await new Promise((r) => setTimeout(r, gap));
            const last = i === gapsMs.length - 1;
            controller.enqueue(
              encode(
                last
                  ? `data: {"choices":[{"index":0,"delta":{"content":"late"},"finish_reason":null}]}\n\n`
                  : `data: {"choices":[{"index":0,"delta":{},"finish_reason":null}]}\n\n`,
              ),
            );
          }
        },
      }),
      { status: 200, headers: { "content-type": "text/event-stream" } },
    );
  };

  it("a provider slow to its first content keeps its attempt while it keeps sending (headers, role, empty deltas)", async () => {
    // 40 ms to headers, then events every 40 ms, content after 160 ms in all: never 60 ms quiet.
    const { fetch, calls } = scripted({ p1: [slowStart(40, [40, 40, 40])], p2: [okStream()] });
    const served = await executeStream(attempts("m/a@p1", "m/a@p2"), deps(fetch, { firstByteTimeoutMs: 60 }));
    expect(calls).toEqual(["p1"]);
    expect(text(served.head)).toBe("late");
  });

  it("a provider that goes quiet before its first content for the timeout falls back", async () => {
    const { fetch, calls } = scripted({ p1: [slowStart(10, [20, 120])], p2: [okStream()] });
    const served = await executeStream(attempts("m/a@p1", "m/a@p2"), deps(fetch, { firstByteTimeoutMs: 60 }));
    expect(calls).toEqual(["p1", "p2"]);
    expect(served.log[0]).toMatchObject({ provider: "p1", status: 408, errorType: "timeout" });
  });

  it("a stream's first-content timeout is a retryable 408 naming the provider", async () => {
    const { fetch } = scripted({ p1: [sse(role, true)] });
    const err = await failure(executeStream(attempts("m/a@p1"), deps(fetch, { firstByteTimeoutMs: 5 })));
    expect(err).toMatchObject({ status: 408, type: "timeout", retryable: true });
    expect(err.meta.provider).toBe("P1");
  });

  it("the served stream keeps neither the client's request nor the request as sent, closures included (a stream can live for minutes)", async () => {
    const { served, client, sent } = await serveWithRouteDeps();
    await collectGarbage();
    expect(text(served.head)).not.toBe("");
    expect(client.deref()).toBeUndefined();
    expect(sent.deref()).toBeUndefined();
  });

  it("abort() stops the upstream request of a served stream", async () => {
    let upstreamAborted = false;
    const { fetch } = scripted({
      p1: [
        async (signal) => {
          signal.addEventListener("abort", () => {
            upstreamAborted = true;
          });
          return sse(
            `${role}data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n`,
            true,
          );
        },
      ],
    });
    const served = await executeStream(attempts("m/a@p1"), deps(fetch));
    expect(text(served.head)).toBe("Hi");
    served.abort();
    expect(upstreamAborted).toBe(true);
  });
});

/**
 * Serves a stream with deps shaped like the chat route's: `prepare` closes over the client's
 * request and sends a copy of it. Returns weak references to both.
 */
async function serveWithRouteDeps() {
  const request = chat({ model: "m/a", messages: [{ role: "user", content: "x".repeat(100_000) }] });
  let sent: WeakRef<Prepared["request"]> | undefined;
  const { fetch } = scripted({ p1: [okStream()] });
  const served = await executeStream(
    attempts("m/a@p1"),
    deps(fetch, {
      prepare: (a) => {
        const copy = { ...request };
        sent = new WeakRef(copy);
        return { request: copy, target: targetOf(a) };
      },
    }),
  );
  if (!sent) throw new Error("prepare was not called");
  return { served, client: new WeakRef(request), sent };
}

describe("debug.echo_upstream_body: the bodies sent, one per attempt", () => {
  it("a stream records each attempted provider's body as sent, parsed, in order, without its key", async () => {
    const bodies: unknown[] = [];
    const { fetch } = scripted({ p1: [fail(503)], p2: [okStream()] });
    const spying: typeof globalThis.fetch = (input, init) => {
      bodies.push(JSON.parse(String(init?.body)));
      return fetch(input, init);
    };
    const echoes = new UpstreamEchoes();
    await executeStream(attempts("m/a@p1", "m/a@p2"), deps(spying, { echoes }));

    const echoed = echoes.take();
    expect(echoed.map((e) => [e.model, e.provider])).toEqual([
      ["m/a", "P1"],
      ["m/a", "P2"],
    ]);
    expect(echoed.map((e) => e.body)).toEqual(bodies);
    expect(echoed[0]?.body).toMatchObject({ model: "m/a@p1", stream: true, messages: [{ role: "user" }] });
    expect(JSON.stringify(echoed)).not.toContain("SECRET");
    expect(echoes.take()).toEqual([]); // taken for good
  });

  it("a secret in the body itself is redacted (the provider's key, any key-like string)", async () => {
    const key = targetOf(attempt("m/a@p1")).apiKey ?? "";
    expect(key.length).toBeGreaterThan(12);
    const { fetch } = scripted({ p1: [okStream()] });
    const echoes = new UpstreamEchoes();
    await executeStream(
      attempts("m/a@p1"),
      deps(fetch, {
        echoes,
        prepare: (a) => ({
          request: chat({
            model: a.modelId,
            messages: [{ role: "user", content: `${key} and gsk_${"a".repeat(24)}` }],
          }),
          target: targetOf(a),
        }),
      }),
    );
    expect(echoes.take()[0]?.body).toMatchObject({
      messages: [{ role: "user", content: "[REDACTED] and [REDACTED]" }],
    });
  });

  it("a non-streamed request records nothing (OpenRouter ignores the flag there)", async () => {
    const { fetch } = scripted({ p1: [ok()] });
    const echoes = new UpstreamEchoes();
    await executeCompletion(attempts("m/a@p1"), deps(fetch, { echoes }));
    expect(echoes.take()).toEqual([]);
  });
});

describe("BYOK attempts (the user's own provider key)", () => {
  const USER_KEY = "sk-users-own-key-0123456789";
  const byokAttempt = (id: string): Attempt => ({
    ...attempt(id),
    byok: credential({ id: "cred-1", provider: id.split("@")[1]!, apiKey: USER_KEY }),
  });
  const byokDeps = (fetch: typeof globalThis.fetch, overrides: Partial<ExecuteDeps> = {}) =>
    deps(fetch, {
      prepare: (a): Prepared => ({
        request: chat({ model: a.modelId }),
        target: a.byok ? { ...targetOf(a), apiKey: a.byok.apiKey, byok: true } : targetOf(a),
      }),
      ...overrides,
    });
  const refused = () => fail(401, `Incorrect API key provided: ${USER_KEY}`);

  it("a refused user key falls through to the shared key, and says nothing against the endpoint", async () => {
    const { fetch, calls } = scripted({ p1: [refused(), ok()] });
    const reports: string[] = [];
    const health = {
      succeeded: () => void reports.push("ok"),
      failed: () => void reports.push("failed"),
    };
    const served = await executeCompletion(
      [byokAttempt("m/a@p1"), attempt("m/a@p1")],
      byokDeps(fetch, { health }),
    );
    expect(calls).toEqual(["p1", "p1"]);
    expect(served.attempt.byok).toBeUndefined();
    expect(served.log.map((e) => [e.status, e.byok === true])).toEqual([
      [401, true],
      [200, false],
    ]);
    expect(reports).toEqual(["ok"]);
  });

  it("when the user's key was the only way, the error says it was the user's key, without showing it", async () => {
    const { fetch } = scripted({ p1: [refused()] });
    const err = await failure(executeCompletion([byokAttempt("m/a@p1")], byokDeps(fetch)));
    expect(err).toMatchObject({ status: 401, type: "authentication" });
    expect(err.message).toMatch(/^P1 refused your own provider key \(BYOK, 401\)/);
    expect(err.toErrorObject().metadata).toMatchObject({ is_byok: true });
    expect(JSON.stringify(err.toErrorObject())).not.toContain(USER_KEY.slice(0, 14));
  });

  it("a rate limit on the user's key neither holds back the shared key nor marks the endpoint failing", async () => {
    const { fetch, calls } = scripted({ p1: [fail(429, "slow down", { "retry-after": "5" }), ok()] });
    const reports: string[] = [];
    const health = {
      succeeded: () => void reports.push("ok"),
      failed: () => void reports.push("failed"),
    };
    const d = byokDeps(fetch, { health });
    await executeCompletion([byokAttempt("m/a@p1"), attempt("m/a@p1")], d);
    expect(calls).toEqual(["p1", "p1"]);
    expect(d.slept).toEqual([]);
    expect(reports).toEqual(["ok"]);
  });

  it("a 5xx on a BYOK attempt is the endpoint's, as on a shared one", async () => {
    const { fetch } = scripted({ p1: [fail(500), ok()] });
    const reports: string[] = [];
    const health = {
      succeeded: () => void reports.push("ok"),
      failed: () => void reports.push("failed"),
    };
    await executeCompletion([byokAttempt("m/a@p1"), attempt("m/a@p1")], byokDeps(fetch, { health }));
    expect(reports).toEqual(["failed", "ok"]);
  });
});
