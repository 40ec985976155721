/** HTTP error answers: the exception name from `x-amzn-errortype`, then the status, then the message. */
import { describe, expect, it } from "vitest";
import { bedrockAdapter } from "../../../../src/providers/bedrock";
import { fixtureHttp } from "../../../conformance/fixtures";
import { bedrockTarget } from "./target";

const target = bedrockTarget();
const errortype = (name: string) =>
  new Headers({ "x-amzn-errortype": `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/` });

describe("bedrock toGatewayError", () => {
  it.each([
    [
      429,
      "ThrottlingException",
      "Too many requests, please wait before trying again.",
      "rate_limit_exceeded",
      true,
    ],
    [
      503,
      "ServiceUnavailableException",
      "Bedrock is unable to process your request.",
      "provider_overloaded",
      true,
    ],
    [500, "InternalServerException", "The server encountered an internal error.", "server", true],
    [408, "ModelTimeoutException", "Model has timed out in processing the request.", "timeout", true],
    [424, "ModelErrorException", "The model returned an error.", "provider_unavailable", true],
    [
      429,
      "ModelNotReadyException",
      "Model is not ready to serve inference requests.",
      "provider_overloaded",
      true,
    ],

    [404, "ResourceNotFoundException", "Model not found.", "not_found", false],
    [
      400,
      "ValidationException",
      "Malformed input request: #: extraneous key [foo] is not permitted",
      "invalid_request",
      false,
    ],
    [400, "ValidationException", "Input is too long for requested model.", "context_length_exceeded", false],
    [
      400,
      "ValidationException",
      "prompt is too long: 210000 tokens > 200000 maximum",
      "context_length_exceeded",
      false,
    ],
    [
      400,
      "ValidationException",
      "Too many input tokens. Max input tokens: 8192",
      "context_length_exceeded",
      false,
    ],
  ] as const)("%i %s → %s", (status, name, message, type, retryable) => {
    const err = bedrockAdapter.toGatewayError(status, JSON.stringify({ message }), errortype(name), target);
    expect({
      type: err.type,
      retryable: err.retryable,
      message: err.message,
      code: err.meta.providerCode,
    }).toEqual({
      type,
      retryable,
      message,
      code: name,
    });
    expect(err.status).toBe(status);
    expect(err.meta.provider).toBe("Amazon Bedrock");
  });

  it.each([
    ["AccessDeniedException", "You don't have access to the model with the specified model ID."],
    ["UnrecognizedClientException", "The security token included in the request is invalid."],
  ])(
    "403 %s: the gateway's credentials were refused, a retryable 502 keeping the exception",
    (name, message) => {
      const err = bedrockAdapter.toGatewayError(403, JSON.stringify({ message }), errortype(name), target);
      expect(err).toMatchObject({ status: 502, type: "provider_unavailable", meta: { providerCode: name } });
      expect(err.retryable).toBe(true);
      expect(err.message).toBe(`Amazon Bedrock refused this gateway's credentials (403): ${message}`);
    },
  );

  it("maps the recorded invalid-model 400 (no errortype header kept) by status", () => {
    const rec = fixtureHttp("bedrock/error-400-invalid-model.http.json");
    const err = bedrockAdapter.toGatewayError(rec.status, rec.bodyText, rec.headers, target);
    expect(err).toMatchObject({
      status: 400,
      type: "invalid_request",
      message: "The provided model identifier is invalid.",
    });
    expect(err.retryable).toBe(false);
  });

  it("keeps Retry-After and survives a non-JSON body", () => {
    const headers = errortype("ThrottlingException");
    headers.set("retry-after", "3");
    const err = bedrockAdapter.toGatewayError(429, "<html>Too Many Requests</html>", headers, target);
    expect(err.meta.retryAfter).toBe(3);
    expect(err.message).toContain("Too Many Requests");
    expect(err.retryable).toBe(true);
  });

  it("redacts credentials echoed in the body", () => {
    const body = JSON.stringify({
      message: `The security token AKIAABCDEFGHIJKLMNOP is invalid (${target.apiKey})`,
    });
    const err = bedrockAdapter.toGatewayError(403, body, errortype("UnrecognizedClientException"), target);
    expect(err.message).not.toContain("AKIAABCDEFGHIJKLMNOP");
    expect(err.meta.raw).not.toContain(target.apiKey);
  });
});
