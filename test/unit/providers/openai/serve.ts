/** Serves a mock handler on a loopback port, and calls it through an adapter as the gateway would. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ProviderAdapter, ProviderChunk, Target } from "../../../../src/providers/types";
import { type ChatRequest, chatRequestSchema } from "../../../../src/schema/chat-request";
import { readChunks } from "../../../conformance/adapter-suite";
import type { MockHandler } from "../../../mocks/types";

export async function serve(handler: MockHandler): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let bodyText = "";
    req.setEncoding("utf8");
    req.on("data", (part: string) => {
      bodyText += part;
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://mock");
      void handler(
        {
          method: req.method ?? "GET",
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          bodyText,
        },
        res,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Called {
  req: ChatRequest;
  res: Response;
  chunks: ProviderChunk[];
  error: unknown;
}

/** One request through `adapter` to the mock; a stream is decoded and translated to the end. */
export async function callThrough(
  adapter: ProviderAdapter,
  target: Target,
  fields: Record<string, unknown>,
  stream: boolean,
): Promise<Called> {
  const req = chatRequestSchema.parse({
    model: "test/model",
    messages: [{ role: "user", content: "Hi there" }],
    ...fields,
  });
  const up = await adapter.toProviderRequest(req, target, { stream });
  const res = await fetch(up.url, { method: "POST", headers: up.headers, body: up.body });
  const chunks: ProviderChunk[] = [];
  let error: unknown;
  if (stream && res.ok) {
    const read = await readChunks(res.body ?? new ReadableStream(), adapter, { request: req, target });
    chunks.push(...read.chunks);
    error = read.error;
  }
  return { req, res, chunks, error };
}
