/**
 * `POST /api/v1/chat/completions`: validate, plan, execute with fallback, respond (JSON or SSE),
 * and record usage after the response. The hot path reads only the in-isolate caches.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { type AuthedEnv, requestScope, requireApiKey } from "../auth/middleware";
import { dbStats, getCatalog } from "../cache/routing-data";
import { GatewayError } from "../errors";
import { adapterFor } from "../providers/registry";
import { executeCompletion, executeStream, type ServedStream } from "../routing/execute";
import { planRoute } from "../routing/plan";
import { completionBody, sseBody } from "../routing/respond";
import { chatCompletionChunkSchema, chatCompletionSchema } from "../schema/chat-completion";
import { chatRequestSchema } from "../schema/chat-request";
import { compressionRequested } from "../transforms";
import { countPromptTokens } from "../transforms/tokens";
import { newGenerationId } from "../usage/generation-id";
import { ChatRun } from "./chat-run";
import { validationHook } from "./error-response";
import { bearerAuth, errorResponses } from "./openapi";

/** Request bodies above this are refused with 413 (base64 images make large bodies legitimate). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

const route = createRoute({
  method: "post",
  path: "/chat/completions",
  summary: "Create a chat completion (OpenAI-compatible, with OpenRouter's routing extensions)",
  security: bearerAuth,
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: chatRequestSchema.openapi("ChatRequest") } },
    },
  },
  responses: {
    200: {
      description:
        "The completion, or with `stream: true` a `text/event-stream` of chunks ending in `data: [DONE]`.",
      content: {
        "application/json": { schema: chatCompletionSchema },
        "text/event-stream": { schema: chatCompletionChunkSchema },
      },
    },
    ...errorResponses(400, 401, 402, 403, 404, 413, 429, 502, 503),
  },
});

export const chatApi = new OpenAPIHono<AuthedEnv>({ defaultHook: validationHook });

/**
 * 413 for bodies over the limit. The body is read to its end (and discarded, chunk by chunk)
 * before answering: answering while a client is still sending makes most clients report a
 * connection reset instead of the status.
 */
const refuseOversizedBodies = createMiddleware(async (c, next) => {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared <= MAX_BODY_BYTES) return next();
  const reader = c.req.raw.body?.getReader();
  if (reader) for (let r = await reader.read(); !r.done; r = await reader.read());
  throw new GatewayError(
    413,
    "payload_too_large",
    `Request body exceeds ${MAX_BODY_BYTES / 1024 / 1024} MiB`,
  );
});

chatApi.use(
  "/chat/completions",
  refuseOversizedBodies,
  // Bodies without a length (chunked) are cut off by hono's limiter as they are read.
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new GatewayError(
        413,
        "payload_too_large",
        `Request body exceeds ${MAX_BODY_BYTES / 1024 / 1024} MiB`,
      );
    },
  }),
  requireApiKey,
);

function numberVar(value: unknown, fallback: number): number {
  const n = Number(value);
  return typeof value === "string" && Number.isFinite(n) && n > 0 ? n : fallback;
}

chatApi.openapi(route, async (c) => {
  const startedAt = Date.now();
  const queriesBefore = dbStats.queries;
  const request = c.req.valid("json");
  const scope = requestScope(c);
  const catalog = await getCatalog(scope).catch((cause: unknown) => {
    throw new GatewayError(503, "server", "Routing data is unavailable, try again shortly", { cause });
  });
  const promptTokens = countPromptTokens(request.messages, request.tools);
  const plan = planRoute({
    request,
    catalog,
    promptTokens,
    compression: (context) => compressionRequested(request, context),
  });
  const run = new ChatRun({
    request,
    key: c.var.key,
    env: c.env,
    scope,
    promptTokens,
    id: newGenerationId(startedAt),
    startedAt,
    headers: c.req.raw.headers,
  });
  if (plan.attempts.length === 0) throw run.noEndpointsError(plan, catalog);

  const deps = {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
    adapterFor,
    prepare: run.prepare,
    firstByteTimeoutMs: numberVar(c.env.FIRST_BYTE_TIMEOUT_MS, 60_000),
    signal: c.req.raw.signal,
  };
  const timing = (served: { sentAt: number }) =>
    `gateway;dur=${served.sentAt - startedAt};desc="gateway before upstream", db;desc="${dbStats.queries - queriesBefore} queries"`;

  if (!request.stream) {
    let served: Awaited<ReturnType<typeof executeCompletion>>;
    try {
      served = await executeCompletion(plan.attempts, deps);
    } catch (error) {
      run.recordFailure(error);
      throw error;
    }
    const usage = run.settle(served, served.completion);
    const body = completionBody(
      run.stamp(served.attempt),
      {
        choices: served.completion.choices,
        systemFingerprint: served.completion.systemFingerprint,
        serviceTier: served.completion.serviceTier,
      },
      usage,
    );
    return c.json(body, 200, run.responseHeaders(served, timing(served)));
  }

  const pending = executeStream(plan.attempts, deps);
  const early = await raceCommit(pending, numberVar(c.env.STREAM_COMMIT_MS, 1_000));
  if (early.kind === "error") {
    run.recordFailure(early.error);
    throw early.error;
  }
  const body = sseBody({
    served: early.kind === "served" ? early.served : pending,
    stamp: (served) => run.stamp(served.attempt),
    unservedStamp: run.unservedStamp(),
    finish: (outcome, served) => run.settleStream(outcome, served),
    keepAliveMs: 5_000,
    clientSignal: c.req.raw.signal,
  });
  const headers: Record<string, string> = {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
    ...(early.kind === "served"
      ? run.responseHeaders(early.served, timing(early.served))
      : { "x-generation-id": run.id }),
  };
  return c.body(body, 200, headers);
});

type Early =
  | { kind: "served"; served: ServedStream }
  | { kind: "error"; error: unknown }
  | { kind: "pending" };

/**
 * Waits a little for routing to settle before committing to a 200: errors that happen early
 * keep their real HTTP status; a slow start gets a stream with keep-alive comments instead.
 */
async function raceCommit(pending: Promise<ServedStream>, ms: number): Promise<Early> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Early>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "pending" }), ms);
  });
  const settled = pending.then(
    (served): Early => ({ kind: "served", served }),
    (error: unknown): Early => ({ kind: "error", error }),
  );
  const early = await Promise.race([settled, timeout]);
  clearTimeout(timer);
  if (early.kind === "pending") pending.catch(() => {}); // handled by the stream body
  return early;
}
