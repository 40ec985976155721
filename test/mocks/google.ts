/**
 * Gemini API mock (contract in ./types.ts): `POST /v1beta/models/<model>:generateContent` answers
 * JSON, `:streamGenerateContent?alt=sse` an SSE body framed as generativelanguage.googleapis.com
 * frames it: `data: <json>` events separated by CRLF CRLF, `usageMetadata` (cumulative) on every
 * event, `finishReason` on the last only, one `responseId` throughout (fixtures
 * google/stream-text.sse, google/stream-function-call-thought-signature.sse). Errors use Google's
 * `{error: {code, message, status, details?}}` body; a request with neither `x-goog-api-key` nor a
 * Bearer token gets the 403 Google sends to unregistered callers.
 */
import type { ServerResponse } from "node:http";
import { type MockHandler, type MockRequest, scenarioOf } from "./types";

interface GeminiBody {
  contents?: { role?: string; parts?: { text?: string; functionResponse?: { response?: unknown } }[] }[];
  tools?: { functionDeclarations?: { name?: string }[] }[];
  toolConfig?: { functionCallingConfig?: { mode?: string; allowedFunctionNames?: string[] } };
}

let counter = 0;
const nextResponseId = () => `mockResp${(++counter).toString().padStart(15, "0")}`;

function parseBody(text: string): GeminiBody {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as GeminiBody) : {};
  } catch {
    return {};
  }
}

function sendError(
  res: ServerResponse,
  code: number,
  status: string,
  message: string,
  extra: { details?: unknown[]; headers?: Record<string, string> } = {},
): void {
  res.writeHead(code, { "content-type": "application/json; charset=UTF-8", ...extra.headers });
  res.end(
    JSON.stringify({ error: { code, message, status, ...(extra.details && { details: extra.details }) } }),
  );
}

/** The last user turn's text (its text parts, or failing that its function responses), first 40 characters. */
function lastUserText(body: GeminiBody): string {
  const last = [...(body.contents ?? [])].reverse().find((c) => c.role === "user");
  const parts = last?.parts ?? [];
  const texts = parts.filter((p) => p.text !== undefined).map((p) => p.text ?? "");
  const results = parts
    .filter((p) => p.functionResponse)
    .map((p) => JSON.stringify(p.functionResponse?.response));
  return (texts.length > 0 ? texts : results).join(" ").slice(0, 40);
}

/** What the model "says": one call of the first (or the only allowed) function unless calling is off. */
function plan(body: GeminiBody): { kind: "tool"; name: string } | { kind: "text"; text: string } {
  const calling = body.toolConfig?.functionCallingConfig;
  const name = calling?.allowedFunctionNames?.[0] ?? body.tools?.[0]?.functionDeclarations?.[0]?.name;
  if (name !== undefined && calling?.mode !== "NONE") return { kind: "tool", name };
  return { kind: "text", text: `Hello from the google mock. [${lastUserText(body)}]` };
}

function usage(req: MockRequest, candidates: number) {
  const prompt = Math.max(1, Math.ceil(req.bodyText.length / 4));
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: prompt }],
  };
}

const tokens = (text: string) => Math.max(1, text.split(/\s+/).length);

type Part = Record<string, unknown>;

function response(req: MockRequest, model: string, id: string, parts: Part[], done: boolean, out: number) {
  return {
    candidates: [{ content: { parts, role: "model" }, ...(done && { finishReason: "STOP" }), index: 0 }],
    usageMetadata: usage(req, out),
    modelVersion: model,
    responseId: id,
  };
}

const TOOL_ARGS = { location: "Paris" };

function sendGenerate(req: MockRequest, res: ServerResponse, body: GeminiBody, model: string): void {
  const answer = plan(body);
  const parts: Part[] =
    answer.kind === "tool"
      ? [{ functionCall: { name: answer.name, args: TOOL_ARGS } }]
      : [{ text: answer.text }];
  res.writeHead(200, { "content-type": "application/json; charset=UTF-8" });
  res.end(
    JSON.stringify(
      response(req, model, nextResponseId(), parts, true, answer.kind === "tool" ? 10 : tokens(answer.text)),
    ),
  );
}

/** The text in a few uneven pieces, as Gemini streams it. */
function pieces(text: string): string[] {
  const words = text.split(/(?<= )/);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += 3) out.push(words.slice(i, i + 3).join(""));
  return out;
}

function sendStream(
  req: MockRequest,
  res: ServerResponse,
  body: GeminiBody,
  model: string,
  cut: boolean,
): void {
  const answer = plan(body);
  const id = nextResponseId();
  res.writeHead(200, { "content-type": "text/event-stream", "x-content-type-options": "nosniff" });
  const write = (parts: Part[], done: boolean, out: number) =>
    res.write(`data: ${JSON.stringify(response(req, model, id, parts, done, out))}\r\n\r\n`);

  if (answer.kind === "tool") {
    // The whole call in the first event, then an empty text part carrying STOP (as Gemini 3 does).
    write([{ functionCall: { name: answer.name, args: TOOL_ARGS } }], false, 10);
    write([{ text: "" }], true, 10);
    res.end();
    return;
  }
  const parts = pieces(answer.text);
  let sent = "";
  for (const [i, text] of parts.entries()) {
    sent += text;
    write([{ text }], i === parts.length - 1, tokens(sent));
    // `cut`: a little content, then the connection dies without a finishReason.
    // The short wait lets the events reach the client first, as on a real dropped connection.
    if (cut && i === 1) {
      setTimeout(() => res.destroy(), 50);
      return;
    }
  }
  res.end();
}

export const googleMock: MockHandler = async (req, res) => {
  const route = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(req.path);
  if (req.method !== "POST" || !route) {
    return sendError(res, 404, "NOT_FOUND", `Method not found: ${req.method} ${req.path}`);
  }
  const authorization = req.headers.authorization;
  if (!req.headers["x-goog-api-key"] && !authorization?.startsWith("Bearer ")) {
    return sendError(
      res,
      403,
      "PERMISSION_DENIED",
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  }
  const model = route[1] ?? "";
  const stream = route[2] === "streamGenerateContent";
  const body = parseBody(req.bodyText);
  switch (scenarioOf(model)) {
    case "fail-500":
      return sendError(
        res,
        500,
        "INTERNAL",
        "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
      );
    case "fail-429":
      return sendError(
        res,
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan.",
        {
          details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "0s" }],
          headers: { "retry-after": "0" },
        },
      );
    case "fail-400":
      return sendError(res, 400, "INVALID_ARGUMENT", "mock: Request contains an invalid argument.");
    case "ctx-limit":
      return sendError(
        res,
        400,
        "INVALID_ARGUMENT",
        "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
      );
    case "cut":
      if (!stream) {
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
  if (stream) sendStream(req, res, body, model, false);
  else sendGenerate(req, res, body, model);
};
