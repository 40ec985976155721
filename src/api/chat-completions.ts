/**
 * `POST /api/v1/chat/completions`: validate, plan, execute with fallback, respond (JSON or SSE),
 * and record usage after the response. The hot path reads only the in-isolate caches.
 *
 * It is the hot path, so it carries as little framework as the bench floor (a bare Hono app with
 * one route): the Worker's fetch entry hands it to a one-route app (`createChatApp`) before the
 * general router, and one handler does in a row what a middleware chain did (body limit, key,
 * media type, JSON, schema; zod's synchronous parse), with the statuses, order and messages the
 * chain had. The general app still documents the route and serves it (`mountChatCompletions`).
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { type Context, Hono } from "hono";
import { getPath } from "hono/utils/url";
import { type AuthedEnv, requestScope, requireApiKey } from "../auth/middleware";
import { userIdOf } from "../auth/pkce";
import { dbStats, getCatalog } from "../cache/routing-data";
import type { AppEnv, Bindings } from "../env";
import { GatewayError } from "../errors";
import { adapterFor } from "../providers/registry";
import { withByokAttempts } from "../routing/byok";
import { endpointHealth } from "../routing/endpoint-health";
import { executeCompletion, executeStream, type ServedStream } from "../routing/execute";
import { type Attempt, planRoute } from "../routing/plan";
import { pluginRefusal } from "../routing/plugins";
import { completionBody, sseBody } from "../routing/respond";
import { routerMetadataRequested, routingStrategy } from "../routing/router-metadata";
import { UpstreamEchoes } from "../routing/upstream-echo";
import { chatCompletionChunkSchema, chatCompletionSchema } from "../schema/chat-completion";
import { type ChatRequest, chatRequestSchema } from "../schema/chat-request";
import { isPlainChatRequest } from "../schema/chat-request-guard";
import { compressionRequested } from "../transforms";
import { healResponse } from "../transforms/response-healing";
import { countPromptTokens } from "../transforms/tokens";
import { newGenerationId } from "../usage/generation-id";
import { ChatRun } from "./chat-run";
import { CORS_HEADERS } from "./cors";
import { errorResponse, gatewayErrorOf, invalidRequest, notFound, onError } from "./error-response";
import { API_PREFIX, bearerAuth, errorResponses } from "./openapi";
import { limitBody, readJsonBody } from "./request-body";

export const CHAT_COMPLETIONS_PATH = `${API_PREFIX}/chat/completions`;

/** The route as documented; requests are validated by `chatCompletions` itself. */
const route = createRoute({
  method: "post",
  path: CHAT_COMPLETIONS_PATH,
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

/**
 * Adds the route to the general app: listed in its OpenAPI document (from the same schema that
 * validates) and served, without zod-openapi's validator middleware, for callers of `app.fetch`
 * and `app.request` that do not go through the Worker's entry.
 */
export function mountChatCompletions(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath(route);
  app.route("/", chatRoutes());
}

/** True for the requests `chatApp` serves: the fetch entry hands these over without the general router. */
export function isChatCompletionsRequest(request: Request): boolean {
  return request.method === "POST" && getPath(request) === CHAT_COMPLETIONS_PATH;
}

/** Numeric settings read from env vars, parsed once per env object (workerd passes the same one). */
interface Settings {
  firstByteTimeoutMs: number;
  streamCommitMs: number;
}
const settingsByEnv = new WeakMap<Bindings, Settings>();

function settingsOf(env: Bindings): Settings {
  let settings = settingsByEnv.get(env);
  if (!settings) {
    settings = {
      firstByteTimeoutMs: numberVar(env.FIRST_BYTE_TIMEOUT_MS, 60_000),
      streamCommitMs: numberVar(env.STREAM_COMMIT_MS, 1_000),
    };
    settingsByEnv.set(env, settings);
  }
  return settings;
}

function numberVar(value: unknown, fallback: number): number {
  const n = Number(value);
  return typeof value === "string" && Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Reads the global at call time, so a test's replacement of `fetch` is seen. */
const globalFetch = (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init);
const authenticated = async () => {};

/** The validated request, or the 400 that zod-openapi's validator would have given. */
function validRequest(body: unknown): ChatRequest {
  if (isPlainChatRequest(body)) return body;
  const result = chatRequestSchema.safeParse(body);
  if (!result.success) throw invalidRequest(result.error, "json");
  return result.data;
}

/**
 * The whole route in the order the client sees its refusals: 413 (size), 401/403/503 (key),
 * 415 (media type), 400 (JSON, schema), plugins (400 unknown, 404 not offered), then routing.
 */
export async function chatCompletions(c: Context<AuthedEnv>): Promise<Response> {
  const buffered = await limitBody(c.req.raw);
  await requireApiKey(c, authenticated);
  const request = validRequest(await readJsonBody(c.req.raw, buffered));
  // A plugin this gateway cannot honour is refused before anything is read, held or recorded.
  if (request.plugins !== undefined) {
    const refusal = pluginRefusal(request);
    if (refusal) throw refusal;
  }
  // Server-Timing's gateway time and query count start here, after the key, as they always have
  // (bench/targets.ts counts a key load as time before the gateway starts).
  const startedAt = Date.now();
  const queriesBefore = dbStats.queries;
  const scope = requestScope(c);
  const catalog = await getCatalog(scope).catch((cause: unknown) => {
    throw new GatewayError(503, "server", "Routing data is unavailable, try again shortly", { cause });
  });
  const promptTokens = countPromptTokens(request.messages, request.tools);
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
  const plan = planRoute({
    request,
    catalog,
    promptTokens,
    compression: (context, model) => compressionRequested(request, context, model.outputModalities),
    sticky: run,
    health: endpointHealth,
    now: startedAt,
  });
  // BYOK (b10, b12): an account with credentials gets its own attempts around the shared ones;
  // any other request pays this one property check.
  const key = c.var.key;
  if (key.byok !== undefined) {
    plan.attempts = withByokAttempts(plan.attempts, key.byok, {
      apiKeyHash: key.hash,
      userId: userIdOf(key.accountId),
      zdr: request.provider?.zdr === true,
    });
  }
  if (plan.attempts.length === 0) throw run.noEndpointsError(plan, catalog, request);
  if (routerMetadataRequested(c.req.raw.headers)) run.reportRouting(plan.attempts, routingStrategy(request));

  const settings = settingsOf(c.env);
  // Streams only, as OpenRouter (a non-streamed request ignores the flag).
  const echoes =
    request.debug?.echo_upstream_body === true && request.stream ? new UpstreamEchoes() : undefined;
  const deps = {
    fetch: globalFetch,
    adapterFor,
    prepare: (attempt: Attempt) => run.prepare(attempt, request),
    firstByteTimeoutMs: settings.firstByteTimeoutMs,
    signal: c.req.raw.signal,
    echoes,
    health: endpointHealth,
  };

  if (!request.stream) {
    let served: Awaited<ReturnType<typeof executeCompletion>>;
    try {
      served = await executeCompletion(plan.attempts, deps);
    } catch (error) {
      return failureResponse(c, run, error);
    }
    // Priced on what the model wrote; the client may get it healed (plugins: response-healing).
    const usage = run.settle(served, served.completion);
    const healed =
      request.plugins === undefined ? undefined : healResponse(request, served.completion.choices);
    const body = completionBody(
      run.stamp(served.attempt),
      {
        choices: healed?.choices ?? served.completion.choices,
        systemFingerprint: served.completion.systemFingerprint,
        serviceTier: served.completion.serviceTier,
      },
      usage,
    );
    if (run.routerMetadata) body.openrouter_metadata = run.routerMetadata(served, healed?.report);
    // A Response of our own: hono's c.json/c.body merge headers through a Headers object per call.
    const headers = run.responseHeaders(served, serverTiming(startedAt, queriesBefore, served.sentAt));
    headers["content-type"] = "application/json";
    return new Response(JSON.stringify(body), { status: 200, headers });
  }

  return streamResponse(
    c,
    run,
    executeStream(plan.attempts, deps),
    settings.streamCommitMs,
    (sentAt) => serverTiming(startedAt, queriesBefore, sentAt),
    echoes,
  );
}

/**
 * The SSE response. Its own function so that the closures the stream keeps for its whole life
 * (stamp, finish) do not share a scope with the request, which would keep the prompt alive too.
 */
async function streamResponse(
  c: Context<AuthedEnv>,
  run: ChatRun,
  pending: Promise<ServedStream>,
  commitMs: number,
  timing: (sentAt: number) => string,
  echoes: UpstreamEchoes | undefined,
): Promise<Response> {
  const early = await raceCommit(pending, commitMs);
  if (early.kind === "error") return failureResponse(c, run, early.error);
  const body = sseBody({
    served: early.kind === "served" ? early.served : pending,
    stamp: (served) => run.stamp(served.attempt),
    unservedStamp: run.unservedStamp(),
    finish: (outcome, served) => run.settleStream(outcome, served),
    toolCalls: run.toolCallCollector(),
    metadata: run.routerMetadata,
    keepAliveMs: 5_000,
    clientSignal: c.req.raw.signal,
    echoes,
  });
  const headers: Record<string, string> = {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
    ...(early.kind === "served"
      ? run.responseHeaders(early.served, timing(early.served.sentAt))
      : { ...CORS_HEADERS, "x-generation-id": run.id }),
  };
  return new Response(body, { status: 200, headers });
}

/**
 * A request that failed after routing began: it is recorded under the run's id, and the error
 * says so in `X-Generation-Id` (API.md b1), so `GET /generation?id=…` finds the failure.
 */
function failureResponse(c: Context<AuthedEnv>, run: ChatRun, error: unknown): Response {
  run.recordFailure(error);
  return errorResponse(c, gatewayErrorOf(error), { "x-generation-id": run.id });
}

/** The gateway's own time before the upstream request and the database queries it waited for. */
function serverTiming(startedAt: number, queriesBefore: number, sentAt: number): string {
  return `gateway;dur=${sentAt - startedAt};desc="gateway before upstream", db;desc="${dbStats.queries - queriesBefore} queries"`;
}

function chatRoutes(): Hono<AuthedEnv> {
  return new Hono<AuthedEnv>().post(CHAT_COMPLETIONS_PATH, chatCompletions);
}

/**
 * The one-route app the Worker's fetch entry serves chat requests with (`isChatCompletionsRequest`):
 * the bench floor's shape, a bare Hono app, with our error handler.
 */
export function createChatApp(): Hono<AuthedEnv> {
  const app = chatRoutes();
  app.notFound(notFound);
  app.onError(onError);
  return app;
}

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
