/**
 * One loopback HTTP server hosting every mock provider under its protocol's prefix, and
 * remembering every request it received so tests can check what a provider actually got:
 * `GET /__requests?model=<substring>` lists them, newest last.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { anthropicMock } from "./anthropic";
import { azureMock } from "./azure";
import { bedrockMock } from "./bedrock";
import { googleMock } from "./google";
import { openaiMock } from "./openai";
import { replayMock } from "./replay";
import type { MockHandler, MockRequest } from "./types";

const HANDLERS: Record<string, MockHandler> = {
  openai: openaiMock,
  anthropic: anthropicMock,
  google: googleMock,
  bedrock: bedrockMock,
  azure: azureMock,
  replay: replayMock,
};

export interface RecordedRequest extends MockRequest {
  protocol: string;
  /** When the request arrived (ms since the epoch). */
  receivedAt: number;
  /** When the gateway hung up before the response was complete (aborted upstream), if it did. */
  abortedAt?: number;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startMockProviders(
  port = 0,
): Promise<{ url: string; server: Server; requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://mock");
      if (url.pathname === "/__requests") {
        if (req.method === "DELETE") requests.length = 0;
        const filter = url.searchParams.get("model");
        const list = filter
          ? requests.filter((r) => r.bodyText.includes(filter) || r.path.includes(filter))
          : requests;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(list));
        return;
      }
      const [, protocol = "", ...rest] = url.pathname.split("/");
      const handler = HANDLERS[protocol];
      if (!handler) {
        res
          .writeHead(404, { "content-type": "application/json" })
          .end('{"error":{"message":"no such mock"}}');
        return;
      }
      const mockReq: MockRequest = {
        method: req.method ?? "GET",
        path: `/${rest.join("/")}`,
        query: url.searchParams,
        headers: req.headers,
        bodyText: await readBody(req),
      };
      const recorded: RecordedRequest = { ...mockReq, protocol, receivedAt: Date.now() };
      requests.push(recorded);
      res.once("close", () => {
        if (!res.writableFinished) recorded.abortedAt = Date.now();
      });
      if (requests.length > 2000) requests.splice(0, requests.length - 2000);
      await handler(mockReq, res);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `mock failed: ${String(error)}` } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${bound}`, server, requests };
}
