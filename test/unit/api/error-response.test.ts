/**
 * The headers an error leaves with: Retry-After on every 429/503 of ours, an upstream's only if it
 * gave one; X-RateLimit-* only on the 429s of our own limiters (API.md b1).
 */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { errorResponse, gatewayErrorOf } from "../../../src/api/error-response";
import { GATEWAY_RETRY_AFTER_SECONDS, GatewayError } from "../../../src/errors";

async function headersOf(err: GatewayError): Promise<Headers> {
  const res = await new Hono().get("/", (c) => errorResponse(c, err)).request("/");
  expect(res.status).toBe(err.status);
  return res.headers;
}

/** What an adapter builds from a provider's answer (providers/http-errors.ts): it always carries `raw`. */
const upstream = (status: number, retryAfter?: number) =>
  new GatewayError(status, status === 429 ? "rate_limit_exceeded" : "provider_overloaded", "busy", {
    provider: "P",
    raw: '{"error":"busy"}',
    retryAfter,
  });

describe("errorResponse: Retry-After", () => {
  it.each<[string, GatewayError, string | null]>([
    [
      "our 503 without a hint (routing data unavailable) gets the gateway's default",
      new GatewayError(503, "server", "Routing data is unavailable, try again shortly"),
      String(GATEWAY_RETRY_AFTER_SECONDS),
    ],
    [
      "the final 503 when no provider could serve gets the default",
      new GatewayError(503, "provider_unavailable", "No provider could serve the request"),
      String(GATEWAY_RETRY_AFTER_SECONDS),
    ],
    [
      "our 503 with a hint keeps it",
      new GatewayError(503, "provider_unavailable", "P is not configured on this gateway", {
        provider: "P",
        retryAfter: 60,
      }),
      "60",
    ],
    [
      "our 429 with a fractional hint is rounded up",
      new GatewayError(429, "rate_limit_exceeded", "slow down", { retryAfter: 12.2 }),
      "13",
    ],
    ["an upstream 429 with a hint keeps it", upstream(429, 7), "7"],
    ["an upstream 429 without one gets none", upstream(429), null],
    ["an upstream 503 without one gets none", upstream(503), null],
    ["a 500 gets none", new GatewayError(500, "server", "Internal server error"), null],
    [
      "a 502 gets none, hint or not",
      new GatewayError(502, "provider_unavailable", "x", { retryAfter: 3 }),
      null,
    ],
  ])("%s", async (_name, err, expected) => {
    expect((await headersOf(err)).get("retry-after")).toBe(expected);
  });
});

describe("errorResponse: X-RateLimit-*", () => {
  const rateLimit = { limit: 20, remaining: 0, resetAt: 1_800_000_060_000 };

  it("a 429 of our own limiter reports the window, in headers and in metadata.headers", async () => {
    const err = new GatewayError(429, "rate_limit_exceeded", "Free model rate limit reached", {
      retryAfter: 42,
      rateLimit,
    });
    const res = await new Hono().get("/", (c) => errorResponse(c, err)).request("/");
    expect(Object.fromEntries(res.headers)).toMatchObject({
      "retry-after": "42",
      "x-ratelimit-limit": "20",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": "1800000060000",
    });
    expect(await res.json()).toMatchObject({
      error: {
        metadata: {
          headers: {
            "X-RateLimit-Limit": "20",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "1800000060000",
          },
        },
      },
    });
  });

  it("an upstream 429 reports none", async () => {
    expect((await headersOf(upstream(429, 7))).get("x-ratelimit-limit")).toBeNull();
  });
});

describe("gatewayErrorOf: a database that cannot be reached", () => {
  /** As drizzle throws them: its wrapper, with the driver's or the socket's error as the cause. */
  const wrapped = (code: string) =>
    Object.assign(new Error("Failed query: select … params: sk-secret"), {
      cause: Object.assign(new Error("connection failed"), { code }),
    });

  it.each(["CONNECTION_CLOSED", "CONNECT_TIMEOUT", "ECONNREFUSED", "08006", "57P03", "53300"])(
    "%s is a 503 the client may retry, not a 500",
    (code) => {
      const err = gatewayErrorOf(wrapped(code));
      expect(err.status).toBe(503);
      expect(err.message).toBe("The database is unavailable, try again shortly");
    },
  );

  it("a statement's own fault is still a 500, without its text", () => {
    const err = gatewayErrorOf(wrapped("42P01"));
    expect(err.status).toBe(500);
    expect(err.message).not.toContain("sk-secret");
  });
});
