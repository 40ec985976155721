import { describe, expect, it, vi } from "vitest";
import { azureAdapter } from "../../../../src/providers/azure";
import { chatRequestSchema } from "../../../../src/schema/chat-request";
import { runAdapterSuite } from "../../../conformance/adapter-suite";
import { fixtureHttp, fixtureJson, sseFromJsonl } from "../../../conformance/fixtures";
import { baseRequest, vendorTarget } from "../openai/targets";

vi.setConfig({ testTimeout: 120_000 }); // 1-byte cuts through the shared SSE decoder on a busy machine

const target = vendorTarget("azure", {
  providerModelId: "gpt-5-nano",
  supportedParameters: ["reasoning", "max_tokens", "tools"],
});

describe("azure", () => {
  runAdapterSuite(azureAdapter, {
    target,
    request: baseRequest,
    streams: [
      {
        name: "openai/azure-chat-stream-reasoning-usage.chunks.jsonl",
        body: sseFromJsonl("openai/azure-chat-stream-reasoning-usage.chunks.jsonl", { done: true }),
        expect: { finishReason: "stop", text: true },
      },
    ],
    // Azure answers in OpenAI's shapes; the OpenAI recordings stand in for non-streaming bodies.
    completions: [
      {
        name: "openai/chat-text.json",
        body: fixtureJson("openai/chat-text.json"),
        expect: { finishReason: "stop", text: true },
      },
    ],
    errors: [
      {
        name: "content filter (Azure's documented body)",
        status: 400,
        bodyText: JSON.stringify({
          error: {
            message:
              "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
            type: null,
            param: "prompt",
            code: "content_filter",
            status: 400,
            innererror: { code: "ResponsibleAIPolicyViolation" },
          },
        }),
        retryable: false,
        type: "content_policy_violation",
      },
      {
        name: "429 with retry-after",
        status: 429,
        bodyText: JSON.stringify({
          error: {
            code: "429",
            message:
              "Requests to the ChatCompletions_Create Operation have exceeded the rate limit. Please retry after 8 seconds.",
          },
        }),
        headers: new Headers({ "retry-after": "8" }),
        retryable: true,
        type: "rate_limit_exceeded",
        retryAfter: 8,
      },
      {
        name: "unknown deployment",
        status: 404,
        bodyText: JSON.stringify({
          error: {
            code: "DeploymentNotFound",
            message: "The API deployment for this resource does not exist.",
          },
        }),
        retryable: false,
        type: "not_found",
      },
      {
        ...fixtureHttp("openai/error-404-model-not-found.http.json"),
        name: "openai/error-404-model-not-found.http.json",
        retryable: false,
      },
    ],
  });

  it("addresses the deployment with api-version and an api-key header, no model in the body", async () => {
    const req = chatRequestSchema.parse({ ...baseRequest, max_tokens: 64, reasoning: { effort: "low" } });
    const out = await azureAdapter.toProviderRequest(req, target, { stream: true });
    expect(out.url).toBe(
      "https://switchyard.openai.azure.com/openai/deployments/gpt-5-nano/chat/completions?api-version=2024-10-21",
    );
    expect(out.headers["api-key"]).toBe(target.apiKey);
    expect(out.headers).not.toHaveProperty("authorization");
    const body = JSON.parse(out.body) as Record<string, unknown>;
    expect(body).not.toHaveProperty("model");
    expect(body).toMatchObject({
      max_completion_tokens: 64,
      reasoning_effort: "low",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("takes the api-version from the provider config", async () => {
    const t = vendorTarget("azure", {
      providerModelId: "my deployment",
      config: { apiVersion: "2025-04-01-preview" },
    });
    const out = await azureAdapter.toProviderRequest(chatRequestSchema.parse(baseRequest), t, {
      stream: false,
    });
    expect(out.url).toBe(
      "https://switchyard.openai.azure.com/openai/deployments/my%20deployment/chat/completions?api-version=2025-04-01-preview",
    );
  });

  it("applies Azure's quirks whatever the catalog slug", async () => {
    const t = vendorTarget("azure-eu", { providerModelId: "gpt-4o" });
    const req = chatRequestSchema.parse({
      ...baseRequest,
      max_tokens: 10,
      messages: [{ role: "developer", content: "x" }],
    });
    const body = JSON.parse((await azureAdapter.toProviderRequest(req, t, { stream: false })).body) as Record<
      string,
      unknown
    >;
    expect(body).toMatchObject({
      max_completion_tokens: 10,
      messages: [{ role: "developer", content: "x" }],
    });
  });

  it("maps a content_filter finish and keeps the raw reason", () => {
    const out = azureAdapter.fromProviderResponse(
      {
        id: "chatcmpl-x",
        choices: [
          {
            index: 0,
            finish_reason: "content_filter",
            message: { role: "assistant", content: null },
            content_filter_results: { hate: { filtered: true, severity: "high" } },
          },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 },
      },
      { request: baseRequest, target },
    );
    expect(out.choices[0]).toMatchObject({
      finish_reason: "content_filter",
      native_finish_reason: "content_filter",
    });
  });
});
