/**
 * Anthropic Messages API mock (contract in ./types.ts): `POST /v1/messages` answers JSON, or with
 * `stream: true` an SSE body framed as api.anthropic.com frames it (`event:` + `data:` lines:
 * message_start, content_block_start, ping, deltas, content_block_stop, message_delta with
 * cumulative usage, message_stop; fixtures anthropic/stream-*.sse). Errors use Anthropic's
 * `{type: "error", error: {type, message}, request_id}` body; a request without `x-api-key`
 * gets the 401 Anthropic sends.
 */
import type { ServerResponse } from "node:http";
import { type MockHandler, type MockRequest, scenarioOf } from "./types";

interface MessagesBody {
  model?: string;
  stream?: boolean;
  messages?: { role?: string; content?: string | { type?: string; text?: string; content?: unknown }[] }[];
  tools?: { name?: string }[];
  tool_choice?: { type?: string };
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}_mock${(++counter).toString().padStart(20, "0")}`;

function parseBody(text: string): MessagesBody {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as MessagesBody) : {};
  } catch {
    return {};
  }
}

function sendError(res: ServerResponse, status: number, type: string, message: string, headers = {}): void {
  const requestId = nextId("req");
  res.writeHead(status, { "content-type": "application/json", "request-id": requestId, ...headers });
  res.end(JSON.stringify({ type: "error", error: { type, message }, request_id: requestId }));
}

/** The last user turn's text (its text blocks, or failing that its tool results), first 40 characters. */
function lastUserText(body: MessagesBody): string {
  const last = [...(body.messages ?? [])].reverse().find((m) => m.role === "user");
  if (last === undefined) return "";
  if (typeof last.content === "string") return last.content.slice(0, 40);
  const blocks = last.content ?? [];
  const texts = blocks.filter((b) => b.type === "text").map((b) => b.text ?? "");
  const results = blocks
    .filter((b) => b.type === "tool_result")
    .map((b) => (typeof b.content === "string" ? b.content : JSON.stringify(b.content ?? "")));
  return (texts.length > 0 ? texts : results).join(" ").slice(0, 40);
}

/** What the model "says": one call of the first tool when tools are offered and not disabled. */
function plan(body: MessagesBody): { kind: "tool"; name: string } | { kind: "text"; text: string } {
  const tool = body.tools?.[0]?.name;
  if (tool !== undefined && body.tool_choice?.type !== "none") return { kind: "tool", name: tool };
  return { kind: "text", text: `Hello from the anthropic mock. [${lastUserText(body)}]` };
}

const TOOL_INPUT = { location: "Paris" };
/** Argument fragments as the API cuts them, the first one empty (fixture stream-tool-use.sse). */
const TOOL_FRAGMENTS = ["", '{"locati', 'on": "Par', 'is"}'];

function usageFor(req: MockRequest): {
  input_tokens: number;
  cache_creation_input_tokens: 0;
  cache_read_input_tokens: 0;
} {
  return {
    input_tokens: Math.max(1, Math.ceil(req.bodyText.length / 4)),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function outputTokens(answer: ReturnType<typeof plan>): number {
  return answer.kind === "tool" ? 40 : answer.text.split(/\s+/).length;
}

function sendMessage(req: MockRequest, res: ServerResponse, body: MessagesBody, model: string): void {
  const answer = plan(body);
  const content =
    answer.kind === "tool"
      ? [{ type: "tool_use", id: nextId("toolu"), name: answer.name, input: TOOL_INPUT }]
      : [{ type: "text", text: answer.text }];
  res.writeHead(200, { "content-type": "application/json", "request-id": nextId("req") });
  res.end(
    JSON.stringify({
      id: nextId("msg"),
      type: "message",
      role: "assistant",
      model,
      content,
      stop_reason: answer.kind === "tool" ? "tool_use" : "end_turn",
      stop_sequence: null,
      usage: { ...usageFor(req), output_tokens: outputTokens(answer), service_tier: "standard" },
    }),
  );
}

/** Writes one SSE event exactly as Anthropic does: `event: <type>` then `data: <json>`. */
function writeEvent(res: ServerResponse, payload: { type: string; [field: string]: unknown }): void {
  res.write(`event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`);
}

/** The text in a few uneven pieces, as the API streams it. */
function pieces(text: string): string[] {
  const words = text.split(/(?<= )/);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += 3) out.push(words.slice(i, i + 3).join(""));
  return out;
}

async function sendStream(
  req: MockRequest,
  res: ServerResponse,
  body: MessagesBody,
  model: string,
  cut: boolean,
): Promise<void> {
  const answer = plan(body);
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "request-id": nextId("req"),
  });
  writeEvent(res, {
    type: "message_start",
    message: {
      id: nextId("msg"),
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usageFor(req), output_tokens: 1, service_tier: "standard" },
    },
  });
  if (answer.kind === "tool") {
    writeEvent(res, {
      type: "content_block_start",
      index: 0,
      content_block: { type: "tool_use", id: nextId("toolu"), name: answer.name, input: {} },
    });
    writeEvent(res, { type: "ping" });
    for (const partial_json of TOOL_FRAGMENTS) {
      writeEvent(res, {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json },
      });
    }
  } else {
    writeEvent(res, { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
    writeEvent(res, { type: "ping" });
    const parts = pieces(answer.text);
    for (const [i, text] of parts.entries()) {
      writeEvent(res, { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } });
      // `cut`: a little content, then the connection dies without a stop_reason.
      if (cut && i === 1) {
        // Let the client see the headers and content first, as with a real dropped connection.
        await new Promise((resolve) => setTimeout(resolve, 50));
        res.destroy();
        return;
      }
    }
  }
  writeEvent(res, { type: "content_block_stop", index: 0 });
  writeEvent(res, {
    type: "message_delta",
    delta: { stop_reason: answer.kind === "tool" ? "tool_use" : "end_turn", stop_sequence: null },
    usage: { ...usageFor(req), output_tokens: outputTokens(answer) },
  });
  writeEvent(res, { type: "message_stop" });
  res.end();
}

export const anthropicMock: MockHandler = async (req, res) => {
  if (req.method !== "POST" || req.path !== "/v1/messages") {
    return sendError(res, 404, "not_found_error", `Not found: ${req.method} ${req.path}`);
  }
  if (!req.headers["x-api-key"]) {
    return sendError(res, 401, "authentication_error", "x-api-key header is required");
  }
  const body = parseBody(req.bodyText);
  const model = body.model ?? "";
  switch (scenarioOf(model)) {
    case "fail-500":
      return sendError(res, 500, "api_error", "Internal server error");
    case "fail-429":
      return sendError(res, 429, "rate_limit_error", "This request would exceed your account's rate limit.", {
        "retry-after": "0",
        "x-should-retry": "true",
      });
    case "fail-400":
      return sendError(res, 400, "invalid_request_error", "mock: this request is not valid");
    case "ctx-limit":
      return sendError(
        res,
        400,
        "invalid_request_error",
        "prompt is too long: 250000 tokens > 200000 maximum",
      );
    case "cut":
      if (!body.stream) {
        res.destroy();
        return;
      }
      return sendStream(req, res, body, model, true);
    case "slow":
      await new Promise((resolve) => setTimeout(resolve, 3000));
      break;
    case "ok":
      break;
  }
  if (body.stream) await sendStream(req, res, body, model, false);
  else sendMessage(req, res, body, model);
};
