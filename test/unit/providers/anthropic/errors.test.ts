import { describe, expect, it } from "vitest";
import { anthropicAdapter } from "../../../../src/providers/anthropic";
import { fixtureHttp } from "../../../conformance/fixtures";
import { DIR, target } from "./helpers";

const body = (type: string, message: string) =>
  JSON.stringify({ type: "error", error: { type, message }, request_id: "req_1" });
const map = (status: number, text: string, headers: Record<string, string> = {}) =>
  anthropicAdapter.toGatewayError(status, text, new Headers(headers), target());

describe("toGatewayError", () => {
  it("keeps 529 overloaded retryable, with Anthropic's message and code", () => {
    const rec = fixtureHttp(`${DIR}error-529-overloaded.http.json`);
    const err = anthropicAdapter.toGatewayError(rec.status, rec.bodyText, rec.headers, target());
    expect(err).toMatchObject({
      status: 529,
      type: "provider_overloaded",
      retryable: true,
      message: "Overloaded",
    });
    expect(err.meta).toMatchObject({ provider: "Anthropic", providerCode: "overloaded_error" });
  });

  it("reads Retry-After and honours x-should-retry (error-429.headers.json)", () => {
    const rec = fixtureHttp(`${DIR}error-429.headers.json`);
    const err = anthropicAdapter.toGatewayError(429, "", rec.headers, target());
    expect(err).toMatchObject({ status: 429, type: "rate_limit_exceeded", retryable: true });
    expect(err.meta.retryAfter).toBe(16);
    expect(map(500, body("api_error", "boom"), { "x-should-retry": "false" }).retryable).toBe(false);
    expect(map(409, body("invalid_request_error", "conflict"), { "x-should-retry": "true" }).retryable).toBe(
      true,
    );
  });

  it.each([
    "prompt is too long: 215000 tokens > 200000 maximum",
    "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or `max_tokens` and try again",
  ])("maps %j to a non-retryable context_length_exceeded", (message) => {
    expect(map(400, body("invalid_request_error", message))).toMatchObject({
      status: 400,
      type: "context_length_exceeded",
      retryable: false,
      message,
    });
  });

  it("lets an exhausted provider account fall back to another provider", () => {
    const err = map(
      400,
      body("invalid_request_error", "Your credit balance is too low to access the Anthropic API."),
    );
    expect(err).toMatchObject({ type: "payment_required", retryable: true });
  });

  it.each([
    [413, "request_too_large", "payload_too_large", false],
    [500, "api_error", "server", true],
  ] as const)("maps %i %s to %s", (status, code, type, retryable) => {
    expect(map(status, body(code, "x"))).toMatchObject({ status, type, retryable });
  });

  it.each([
    [401, "authentication_error"],
    [403, "permission_error"],
  ] as const)(
    "%i %s: the gateway's credentials were refused, a retryable 502 keeping the code",
    (status, code) => {
      expect(map(status, body(code, "x"))).toMatchObject({
        status: 502,
        type: "provider_unavailable",
        retryable: true,
        meta: { providerCode: code },
      });
    },
  );

  it("copes with a body that is not Anthropic's, and redacts the key", () => {
    const key = target().apiKey ?? "";
    const err = map(502, `<html>bad gateway for ${key}</html>`);
    expect(err).toMatchObject({ status: 502, type: "provider_unavailable", retryable: true });
    expect(err.message).toBe("Provider returned error (502)");
    expect(err.meta.raw).not.toContain(key);
  });
});
