/**
 * The SSE body as a specification (API.md b8): `data: {json}\n\n` frames stamped with the
 * generation id, model and provider; exactly one usage chunk then `data: [DONE]`; an error
 * after content as one in-band error chunk; keep-alive comments while routing is pending;
 * and `finish` (which prices and records the generation) called exactly once in every path.
 */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors";
import type { ProviderChunk } from "../../../src/providers/types";
import type { ChunkSource } from "../../../src/routing/chunk-source";
import type { ServedStream } from "../../../src/routing/execute";
import { type SseOptions, type StreamOutcome, sseBody } from "../../../src/routing/respond";
import { ToolCallFragments } from "../../../src/routing/tool-call-quality";
import { UpstreamEchoes } from "../../../src/routing/upstream-echo";
import { chatCompletionChunkSchema, type Usage } from "../../../src/schema/chat-completion";
import type { RouterMetadata } from "../../../src/schema/router-metadata";
import { testTarget } from "../../conformance/adapter-suite";
import { catalogOf } from "./catalog-rows";

const catalog = catalogOf({ "m/a": [{ provider: "p1" }] });
const STAMP = { id: "gen-1-abc", created: 1_700_000_000, model: "m/a", provider: "P1" };
const USAGE: Usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, cost: 0.00002 };

const content = (text: string, extra: Partial<ProviderChunk> = {}): ProviderChunk => ({
  choices: [{ index: 0, delta: { content: text }, finish_reason: null, native_finish_reason: null }],
  ...extra,
});
const role: ProviderChunk = {
  choices: [
    { index: 0, delta: { role: "assistant", content: "" }, finish_reason: null, native_finish_reason: null },
  ],
};
const finish = (reason: "stop" | "length", native: string): ProviderChunk => ({
  choices: [{ index: 0, delta: {}, finish_reason: reason, native_finish_reason: native }],
});
const usageOnly = (completion: number): ProviderChunk => ({
  choices: [],
  usage: { prompt_tokens: 10, completion_tokens: completion, total_tokens: 10 + completion },
});

/** What the upstream does after the head: chunks, then an end, an error, or silence. */
type Step = ProviderChunk | Error | "hang";

function fakeServed(head: ProviderChunk[], steps: Step[]) {
  const state = { aborted: 0, restCancelled: false };
  const queue = [...steps];
  const rest: ChunkSource = {
    async next() {
      const step = queue.shift();
      if (step === undefined) return null;
      if (step === "hang") return new Promise<never>(() => {});
      if (step instanceof Error) throw step;
      return [step];
    },
    cancel() {
      state.restCancelled = true;
    },
  };
  const endpoint = catalog.endpointsByModel.get("m/a")![0]!;
  const served: ServedStream = {
    attempt: {
      modelId: "m/a",
      model: catalog.models.get("m/a")!,
      endpoint,
      provider: catalog.providers.get("p1")!,
    },
    log: [],
    sentAt: 0,
    firstByteAt: 0,
    head,
    rest,
    abort: () => {
      state.aborted++;
    },
  };
  return { served, state };
}

function body(served: SseOptions["served"], opts: Partial<SseOptions> = {}) {
  const finishes: { outcome: StreamOutcome; served: ServedStream | undefined }[] = [];
  const stream = sseBody({
    served,
    stamp: () => STAMP,
    unservedStamp: { ...STAMP, provider: "" },
    finish: (outcome, s) => {
      finishes.push({ outcome: structuredClone({ ...outcome, error: undefined }), served: s });
      finishes.at(-1)!.outcome.error = outcome.error;
      return USAGE;
    },
    keepAliveMs: 10,
    now: () => 1_700_000_000_123,
    ...opts,
  });
  return { stream, finishes };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

/** The frames of an SSE body: comments as `:…`, data as parsed JSON or the literal `[DONE]`. */
function frames(text: string): (string | Record<string, unknown>)[] {
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((frame) => {
      if (frame.startsWith(":")) return frame;
      expect(frame.startsWith("data: ")).toBe(true);
      expect(frame.includes("\n")).toBe(false);
      const data = frame.slice("data: ".length);
      return data === "[DONE]" ? data : (JSON.parse(data) as Record<string, unknown>);
    });
}
type Frame = ReturnType<typeof frames>[number];
const isUsage = (f: Frame) => typeof f === "object" && "usage" in f;
const isError = (f: Frame) => typeof f === "object" && "error" in f;
const contentOf = (fs: Frame[]) =>
  fs
    .filter((f): f is Record<string, unknown> => typeof f === "object" && !isError(f))
    .flatMap((f) => (f.choices as { delta: { content?: string } }[]).map((c) => c.delta.content ?? ""))
    .join("");

describe("sseBody: a stream that ends normally", () => {
  it.each<[string, ProviderChunk[], Step[], string]>([
    ["head and rest", [role, content("Hel")], [content("lo"), finish("stop", "stop"), usageOnly(2)], "Hello"],
    [
      "usage on the last content chunk",
      [content("Hi")],
      [content("!", { usage: USAGE }), finish("stop", "end")],
      "Hi!",
    ],
    ["usage sent twice (cumulative)", [content("a")], [usageOnly(1), content("b"), usageOnly(2)], "ab"],
    ["no usage from the provider", [content("x")], [finish("length", "max_tokens")], "x"],
    ["nothing after the head", [content("only")], [], "only"],
  ])("%s: stamped data frames, exactly one usage chunk, then [DONE]", async (_name, head, steps, text) => {
    const { served } = fakeServed(head, steps);
    const { stream, finishes } = body(served);
    const fs = frames(await readAll(stream));

    expect(fs.at(-1)).toBe("[DONE]");
    expect(fs.filter(isUsage)).toEqual([
      {
        id: STAMP.id,
        object: "chat.completion.chunk",
        created: STAMP.created,
        model: "m/a",
        provider: "P1",
        choices: [],
        usage: USAGE,
      },
    ]);
    expect(fs.at(-2)).toEqual(fs.find(isUsage));
    expect(fs.filter(isError)).toEqual([]);
    expect(contentOf(fs)).toBe(text);
    for (const f of fs.slice(0, -1)) {
      expect(chatCompletionChunkSchema.parse(f)).toMatchObject({
        id: STAMP.id,
        model: "m/a",
        provider: "P1",
      });
    }
    // Content chunks never carry usage: only the final chunk does.
    expect(fs.slice(0, -2).some(isUsage)).toBe(false);
    expect(finishes).toHaveLength(1);
    expect(finishes[0]?.served).toBe(served);
  });

  it("finish sees the outcome: last usage, finish reasons, generated characters, upstream id", async () => {
    const { served } = fakeServed(
      [content("Hel", { upstreamId: "chatcmpl-1" })],
      [
        content("lo", { upstreamId: "chatcmpl-2" }),
        usageOnly(1),
        finish("length", "max_tokens"),
        usageOnly(2),
      ],
    );
    const { stream, finishes } = body(served);
    await readAll(stream);
    expect(finishes[0]?.outcome).toMatchObject({
      usage: { completion_tokens: 2 },
      finishReason: "length",
      nativeFinishReason: "max_tokens",
      generatedChars: 5,
      upstreamId: "chatcmpl-1",
      cancelled: false,
      error: undefined,
      firstContentAt: 1_700_000_000_123,
    });
  });
});

describe("sseBody: an error after content", () => {
  it.each<[string, Error, number, string]>([
    [
      "a GatewayError",
      new GatewayError(429, "rate_limit_exceeded", "Rate limit exceeded", { provider: "P1" }),
      429,
      "rate_limit_exceeded",
    ],
    ["any other error", new TypeError("socket closed"), 502, "provider_unavailable"],
  ])("%s → content, one error chunk, usage, [DONE]", async (_name, error, code, type) => {
    const { served } = fakeServed([content("Hel")], [content("lo"), error]);
    const { stream, finishes } = body(served);
    const fs = frames(await readAll(stream));

    expect(contentOf(fs)).toBe("Hello");
    const errors = fs.filter(isError);
    expect(errors).toEqual([
      {
        id: STAMP.id,
        object: "chat.completion.chunk",
        created: STAMP.created,
        model: "m/a",
        provider: "P1",
        choices: [{ index: 0, delta: { content: "" }, finish_reason: "error", native_finish_reason: null }],
        error: { code, message: expect.any(String), metadata: expect.objectContaining({ error_type: type }) },
      },
    ]);
    expect(chatCompletionChunkSchema.parse(errors[0])).toBeTruthy();
    expect(fs.slice(-3)).toEqual([
      errors[0],
      expect.objectContaining({ usage: USAGE, choices: [] }),
      "[DONE]",
    ]);
    expect(finishes).toHaveLength(1);
    expect(finishes[0]?.outcome.error).toMatchObject({ status: code, type });
  });
});

describe("sseBody: an error after the choice finished", () => {
  it("carries finish_reason null, so no choice gets a second finish_reason (as OpenRouter's own)", async () => {
    const late = new GatewayError(429, "rate_limit_exceeded", "Rate limit exceeded", { provider: "P1" });
    const { served } = fakeServed([content("Hel")], [finish("length", "length"), late]);
    const fs = frames(await readAll(body(served).stream));
    const finishes = fs.flatMap((f) =>
      typeof f === "object"
        ? (f.choices as { finish_reason: string | null }[]).map((c) => c.finish_reason)
        : [],
    );
    expect(finishes.filter((r) => r !== null)).toEqual(["length"]);
    expect(fs.filter(isError)).toEqual([
      expect.objectContaining({
        choices: [{ index: 0, delta: { content: "" }, finish_reason: null, native_finish_reason: null }],
        error: expect.objectContaining({ code: 429 }),
      }),
    ]);
    expect(fs.at(-1)).toBe("[DONE]");
  });
});

describe("sseBody: an error mid-stream with n > 1 choices", () => {
  it("finishes every choice that had not finished, and only those", async () => {
    const of = (index: number, text: string, reason: "stop" | null = null): ProviderChunk => ({
      choices: [{ index, delta: { content: text }, finish_reason: reason, native_finish_reason: reason }],
    });
    const late = new GatewayError(429, "rate_limit_exceeded", "Rate limit exceeded", { provider: "P1" });
    const { served } = fakeServed([of(0, "A"), of(1, "B"), of(2, "C")], [of(1, "", "stop"), late]);
    const fs = frames(await readAll(body(served).stream));
    const [error] = fs.filter(isError) as { choices: { index: number; finish_reason: string | null }[] }[];
    expect(error?.choices.map((c) => [c.index, c.finish_reason])).toEqual([
      [0, "error"],
      [1, null],
      [2, "error"],
    ]);
    expect(chatCompletionChunkSchema.parse(error)).toBeTruthy();
  });
});

describe("sseBody: an in-band 5xx from the provider is masked (API.md b8)", () => {
  it("its message becomes 'Provider returned error', without provider_code or raw; status, type and provider stay", async () => {
    const upstream = new GatewayError(
      500,
      "provider_unavailable",
      "Internal error on node gpu-17 (trace 9f2c)",
      {
        provider: "P1",
        providerCode: "api_error",
        raw: '{"type":"error","error":{"type":"api_error","message":"Internal error on node gpu-17"}}',
      },
    );
    const { served } = fakeServed([content("Hel")], [upstream]);
    const [error] = frames(await readAll(body(served).stream)).filter(isError);
    expect(error).toMatchObject({
      error: {
        code: 500,
        message: "Provider returned error",
        metadata: { error_type: "provider_unavailable", provider_name: "P1" },
      },
    });
    expect(JSON.stringify(error)).not.toMatch(/gpu-17|provider_code|raw/);
  });

  it("a 4xx keeps the provider's message and code; the gateway's own 5xx keeps its message", async () => {
    const limited = new GatewayError(429, "rate_limit_exceeded", "Rate limit exceeded", {
      provider: "P1",
      providerCode: "rate_limit",
    });
    const [rateLimit] = frames(
      await readAll(body(fakeServed([content("a")], [limited]).served).stream),
    ).filter(isError);
    expect(rateLimit).toMatchObject({
      error: { code: 429, message: "Rate limit exceeded", metadata: { provider_code: "rate_limit" } },
    });
    const ours = new GatewayError(502, "provider_unavailable", "The provider's stream failed");
    const [cut] = frames(await readAll(body(fakeServed([content("a")], [ours]).served).stream)).filter(
      isError,
    );
    expect(cut).toMatchObject({ error: { code: 502, message: "The provider's stream failed" } });
  });
});

describe("sseBody: keep-alive comments in a provider's silence", () => {
  /** After the head, `gapMs` of silence, then "lo" and the end. */
  const silentThenMore = (gapMs: number) => {
    const { served } = fakeServed([content("Hel")], []);
    let step = 0;
    const rest: ChunkSource = {
      async next() {
        step++;
        if (step === 1) {
          await new Promise((r) => setTimeout(r, gapMs));
          return [content("lo")];
        }
        return null;
      },
      cancel() {},
    };
    return { ...served, rest };
  };

  it("a silence mid-stream longer than keepAliveMs gets comments; the stream is unchanged around them", async () => {
    const fs = frames(await readAll(body(silentThenMore(45), { keepAliveMs: 10 }).stream));
    const first = fs.findIndex((f) => typeof f === "object");
    const second = fs.findIndex((f, i) => i > first && typeof f === "object");
    expect(second - first - 1).toBeGreaterThanOrEqual(3);
    expect(fs.slice(first + 1, second).every((f) => f === ": SWITCHYARD PROCESSING")).toBe(true);
    expect(contentOf(fs)).toBe("Hello");
    expect(fs.at(-1)).toBe("[DONE]");
  });

  it("frames that keep coming leave no room for comments", async () => {
    const { served } = fakeServed([content("a")], [content("b"), content("c")]);
    const fs = frames(await readAll(body(served, { keepAliveMs: 10_000 }).stream));
    expect(fs.some((f) => typeof f === "string" && f.startsWith(":"))).toBe(false);
  });
});

describe("sseBody: routing still pending when the response was committed", () => {
  it("keep-alive comments come first, then the stream", async () => {
    const { served } = fakeServed([content("late")], []);
    const pending = new Promise<ServedStream>((resolve) => setTimeout(() => resolve(served), 35));
    const { stream, finishes } = body(pending);
    const fs = frames(await readAll(stream));

    const firstData = fs.findIndex((f) => typeof f === "object");
    expect(firstData).toBeGreaterThanOrEqual(2);
    expect(fs.slice(0, firstData)).toEqual(Array(firstData).fill(": SWITCHYARD PROCESSING"));
    expect(contentOf(fs)).toBe("late");
    expect(fs.filter(isUsage)).toHaveLength(1);
    expect(fs.at(-1)).toBe("[DONE]");
    expect(finishes).toHaveLength(1);
    expect(finishes[0]?.served).toBe(served);
  });

  it("routing that fails after the commit ends with a keep-alive, one error chunk, usage and [DONE]", async () => {
    const error = new GatewayError(503, "provider_overloaded", "All providers are overloaded");
    const { stream, finishes } = body(Promise.reject(error));
    const fs = frames(await readAll(stream));

    expect(fs[0]).toBe(": SWITCHYARD PROCESSING");
    expect(fs.filter(isError)).toEqual([
      expect.objectContaining({
        error: expect.objectContaining({ code: 503, message: "All providers are overloaded" }),
        choices: [expect.objectContaining({ finish_reason: "error" })],
      }),
    ]);
    expect(fs.at(-2)).toMatchObject({ id: STAMP.id, model: STAMP.model, choices: [], usage: USAGE });
    expect(fs.at(-1)).toBe("[DONE]");
    expect(finishes).toHaveLength(1);
    expect(finishes[0]).toMatchObject({ served: undefined, outcome: { error: { status: 503 } } });
  });
});

describe("sseBody: router metadata (X-OpenRouter-Metadata: enabled)", () => {
  const METADATA: RouterMetadata = {
    requested: "m/a",
    strategy: "direct",
    region: null,
    summary: "available=1, selected=P1",
    attempt: 1,
    is_byok: false,
    endpoints: { total: 1, available: [{ provider: "P1", model: "m/a", selected: true }] },
    attempts: [{ provider: "P1", model: "m/a", status: 200 }],
    pipeline: [],
    generation_time: 7,
  };
  const metadataFor = () => {
    const calls: { served: ServedStream; finishedBefore: boolean }[] = [];
    let finished = false;
    const opts: Partial<SseOptions> = {
      finish: () => {
        finished = true;
        return USAGE;
      },
      metadata: (served) => {
        calls.push({ served, finishedBefore: finished });
        return METADATA;
      },
    };
    return { opts, calls };
  };

  it("is on the usage chunk only, built once after finish, for the stream that served", async () => {
    const { served } = fakeServed([content("Hel")], [content("lo"), finish("stop", "stop")]);
    const { opts, calls } = metadataFor();
    const fs = frames(await readAll(body(served, opts).stream));

    const withMetadata = fs.filter((f) => typeof f === "object" && "openrouter_metadata" in f);
    expect(withMetadata).toEqual([
      expect.objectContaining({ choices: [], usage: USAGE, openrouter_metadata: METADATA }),
    ]);
    expect(fs.at(-2)).toBe(withMetadata[0]);
    expect(chatCompletionChunkSchema.parse(withMetadata[0])).toMatchObject({ openrouter_metadata: METADATA });
    expect(calls).toEqual([{ served, finishedBefore: true }]);
  });

  it("is absent when the stream ends in an error, and when routing failed after the commit", async () => {
    const cut = fakeServed([content("Hel")], [new TypeError("socket closed")]);
    const a = metadataFor();
    const afterContent = frames(await readAll(body(cut.served, a.opts).stream));
    const b = metadataFor();
    const unserved = frames(
      await readAll(
        body(Promise.reject(new GatewayError(503, "provider_overloaded", "busy")), b.opts).stream,
      ),
    );
    for (const fs of [afterContent, unserved]) {
      expect(fs.find(isUsage)).toBeDefined();
      expect(fs.some((f) => typeof f === "object" && "openrouter_metadata" in f)).toBe(false);
    }
    expect(a.calls).toEqual([]);
    expect(b.calls).toEqual([]);
  });
});

describe("sseBody: the client goes away", () => {
  it("cancel mid-stream: finish once with cancelled: true, upstream aborted, nothing more read", async () => {
    const { served, state } = fakeServed([content("Hel")], [content("lo"), "hang"]);
    const { stream, finishes } = body(served);
    const reader = stream.getReader();
    await reader.read(); // content "Hel"
    await reader.read(); // content "lo"
    await reader.cancel();

    expect(finishes).toHaveLength(1);
    expect(finishes[0]?.outcome).toMatchObject({ cancelled: true, generatedChars: 5 });
    expect(state.aborted).toBe(1);
    expect(state.restCancelled).toBe(true);
  });

  it("cancel while routing is pending: finish once, and the stream that arrives later is aborted", async () => {
    const { served, state } = fakeServed([content("late")], ["hang"]);
    let resolve!: (s: ServedStream) => void;
    const pending = new Promise<ServedStream>((r) => {
      resolve = r;
    });
    const { stream, finishes } = body(pending);
    const reader = stream.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(": SWITCHYARD PROCESSING\n\n");
    await reader.cancel();
    // Keep-alive ticks after the cancel must not throw (they would be uncaught in a timer).
    await new Promise((r) => setTimeout(r, 25));
    resolve(served);
    await new Promise((r) => setTimeout(r, 5));

    expect(finishes).toHaveLength(1);
    expect(finishes[0]?.outcome.cancelled).toBe(true);
    expect(state.aborted).toBe(1);
    expect(state.restCancelled).toBe(true);
  });
});

describe("sseBody: a client slower than the upstream", () => {
  /** An upstream that never ends: 1 KiB of content per read, a macrotask per read as a network read is. */
  const endlessUpstream = () => {
    const upstream = { reads: 0, rest: undefined as unknown as ChunkSource };
    upstream.rest = {
      async next() {
        upstream.reads++;
        await new Promise((r) => setImmediate(r));
        return [content("x".repeat(1024))];
      },
      cancel() {},
    };
    return upstream;
  };

  it("stops reading the upstream once about 64 KiB wait for the client, and resumes as it reads", async () => {
    const upstream = endlessUpstream();
    const { served } = fakeServed([content("first")], []);
    const { stream } = body({ ...served, rest: upstream.rest });
    await new Promise((r) => setTimeout(r, 50));
    // ~1.2 KiB per frame: about 55 frames fill the buffer; the upstream is not read further.
    expect(upstream.reads).toBeGreaterThan(20);
    expect(upstream.reads).toBeLessThan(70);
    const stalledAt = upstream.reads;
    await new Promise((r) => setTimeout(r, 50));
    expect(upstream.reads).toBe(stalledAt);

    const reader = stream.getReader();
    for (let i = 0; i < 40; i++) await reader.read();
    await new Promise((r) => setTimeout(r, 20));
    expect(upstream.reads).toBeGreaterThan(stalledAt);
    await reader.cancel();
  });

  it("keep-alive ticks while the client is behind neither add to its backlog nor stall the stream", async () => {
    const upstream = endlessUpstream();
    const { served } = fakeServed([content("first")], []);
    // Ticks every 2 ms while the buffer is full for 50 ms.
    const { stream } = body({ ...served, rest: upstream.rest }, { keepAliveMs: 4 });
    await new Promise((r) => setTimeout(r, 50));
    const stalledAt = upstream.reads;
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let text = "";
    for (let i = 0; i < 40; i++) text += decoder.decode((await reader.read()).value);
    expect(text).not.toContain(": SWITCHYARD PROCESSING");
    await new Promise((r) => setTimeout(r, 20));
    expect(upstream.reads).toBeGreaterThan(stalledAt);
    await reader.cancel();
  });
});

describe("sseBody: debug.echo_upstream_body", () => {
  /** Echoes as execute records them: one per attempt, with that attempt's model and provider. */
  function echoesOf(...attempts: [model: string, provider: string, body: unknown][]): UpstreamEchoes {
    const echoes = new UpstreamEchoes();
    for (const [model, provider, body] of attempts) {
      const target = testTarget({
        provider: {
          slug: provider.toLowerCase(),
          name: provider,
          adapter: "openai",
          baseUrl: "",
          config: {},
        },
        endpoint: {
          model,
          providerModelId: model,
          contextLength: 1,
          maxCompletionTokens: null,
          supportedParameters: [],
        },
      });
      echoes.record(JSON.stringify(body), target);
    }
    return echoes;
  }
  const isDebug = (f: Frame) => typeof f === "object" && "debug" in f;

  it("writes one choices-less debug chunk per attempt first, in order, each naming its own provider", async () => {
    const echoes = echoesOf(
      ["m/a", "P0", { model: "first", messages: [{ role: "user", content: "hi" }] }],
      ["m/a", "P1", { max_tokens: 4096, system: "be brief", messages: [] }],
    );
    const { served } = fakeServed([role, content("Hel")], [content("lo"), usageOnly(2)]);
    const fs = frames(await readAll(body(served, { echoes }).stream));

    expect(fs.slice(0, 2)).toEqual([
      {
        id: STAMP.id,
        object: "chat.completion.chunk",
        created: STAMP.created,
        model: "m/a",
        provider: "P0",
        choices: [],
        debug: { echo_upstream_body: { model: "first", messages: [{ role: "user", content: "hi" }] } },
      },
      expect.objectContaining({
        provider: "P1",
        choices: [],
        debug: { echo_upstream_body: { max_tokens: 4096, system: "be brief", messages: [] } },
      }),
    ]);
    for (const f of fs.slice(0, 2)) expect(chatCompletionChunkSchema.parse(f)).toEqual(f);
    expect(fs.slice(2).some(isDebug)).toBe(false);
    expect(contentOf(fs)).toBe("Hello");
    expect(fs.at(-1)).toBe("[DONE]");
    // Written, then dropped: the bodies hold the prompt, and the stream lives on.
    expect(echoes.take()).toEqual([]);
  });

  it("redacts what looks like a secret in a body", async () => {
    const echoes = echoesOf([
      "m/a",
      "P1",
      { messages: [{ role: "user", content: "sk-proj-abcdefghijklmnop" }] },
    ]);
    const { served } = fakeServed([content("x")], []);
    const fs = frames(await readAll(body(served, { echoes }).stream));
    expect(fs[0]).toMatchObject({ debug: { echo_upstream_body: { messages: [{ content: "[REDACTED]" }] } } });
  });

  it("routing that fails after the commit still shows the bodies of its attempts, before the error chunk", async () => {
    const echoes = echoesOf(["m/a", "P1", { n: 1 }], ["m/a", "P2", { n: 2 }]);
    const error = new GatewayError(503, "provider_overloaded", "All providers are overloaded");
    const fs = frames(await readAll(body(Promise.reject(error), { echoes }).stream));
    const data = fs.filter((f) => typeof f === "object");
    expect(data.slice(0, 2)).toEqual([
      expect.objectContaining({ provider: "P1", choices: [], debug: { echo_upstream_body: { n: 1 } } }),
      expect.objectContaining({ provider: "P2", choices: [], debug: { echo_upstream_body: { n: 2 } } }),
    ]);
    expect(isError(data[2]!)).toBe(true);
  });

  it("without the flag there is no debug chunk", async () => {
    const { served } = fakeServed([content("x")], [usageOnly(1)]);
    const fs = frames(await readAll(body(served).stream));
    expect(fs.some(isDebug)).toBe(false);
  });
});

describe("sseBody: tool calls, for Auto Exacto", () => {
  const call = (index: number, fn: { name?: string; arguments?: string }): ProviderChunk => ({
    choices: [
      {
        index: 0,
        delta: { tool_calls: [{ index, function: fn }] },
        finish_reason: null,
        native_finish_reason: null,
      },
    ],
  });
  const calls = () =>
    fakeServed(
      [call(0, { name: "get_weather", arguments: "" })],
      [call(0, { arguments: '{"city"' }), call(1, { name: "now" }), call(0, { arguments: ':"Oslo"}' })],
    ).served;

  it("puts a request with tools' calls together from their fragments, per call index", async () => {
    const toolCalls = new ToolCallFragments();
    const { stream, finishes } = body(calls(), { toolCalls });
    await readAll(stream);
    expect(finishes).toHaveLength(1);
    expect(toolCalls.calls()).toEqual([
      { name: "get_weather", arguments: '{"city":"Oslo"}' },
      { name: "now", arguments: "" },
    ]);
  });

  it("collects nothing for a request without tools", async () => {
    const { stream, finishes } = body(calls());
    await readAll(stream);
    expect(finishes[0]!.outcome.toolCalls).toBeUndefined();
  });
});
