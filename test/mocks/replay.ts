/**
 * Replays a REAL recorded OpenAI-dialect response (../shared/fixtures) as the provider's answer:
 * the upstream model id names the fixture (`groq/stream-tool-call.chunks.jsonl`), so a catalog
 * endpoint can put any recording behind the whole gateway. `.sse` files are sent byte for byte;
 * `.chunks.jsonl` are framed as `data:` events plus `data: [DONE]`; `.json` as a JSON body.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { MockHandler } from "./types";

const FIXTURES = fileURLToPath(new URL("../../../shared/fixtures/", import.meta.url));

export const replayMock: MockHandler = (req, res) => {
  const { model } = JSON.parse(req.bodyText) as { model: string };
  if (!/^[a-z]+\/[a-z0-9.-]+$/.test(model)) {
    res
      .writeHead(400, { "content-type": "application/json" })
      .end('{"error":{"message":"bad fixture name"}}');
    return;
  }
  const bytes = readFileSync(FIXTURES + model);
  if (model.endsWith(".json")) {
    res.writeHead(200, { "content-type": "application/json" }).end(bytes);
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  if (model.endsWith(".sse")) {
    res.end(bytes);
    return;
  }
  const lines = bytes
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  res.end(`${lines.map((l) => `data: ${l}\n\n`).join("")}data: [DONE]\n\n`);
};
