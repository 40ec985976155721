/** Error bodies beyond the recordings: other vendors' shapes, text and HTML pages, wait hints. */
import { describe, expect, it } from "vitest";
import { openaiAdapter } from "../../../../src/providers/openai";
import { fixtureHttp } from "../../../conformance/fixtures";
import { vendorTarget } from "./targets";

const target = vendorTarget("openai");
const map = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  openaiAdapter.toGatewayError(
    status,
    typeof body === "string" ? body : JSON.stringify(body),
    new Headers(headers),
    target,
  );

describe("openai toGatewayError", () => {
  it.each([
    [
      "OpenAI context_length_exceeded",
      400,
      {
        error: {
          message:
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
          type: "invalid_request_error",
          param: "messages",
          code: "context_length_exceeded",
        },
      },
      {
        type: "context_length_exceeded",
        retryable: false,
        meta: { providerCode: "context_length_exceeded" },
      },
    ],
    [
      "context length told only in words (vLLM top-level shape)",
      400,
      {
        object: "error",
        message: "This model's maximum context length is 4096 tokens.",
        type: "BadRequestError",
        code: 400,
      },
      { type: "context_length_exceeded", retryable: false },
    ],
    [
      "Mistral 422 with a detail object",
      422,
      {
        object: "error",
        message: { detail: [{ type: "extra_forbidden", loc: ["body", "foo"] }] },
        type: "invalid_request_error",
      },
      { type: "unprocessable", retryable: false },
    ],
    [
      "FastAPI detail",
      400,
      { detail: "Invalid model" },
      { type: "invalid_request", message: "Invalid model" },
    ],
    [
      "bare error string",
      401,
      { error: "Invalid API key" },
      // The gateway's key, not the client's: a retryable 502 (src/providers/http-errors.ts).
      {
        status: 502,
        type: "provider_unavailable",
        retryable: true,
        message: "OpenAI refused this gateway's credentials (401): Invalid API key",
      },
    ],
    [
      "insufficient_quota",
      429,
      {
        error: {
          message: "You exceeded your current quota",
          type: "insufficient_quota",
          code: "insufficient_quota",
        },
      },
      { type: "payment_required", retryable: true },
    ],
    [
      "Azure content filter",
      400,
      { error: { message: "The response was filtered", code: "content_filter", status: 400 } },
      { type: "content_policy_violation", retryable: false },
    ],
    [
      "plain text 502",
      502,
      "Bad Gateway",
      { type: "provider_unavailable", retryable: true, message: "Bad Gateway" },
    ],
    [
      "HTML 503 page",
      503,
      "<html><head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>",
      { type: "provider_overloaded", retryable: true, message: "503 Service Temporarily Unavailable" },
    ],
    [
      "empty 500",
      500,
      "",
      { type: "provider_unavailable", retryable: true, message: "Provider returned error (500)" },
    ],
  ])("%s", (_name, status, body, expected) => {
    expect(map(status, body)).toMatchObject({ status, ...expected });
  });

  it("reads Retry-After from the header, or from OpenAI's 'try again in' wording", () => {
    expect(map(429, { error: { message: "slow down" } }, { "retry-after": "7" }).meta.retryAfter).toBe(7);
    expect(map(429, { error: { message: "Please try again in 1.5s." } }).meta.retryAfter).toBe(1.5);
    expect(map(429, { error: { message: "Please retry after 8 seconds." } }).meta.retryAfter).toBe(8);
  });

  it("shows OpenRouter's upstream detail from metadata.raw", () => {
    const rec = fixtureHttp("openrouter/error-429-upstream-rate-limited.http.json");
    const err = openaiAdapter.toGatewayError(rec.status, rec.bodyText, rec.headers, target);
    expect(err.message).toContain("temporarily rate-limited upstream");
    expect(err.meta.provider).toBe("OpenAI");
  });

  it("a 403 for the content (OpenRouter's moderation flag) stays the client's 403, without fallback", () => {
    const err = map(403, {
      error: {
        code: 403,
        message: "Input was flagged",
        metadata: { error_type: "content_policy_violation", reasons: ["harassment"] },
      },
    });
    expect(err).toMatchObject({ status: 403, type: "content_policy_violation" });
    expect(err.retryable).toBe(false);
  });

  it("never lets the key through raw when the 4,000-character cut falls inside it", () => {
    const apiKey = target.apiKey ?? "";
    // The key starts 10 characters before the cut: what is left of it is too short to look like a key.
    const head = JSON.stringify({ error: { message: "bad key" }, echo: "" }).length - 2;
    const err = map(401, { error: { message: "bad key" }, echo: `${"x".repeat(3_990 - head)}${apiKey}` });
    expect(err.meta.raw?.length).toBeLessThanOrEqual(4_000);
    expect(err.meta.raw).not.toContain(apiKey.slice(0, 8));
  });

  it("never lets the key through into message or raw", () => {
    const body = { error: { message: `Incorrect API key provided: ${target.apiKey}` } };
    const err = map(401, body);
    expect(err.message).not.toContain(target.apiKey);
    expect(err.meta.raw).not.toContain(target.apiKey);
  });
});

describe("openai 429 wait hints without Retry-After", () => {
  const ratelimit = fixtureHttp("openai/success-ratelimit.headers.json").headers;

  it("falls back to the x-ratelimit-reset-* durations (fixture openai/success-ratelimit.headers.json)", () => {
    // The recording is of a success; the same headers on a 429 say when budgets refill (12ms, 9ms).
    expect(openaiAdapter.toGatewayError(429, "", ratelimit, target).meta.retryAfter).toBe(0.012);
  });

  it("prefers the budget that ran out", () => {
    const headers = new Headers(ratelimit);
    headers.set("x-ratelimit-remaining-tokens", "0");
    headers.set("x-ratelimit-reset-tokens", "6m0s");
    headers.set("x-ratelimit-reset-requests", "1s");
    expect(openaiAdapter.toGatewayError(429, "", headers, target).meta.retryAfter).toBe(360);
  });

  it("ignores reset durations on errors other than 429", () => {
    expect(openaiAdapter.toGatewayError(500, "", ratelimit, target).meta.retryAfter).toBeUndefined();
  });
});
