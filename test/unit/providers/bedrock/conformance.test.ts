/**
 * The shared adapter contract over every real Bedrock recording in ../shared/fixtures/bedrock/.
 * The `.eventstream` files are the binary ConverseStream bodies: the suite runs them through
 * `decodeStream` cut at odd byte offsets.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bedrockAdapter } from "../../../../src/providers/bedrock";
import type { ChatRequest } from "../../../../src/schema/chat-request";
import {
  type CompletionFixture,
  type ErrorFixture,
  runAdapterSuite,
  type StreamFixture,
} from "../../../conformance/adapter-suite";
import { FIXTURES_DIR, fixtureBytes, fixtureHttp, fixtureJson } from "../../../conformance/fixtures";
import { bedrockTarget } from "./target";

const request: ChatRequest = {
  model: "anthropic/claude-sonnet-4",
  messages: [{ role: "user", content: "Hello" }],
};

const streams: StreamFixture[] = [
  {
    name: "converse-stream-text",
    body: fixtureBytes("bedrock/converse-stream-text.eventstream"),
    expect: { finishReason: "stop", text: true },
  },
  {
    name: "converse-stream-tool-use",
    body: fixtureBytes("bedrock/converse-stream-tool-use.eventstream"),
    expect: { finishReason: "tool_calls", toolCalls: 1, text: true },
  },
  {
    name: "converse-stream-thinking",
    body: fixtureBytes("bedrock/converse-stream-thinking.eventstream"),
    expect: { finishReason: "stop", reasoning: true, text: true },
  },
];

const completions: CompletionFixture[] = ["converse-text", "converse-cache-read", "converse-cache-write"].map(
  (name) => ({
    name,
    body: fixtureJson(`bedrock/${name}.json`),
    expect: { finishReason: "stop", text: true },
  }),
);

const errors: ErrorFixture[] = [
  {
    name: "error-400-invalid-model",
    ...fixtureHttp("bedrock/error-400-invalid-model.http.json"),
    retryable: false,
    type: "invalid_request",
  },
];

/** Every file the suite (or the decoder test) reads, to prove none in the folder is left out. */
const REFERENCED = [
  "converse-stream-text.eventstream",
  "converse-stream-tool-use.eventstream",
  "converse-stream-thinking.eventstream",
  "converse-stream-text.events.jsonl",
  "converse-stream-tool-use.events.jsonl",
  "converse-stream-thinking.events.jsonl",
  "converse-text.json",
  "converse-cache-read.json",
  "converse-cache-write.json",
  "error-400-invalid-model.http.json",
];

runAdapterSuite(bedrockAdapter, { target: bedrockTarget(), request, streams, completions, errors });

describe("bedrock fixtures", () => {
  it("references every recording in the folder", () => {
    const files = readdirSync(`${FIXTURES_DIR}bedrock`).sort();
    expect(files).toEqual([...REFERENCED].sort());
    for (const s of streams) expect(REFERENCED).toContain(`${s.name}.eventstream`);
    for (const c of completions) expect(REFERENCED).toContain(`${c.name}.json`);
  });
});
