import { describe, expect, it } from "vitest";
import { limitBody, MAX_BODY_BYTES, readJsonBody } from "../../../src/api/request-body";
import { GatewayError } from "../../../src/errors";

const MiB = 1024 * 1024;

/** A streamed body of `pieces` × `size` bytes that counts how many pieces were read (none ahead). */
function counted(pieces: number, size: number) {
  const state = { read: 0 };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.read >= pieces) return controller.close();
        state.read++;
        controller.enqueue(new Uint8Array(size).fill(0x20));
      },
    },
    { highWaterMark: 0 },
  );
  return { body, state };
}

function request(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request("http://gateway/api/v1/chat/completions", {
    method: "POST",
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
}

async function refusal(p: Promise<unknown>): Promise<{ status: number; type: string; message: string }> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  const { status, type, message } = error as GatewayError;
  return { status, type, message };
}

const TOO_LARGE = { status: 413, type: "payload_too_large", message: "Request body exceeds 16 MiB" };

describe("limitBody", () => {
  it("refuses a declared length over 16 MiB with 413, after reading the body to its end", async () => {
    const { body, state } = counted(3, 1024);
    const req = request(body, { "content-length": String(MAX_BODY_BYTES + 1) });
    expect(await refusal(limitBody(req))).toEqual(TOO_LARGE);
    expect(state.read).toBe(3);
  });

  it("refuses a content-length that is not a number", async () => {
    const req = request("{}", { "content-length": "lots" });
    expect(await refusal(limitBody(req))).toEqual(TOO_LARGE);
  });

  it("leaves a body with a declared length within the limit unread", async () => {
    const { body, state } = counted(1, 10);
    const req = request(body, { "content-length": "10" });
    expect(await limitBody(req)).toBeUndefined();
    expect(state.read).toBe(0);
    expect(req.bodyUsed).toBe(false);
  });

  it("reads a chunked body within the limit and returns its bytes", async () => {
    const { body } = counted(3, 5);
    const bytes = await limitBody(request(body));
    expect(bytes).toEqual(new Uint8Array(15).fill(0x20));
  });

  it("reads the body when a transfer-encoding comes with the length", async () => {
    const { body } = counted(2, 4);
    const req = request(body, { "content-length": "8", "transfer-encoding": "chunked" });
    expect(await limitBody(req)).toHaveLength(8);
  });

  it("cuts a chunked body off with 413 as soon as it passes 16 MiB", async () => {
    const { body, state } = counted(40, MiB);
    expect(await refusal(limitBody(request(body)))).toEqual(TOO_LARGE);
    expect(state.read).toBe(17);
  });

  it("has nothing to do without a body", async () => {
    expect(await limitBody(request(null))).toBeUndefined();
  });
});

describe("readJsonBody", () => {
  const json = { "content-type": "application/json" };

  it.each([
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON;charset=UTF-8",
    "application/vnd.api+json",
  ])("parses a body sent as %s", async (contentType) => {
    const req = request('{"model":"a/b"}', { "content-type": contentType });
    expect(await readJsonBody(req, undefined)).toEqual({ model: "a/b" });
  });

  it("parses the bytes limitBody read, without a byte-order mark", async () => {
    const bytes = new TextEncoder().encode('\uFEFF{"model":"a/b"}');
    expect(await readJsonBody(request(null, json), bytes)).toEqual({ model: "a/b" });
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "application/json ; charset=utf-8"])(
    "refuses %s with 415",
    async (contentType) => {
      const req = request("{}", { "content-type": contentType });
      expect(await refusal(readJsonBody(req, undefined))).toEqual({
        status: 415,
        type: "invalid_request",
        message: "Unsupported Media Type",
      });
    },
  );

  it("refuses a body without a content-type with 415, but reads no body as {}", async () => {
    expect((await refusal(readJsonBody(request("{}"), undefined))).status).toBe(415);
    expect((await refusal(readJsonBody(request(null), new Uint8Array([0x7b])))).status).toBe(415);
    expect(await readJsonBody(request(null), undefined)).toEqual({});
    expect(await readJsonBody(request(null), new Uint8Array(0))).toEqual({});
  });

  it.each([
    ["malformed", "{not json"],
    ["empty", ""],
  ])("refuses a %s JSON body with 400", async (_name, text) => {
    const expected = { status: 400, type: "invalid_request", message: "Malformed JSON in request body" };
    expect(await refusal(readJsonBody(request(text, json), undefined))).toEqual(expected);
    const bytes = new TextEncoder().encode(text);
    expect(await refusal(readJsonBody(request(null, json), bytes))).toEqual(expected);
  });
});
