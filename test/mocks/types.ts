/**
 * Mock providers for end-to-end tests: one real HTTP server on loopback (test/mocks/server.ts)
 * hosts one handler per wire protocol under a path prefix (`/openai`, `/anthropic`, `/google`,
 * `/bedrock`, `/azure`), with the prefix stripped before the handler sees the path.
 *
 * A handler chooses its behaviour from the *upstream model id* in the request (which survives
 * every translation), so a catalog endpoint's `providerModelId` picks the scenario:
 *   contains `fail-500` → a 500 in the protocol's error shape;   `fail-429` → 429 with `retry-after: 0`;
 *   `fail-400` → a non-retryable 400;   `ctx-limit` → the protocol's context-length 400;
 *   `cut` → streaming: a few content events, then the socket is destroyed without a finish;
 *   `slow` → waits 3 s before answering;   otherwise a normal answer:
 *     with `tools` in the request (and tool_choice not "none"): one call of the first tool, arguments
 *     `{"location":"Paris"}`; else the text `Hello from the <protocol> mock.` plus the last user
 *     message's first 40 characters in brackets; streaming (when the protocol's request says so) split
 *     into several events exactly as the real provider frames them, with usage.
 *   `cache-hit` (OpenAI dialect) → a normal answer whose usage reports half the prompt as cached.
 *   `json-mess` (OpenAI dialect) → the text `MESSY_JSON` (prose, a fence, trailing commas around JSON).
 *   `bad-args` (OpenAI dialect) → with tools, the call's arguments cut short (`BROKEN_TOOL_ARGUMENTS`, not JSON).
 * The OpenAI dialect also refuses (401, `invalid_api_key`) any bearer key containing `refused`.
 */
import type { IncomingHttpHeaders, ServerResponse } from "node:http";

export interface MockRequest {
  method: string;
  /** Path after the protocol prefix, e.g. `/v1/messages`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  bodyText: string;
}

export type MockHandler = (req: MockRequest, res: ServerResponse) => void | Promise<void>;

/** Scenario keywords, in the order handlers check them. */
export function scenarioOf(
  modelId: string,
): "fail-500" | "fail-429" | "fail-400" | "ctx-limit" | "cut" | "slow" | "drip" | "ok" {
  for (const s of ["fail-500", "fail-429", "fail-400", "ctx-limit", "cut", "slow", "drip"] as const) {
    if (modelId.includes(s)) return s;
  }
  return "ok";
}
