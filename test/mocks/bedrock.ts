/**
 * Bedrock Converse mock (contract in ./types.ts): `/model/<id>/converse` answers JSON and
 * `/model/<id>/converse-stream` answers real binary `application/vnd.amazon.eventstream` frames
 * with correct CRCs, framed as ConverseStream frames them (fixtures bedrock/converse-stream-*).
 * Signatures are not verified, but a request without `authorization` gets the 403 Bedrock sends.
 */
import type { ServerResponse } from "node:http";
import { crc32 } from "../../src/providers/bedrock/crc32";
import { type MockHandler, scenarioOf } from "./types";

const utf8 = new TextEncoder();

/** One event-stream frame with string (type 7) headers. */
export function encodeFrame(headers: Record<string, string>, payload: string | Uint8Array): Uint8Array {
  const body = typeof payload === "string" ? utf8.encode(payload) : payload;
  const headerParts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = utf8.encode(name);
    const v = utf8.encode(value);
    const part = new Uint8Array(1 + n.length + 1 + 2 + v.length);
    const view = new DataView(part.buffer);
    part[0] = n.length;
    part.set(n, 1);
    part[1 + n.length] = 7;
    view.setUint16(2 + n.length, v.length);
    part.set(v, 4 + n.length);
    headerParts.push(part);
  }
  const headersLength = headerParts.reduce((sum, p) => sum + p.length, 0);
  const total = 12 + headersLength + body.length + 4;
  const frame = new Uint8Array(total);
  const view = new DataView(frame.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headersLength);
  view.setUint32(8, crc32(frame, 0, 8));
  let at = 12;
  for (const part of headerParts) {
    frame.set(part, at);
    at += part.length;
  }
  frame.set(body, at);
  view.setUint32(total - 4, crc32(frame, 0, total - 4));
  return frame;
}

export function eventFrame(eventType: string, payload: unknown): Uint8Array {
  return encodeFrame(
    { ":event-type": eventType, ":content-type": "application/json", ":message-type": "event" },
    JSON.stringify(payload),
  );
}

/** An in-band exception, e.g. `throttlingException`, as ConverseStream sends it mid-stream. */
export function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return encodeFrame(
    { ":exception-type": exceptionType, ":content-type": "application/json", ":message-type": "exception" },
    JSON.stringify({ message }),
  );
}

function sendError(res: ServerResponse, status: number, name: string, message: string, extra = {}): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "x-amzn-errortype": `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    "x-amzn-requestid": "mock-request-id",
    ...extra,
  });
  res.end(JSON.stringify({ message }));
}

interface ConverseBody {
  messages?: { role?: string; content?: { text?: string }[] }[];
  toolConfig?: { tools?: { toolSpec?: { name?: string } }[] };
}

function parseBody(text: string): ConverseBody {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as ConverseBody) : {};
  } catch {
    return {};
  }
}

function lastUserText(body: ConverseBody): string {
  const user = [...(body.messages ?? [])].reverse().find((m) => m.role === "user");
  return (user?.content ?? []).map((b) => b.text ?? "").join("");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Splits text into a few pieces, the way ConverseStream delivers a few tokens per delta. */
function pieces(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 12) out.push(text.slice(i, i + 12));
  return out;
}

export const bedrockMock: MockHandler = async (req, res) => {
  const match = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(req.path);
  if (req.method !== "POST" || !match?.[1]) {
    sendError(res, 404, "UnknownOperationException", `No route for ${req.method} ${req.path}`);
    return;
  }
  if (!req.headers.authorization) {
    sendError(res, 403, "AccessDeniedException", "Missing Authentication Token");
    return;
  }
  const modelId = decodeURIComponent(match[1]);
  const stream = match[2] === "converse-stream";
  const body = parseBody(req.bodyText);

  switch (scenarioOf(modelId)) {
    case "fail-500":
      sendError(res, 500, "InternalServerException", "The server encountered an internal error.");
      return;
    case "fail-429":
      sendError(res, 429, "ThrottlingException", "Too many requests, please wait before trying again.", {
        "retry-after": "0",
      });
      return;
    case "fail-400":
      sendError(res, 400, "ValidationException", "Malformed input request, please reformat your input.");
      return;
    case "ctx-limit":
      sendError(res, 400, "ValidationException", "Input is too long for requested model.");
      return;
    case "slow":
      await sleep(3000);
      break;
    default:
      break;
  }

  const toolName = body.toolConfig?.tools?.[0]?.toolSpec?.name;
  const text = `Hello from the bedrock mock. [${lastUserText(body).slice(0, 40)}]`;
  const input = '{"location":"Paris"}';
  const usage = { inputTokens: Math.ceil(req.bodyText.length / 4), outputTokens: toolName ? 12 : 9 };
  const usageOut = { ...usage, totalTokens: usage.inputTokens + usage.outputTokens };
  const stopReason = toolName ? "tool_use" : "end_turn";
  const toolUseId = "tooluse_mock0123456789";

  if (!stream) {
    const content = toolName
      ? [{ toolUse: { toolUseId, name: toolName, input: JSON.parse(input) } }]
      : [{ text }];
    res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": "mock-request-id" });
    res.end(
      JSON.stringify({ output: { message: { role: "assistant", content } }, stopReason, usage: usageOut }),
    );
    return;
  }

  res.writeHead(200, {
    "content-type": "application/vnd.amazon.eventstream",
    "x-amzn-requestid": "mock-request-id",
  });
  const write = (frame: Uint8Array) => res.write(frame);
  write(eventFrame("messageStart", { role: "assistant" }));
  if (toolName) {
    write(
      eventFrame("contentBlockStart", {
        contentBlockIndex: 0,
        start: { toolUse: { toolUseId, name: toolName } },
      }),
    );
    for (const piece of [input.slice(0, 8), input.slice(8)]) {
      write(eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { toolUse: { input: piece } } }));
    }
  } else {
    const parts = pieces(text);
    for (const [i, piece] of parts.entries()) {
      write(eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: piece } }));
      if (scenarioOf(modelId) === "cut" && i === 1) {
        await sleep(20); // let the frames leave before the socket dies mid-message
        res.destroy();
        return;
      }
    }
  }
  write(eventFrame("contentBlockStop", { contentBlockIndex: 0 }));
  write(eventFrame("messageStop", { stopReason }));
  write(eventFrame("metadata", { usage: usageOut, metrics: { latencyMs: 42 } }));
  res.end();
};
