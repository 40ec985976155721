/**
 * OpenAI chat-completions mock (contract in ./types.ts): `POST …/chat/completions` answers a
 * `chat.completion`, or with `stream: true` an SSE body framed as api.openai.com frames it: a role
 * chunk (`content: ""`, `refusal: null`), content deltas, a finish chunk with an empty delta, then —
 * when `stream_options.include_usage` — a `choices: []` usage chunk (every earlier chunk says
 * `usage: null`), then `data: [DONE]` (fixtures openai/chat-stream-*.sse). Tool calls stream as
 * id + name with empty arguments first, then argument fragments keyed by index
 * (fixture openai/chat-stream-tool-call-include-usage.sse). Errors use OpenAI's
 * `{error: {message, type, param, code}}`.
 *
 * No key is required: keyless OpenAI-dialect servers (Ollama, vLLM) share this protocol. The Azure
 * flavour (./azure.ts) reuses all of it with Azure's addressing and content-filter annotations.
 */
import type { ServerResponse } from "node:http";
import { type MockHandler, type MockRequest, scenarioOf } from "./types";

interface ChatBody {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages?: { role?: string; content?: string | { type?: string; text?: string }[] | null }[];
  tools?: { function?: { name?: string } }[];
  tool_choice?: unknown;
}

/** What differs between api.openai.com and Azure OpenAI; everything else is shared. */
export interface DialectFlavor {
  protocol: "openai" | "azure";
  /** The model the request addresses, or an error response already sent. */
  resolveModel(req: MockRequest, body: ChatBody, res: ServerResponse): string | undefined;
  /** Fields Azure adds: `prompt_filter_results` on the first chunk / body, per choice `content_filter_results`. */
  promptFilter?: Record<string, unknown>;
  choiceFilter?: Record<string, unknown>;
  /** The 429 body this flavour sends. */
  rateLimitMessage: string;
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}-mock${(++counter).toString().padStart(22, "0")}`;

function parseBody(text: string): ChatBody {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as ChatBody) : {};
  } catch {
    return {};
  }
}

export function sendError(
  res: ServerResponse,
  status: number,
  error: { message: string; type?: string | null; param?: string | null; code?: string | null },
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", "x-request-id": nextId("req"), ...headers });
  res.end(JSON.stringify({ error: { type: null, param: null, code: null, ...error } }));
}

function lastUserText(body: ChatBody): string {
  const last = [...(body.messages ?? [])].reverse().find((m) => m.role === "user");
  const content = last?.content;
  if (typeof content === "string") return content.slice(0, 40);
  return (content ?? [])
    .filter((p) => p.type === "text")
    .map((p) => p.text ?? "")
    .join(" ")
    .slice(0, 40);
}

type Answer = { kind: "tool"; name: string; arguments: string } | { kind: "text"; text: string };

/**
 * What a model asked for JSON often sends: prose, a fence, trailing commas (model ids with
 * `json-mess`; for the response-healing plugin's tests).
 */
export const MESSY_JSON =
  'Here is the JSON you asked for:\n```json\n{"city": "Paris", "sights": ["Louvre", "Orsay",],}\n```';

function plan(body: ChatBody, protocol: string, model: string): Answer {
  const tool = body.tools?.[0]?.function?.name;
  if (tool !== undefined && body.tool_choice !== "none")
    return {
      kind: "tool",
      name: tool,
      arguments: model.includes("bad-args") ? BROKEN_TOOL_ARGUMENTS : TOOL_ARGUMENTS,
    };
  if (model.includes("json-mess")) return { kind: "text", text: MESSY_JSON };
  return { kind: "text", text: `Hello from the ${protocol} mock. [${lastUserText(body)}]` };
}

const TOOL_ARGUMENTS = '{"location":"Paris"}';
/** A model id containing `bad-args` sends its call's arguments cut short: not JSON (Auto Exacto's tests). */
export const BROKEN_TOOL_ARGUMENTS = '{"location":"Par';

/** The arguments as OpenAI streams them: a few pieces, split mid-token. */
function fragments(args: string): string[] {
  return [args.slice(0, 2), args.slice(2, 10), args.slice(10, 13), args.slice(13)].filter((f) => f !== "");
}

/** A model id containing `cache-hit` reports half its prompt as read from the provider's cache. */
function usage(req: MockRequest, answer: Answer, model: string) {
  const prompt = Math.max(1, Math.ceil(req.bodyText.length / 4));
  const completion = answer.kind === "tool" ? 15 : answer.text.split(/\s+/).length;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: {
      cached_tokens: model.includes("cache-hit") ? Math.floor(prompt / 2) : 0,
      audio_tokens: 0,
    },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function sendCompletion(
  req: MockRequest,
  res: ServerResponse,
  body: ChatBody,
  model: string,
  f: DialectFlavor,
) {
  const answer = plan(body, f.protocol, model);
  const message =
    answer.kind === "tool"
      ? {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: nextId("call"),
              type: "function",
              function: { name: answer.name, arguments: answer.arguments },
            },
          ],
          refusal: null,
          annotations: [],
        }
      : { role: "assistant", content: answer.text, refusal: null, annotations: [] };
  res.writeHead(200, { "content-type": "application/json", "x-request-id": nextId("req") });
  res.end(
    JSON.stringify({
      id: nextId("chatcmpl"),
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      ...(f.promptFilter && {
        prompt_filter_results: [{ prompt_index: 0, content_filter_results: f.promptFilter }],
      }),
      choices: [
        {
          index: 0,
          message,
          logprobs: null,
          finish_reason: answer.kind === "tool" ? "tool_calls" : "stop",
          ...(f.choiceFilter && { content_filter_results: f.choiceFilter }),
        },
      ],
      usage: usage(req, answer, model),
      service_tier: "default",
      system_fingerprint: "fp_mock",
    }),
  );
}

/** The text in a few uneven pieces, as the API streams it. */
function pieces(text: string): string[] {
  const words = text.split(/(?<= )/);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += 2) out.push(words.slice(i, i + 2).join(""));
  return out;
}

async function sendStream(
  req: MockRequest,
  res: ServerResponse,
  body: ChatBody,
  model: string,
  f: DialectFlavor,
  cut: boolean,
  /** Milliseconds between content chunks (`drip`: a long answer at reading speed). */
  paceMs = 0,
): Promise<void> {
  const answer = plan(body, f.protocol, model);
  const includeUsage = body.stream_options?.include_usage === true;
  const id = nextId("chatcmpl");
  const created = Math.floor(Date.now() / 1000);
  const write = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    write({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      service_tier: "default",
      system_fingerprint: "fp_mock",
      choices: [
        {
          index: 0,
          delta,
          logprobs: null,
          finish_reason: finish,
          ...(f.choiceFilter && { content_filter_results: finish || delta.role ? {} : f.choiceFilter }),
        },
      ],
      ...(includeUsage && { usage: null }),
    });

  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-request-id": nextId("req"),
  });
  // Azure's first chunk: no choices, only the prompt's filter verdict
  // (fixture openai/azure-chat-stream-reasoning-usage.chunks.jsonl).
  if (f.promptFilter) {
    write({
      choices: [],
      created: 0,
      id: "",
      model: "",
      object: "",
      prompt_filter_results: [{ prompt_index: 0, content_filter_results: f.promptFilter }],
    });
  }
  if (answer.kind === "tool") {
    chunk(
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { index: 0, id: nextId("call"), type: "function", function: { name: answer.name, arguments: "" } },
        ],
        refusal: null,
      },
      null,
    );
    for (const fragment of fragments(answer.arguments))
      chunk({ tool_calls: [{ index: 0, function: { arguments: fragment } }] }, null);
  } else {
    chunk({ role: "assistant", content: "", refusal: null }, null);
    // A drip repeats the answer: long enough to leave in the middle of. A drip asked to
    // "pause <n>ms" goes silent that long after its first piece, as a model does mid-answer.
    const parts =
      paceMs > 0 ? Array.from({ length: 10 }, () => pieces(answer.text)).flat() : pieces(answer.text);
    const pauseMs = paceMs > 0 ? Number(/\bpause (\d+)ms\b/.exec(answer.text)?.[1] ?? 0) : 0;
    for (const [i, text] of parts.entries()) {
      if (paceMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, i === 1 && pauseMs > 0 ? pauseMs : paceMs));
        if (res.destroyed) return;
      }
      chunk({ content: text }, null);
      // `cut`: a little content, then the connection dies without a finish_reason or [DONE].
      if (cut && i === 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        res.destroy();
        return;
      }
    }
  }
  chunk({}, answer.kind === "tool" ? "tool_calls" : "stop");
  if (includeUsage) {
    write({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      service_tier: "default",
      system_fingerprint: "fp_mock",
      choices: [],
      usage: usage(req, answer, model),
    });
  }
  res.write("data: [DONE]\n\n");
  res.end();
}

/** The shared handler; `f` says how the flavour addresses models and what it adds. */
export function dialectMock(f: DialectFlavor): MockHandler {
  return async (req, res) => {
    const body = parseBody(req.bodyText);
    const model = f.resolveModel(req, body, res);
    if (model === undefined) return;
    // A key containing `refused` is refused as OpenAI refuses a wrong key: 401, the key quoted
    // back (partly) in the message — what BYOK's redaction and fallback are tested against.
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    if (bearer?.includes("refused")) {
      return sendError(res, 401, {
        message: `Incorrect API key provided: ${bearer}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: "invalid_request_error",
        code: "invalid_api_key",
      });
    }
    switch (scenarioOf(model)) {
      case "fail-500":
        return sendError(res, 500, {
          message: "The server had an error while processing your request. Sorry about that!",
          type: "server_error",
        });
      case "fail-429":
        return sendError(
          res,
          429,
          { message: f.rateLimitMessage, type: "requests", code: "rate_limit_exceeded" },
          { "retry-after": "0" },
        );
      case "fail-400":
        return sendError(res, 400, {
          message: "mock: this request is not valid",
          type: "invalid_request_error",
        });
      case "ctx-limit":
        return sendError(res, 400, {
          message:
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 250000 tokens. Please reduce the length of the messages.",
          type: "invalid_request_error",
          param: "messages",
          code: "context_length_exceeded",
        });
      case "cut":
        if (!body.stream) {
          res.destroy();
          return;
        }
        return sendStream(req, res, body, model, f, true);
      case "slow":
        await new Promise((resolve) => setTimeout(resolve, 3000));
        break;
      case "drip":
        if (body.stream) return sendStream(req, res, body, model, f, false, 200);
        break;
      case "ok":
        break;
    }
    if (body.stream) await sendStream(req, res, body, model, f, false);
    else sendCompletion(req, res, body, model, f);
  };
}

export const openaiMock: MockHandler = dialectMock({
  protocol: "openai",
  resolveModel(req, body, res) {
    if (req.method !== "POST" || !req.path.endsWith("/chat/completions")) {
      sendError(res, 404, {
        message: `Invalid URL (${req.method} ${req.path})`,
        type: "invalid_request_error",
      });
      return undefined;
    }
    if (!body.model) {
      sendError(res, 400, { message: "you must provide a model parameter", type: "invalid_request_error" });
      return undefined;
    }
    return body.model;
  },
  rateLimitMessage: "Rate limit reached for requests. Please try again in 0s.",
});
