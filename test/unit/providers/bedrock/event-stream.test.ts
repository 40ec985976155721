/**
 * The binary event-stream decoder against the recordings: each `.eventstream` must decode to
 * exactly the frames listed in its `.events.jsonl`, however the bytes are cut; corruption and
 * truncation must surface as retryable GatewayErrors.
 */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { crc32 } from "../../../../src/providers/bedrock/crc32";
import {
  decodeEventStream,
  type EventStreamFrame,
  eventStreamFrames,
} from "../../../../src/providers/bedrock/event-stream";
import type { RawEvent } from "../../../../src/providers/types";
import { chunked, fixtureBytes, fixtureText } from "../../../conformance/fixtures";
import { encodeFrame, eventFrame } from "../../../mocks/bedrock";

const RECORDINGS = ["converse-stream-text", "converse-stream-tool-use", "converse-stream-thinking"];

async function collect<T>(stream: ReadableStream<T>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
    return { items, error: undefined };
  } catch (error) {
    return { items, error };
  }
}

function expected(name: string): { headers: Record<string, string>; payload: unknown }[] {
  return fixtureText(`bedrock/${name}.events.jsonl`)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

const asJson = (frame: EventStreamFrame) => ({
  headers: frame.headers,
  payload: JSON.parse(new TextDecoder().decode(frame.payload)),
});

describe("eventStreamFrames", () => {
  describe.each(RECORDINGS)("%s", (name) => {
    it.each([0, 1, 5, 12, 13, 100, 4096])(
      "matches the .events.jsonl when cut every %i bytes",
      async (size) => {
        const { items, error } = await collect(
          eventStreamFrames(chunked(fixtureBytes(`bedrock/${name}.eventstream`), size)),
        );
        expect(error).toBeUndefined();
        expect(items.map(asJson)).toEqual(expected(name));
      },
    );

    it("emits RawEvents named by :event-type with the JSON payload as text", async () => {
      const { items } = await collect(
        decodeEventStream(chunked(fixtureBytes(`bedrock/${name}.eventstream`), 0)),
      );
      expect(items.map((e: RawEvent) => ({ event: e.event, payload: JSON.parse(e.data) }))).toEqual(
        expected(name).map((f) => ({ event: f.headers[":event-type"], payload: f.payload })),
      );
    });
  });

  it("decodes several frames arriving in one chunk together with half of the next", async () => {
    const a = eventFrame("messageStart", { role: "assistant" });
    const b = eventFrame("messageStop", { stopReason: "end_turn" });
    const c = eventFrame("metadata", { usage: { inputTokens: 1, outputTokens: 2 } });
    const all = new Uint8Array([...a, ...b, ...c]);
    const split = a.length + b.length + 7;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(all.slice(0, split));
        controller.enqueue(all.slice(split));
        controller.close();
      },
    });
    const { items, error } = await collect(decodeEventStream(body));
    expect(error).toBeUndefined();
    expect(items.map((e) => e.event)).toEqual(["messageStart", "messageStop", "metadata"]);
  });

  it("skips every header value type correctly and keeps the string ones", async () => {
    // name, type tag, value bytes for each non-string type, then a string header after them.
    const enc = new TextEncoder();
    const header = (name: string, type: number, value: number[]) => [
      name.length,
      ...enc.encode(name),
      type,
      ...value,
    ];
    const headerBytes = new Uint8Array([
      ...header("t", 0, []),
      ...header("f", 1, []),
      ...header("b", 2, [0x7f]),
      ...header("s", 3, [0x01, 0x02]),
      ...header("i", 4, [0, 0, 0, 42]),
      ...header("l", 5, [0, 0, 0, 0, 0, 0, 0, 7]),
      ...header("x", 6, [0, 3, 1, 2, 3]),
      ...header("d", 8, [0, 0, 1, 0x8b, 0xcf, 0xe5, 0x68, 0x00]),
      ...header(
        "u",
        9,
        Array.from({ length: 16 }, (_, k) => k),
      ),
      ...header(":event-type", 7, [0, 12, ...enc.encode("messageStart")]),
    ]);
    const payload = enc.encode('{"role":"assistant"}');
    const total = 12 + headerBytes.length + payload.length + 4;
    const frame = new Uint8Array(total);
    const view = new DataView(frame.buffer);
    view.setUint32(0, total);
    view.setUint32(4, headerBytes.length);
    view.setUint32(8, crc32(frame, 0, 8));
    frame.set(headerBytes, 12);
    frame.set(payload, 12 + headerBytes.length);
    view.setUint32(total - 4, crc32(frame, 0, total - 4));

    const { items, error } = await collect(eventStreamFrames(chunked(frame, 3)));
    expect(error).toBeUndefined();
    const headers = items[0]?.headers ?? {};
    expect(headers).toMatchObject({
      t: true,
      f: false,
      b: 127,
      s: 258,
      i: 42,
      l: 7n,
      ":event-type": "messageStart",
    });
    expect(headers.x).toEqual(new Uint8Array([1, 2, 3]));
    expect(headers.d).toBeInstanceOf(Date);
    expect((headers.u as Uint8Array).length).toBe(16);
  });

  it("computes the standard CRC-32", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });
});

describe("corruption", () => {
  const original = fixtureBytes("bedrock/converse-stream-text.eventstream");
  const firstTotal = new DataView(original.buffer, original.byteOffset).getUint32(0);

  async function expectCorrupt(bytes: Uint8Array, size: number, detail: RegExp) {
    const { error } = await collect(decodeEventStream(chunked(bytes, size)));
    expect(error).toBeInstanceOf(GatewayError);
    const err = error as GatewayError;
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(502);
    expect(err.message).toMatch(detail);
  }

  it.each([0, 1, 13])("a flipped payload byte is a message CRC error (cut every %i bytes)", async (size) => {
    const bytes = original.slice();
    bytes[firstTotal + 100] = (bytes[firstTotal + 100] ?? 0) ^ 0x01;
    await expectCorrupt(bytes, size, /message CRC/);
  });

  it.each([0, 1, 13])(
    "a flipped length byte is a prelude CRC error, not a wait (cut every %i bytes)",
    async (size) => {
      const bytes = original.slice();
      bytes[firstTotal + 1] = (bytes[firstTotal + 1] ?? 0) ^ 0x40; // the second frame now claims ~4 MB
      await expectCorrupt(bytes, size, /prelude CRC/);
    },
  );

  it("a flipped CRC byte is caught", async () => {
    const bytes = original.slice();
    bytes[firstTotal - 1] = (bytes[firstTotal - 1] ?? 0) ^ 0xff;
    await expectCorrupt(bytes, 7, /message CRC/);
  });

  it("a body cut inside a frame is an error at the end, not a silent stop", async () => {
    await expectCorrupt(original.slice(0, original.length - 5), 64, /ended inside a frame/);
  });

  it("a frame claiming impossible lengths is rejected even with a valid prelude CRC", async () => {
    const frame = encodeFrame({ ":event-type": "x" }, "{}");
    const view = new DataView(frame.buffer);
    view.setUint32(4, 1_000_000); // headers longer than the frame
    view.setUint32(8, crc32(frame, 0, 8));
    await expectCorrupt(frame, 0, /impossible frame lengths/);
  });
});
