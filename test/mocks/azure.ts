/**
 * Azure OpenAI mock (contract in ./types.ts): OpenAI's framing from ./openai.ts, addressed
 * Azure's way — `POST /openai/deployments/{deployment}/chat/completions?api-version=…` with an
 * `api-key` header, the deployment naming the model (the body has none) — plus Azure's
 * content-filter annotations: a leading choice-less `prompt_filter_results` chunk and
 * `content_filter_results` on choices (fixture openai/azure-chat-stream-reasoning-usage.chunks.jsonl).
 */
import { dialectMock, sendError } from "./openai";
import type { MockHandler } from "./types";

const SAFE = { filtered: false, severity: "safe" };
const DEPLOYMENT_PATH = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;

export const azureMock: MockHandler = dialectMock({
  protocol: "azure",
  resolveModel(req, _body, res) {
    if (!req.headers["api-key"]) {
      sendError(res, 401, {
        code: "401",
        message:
          "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
      });
      return undefined;
    }
    const match = req.method === "POST" ? DEPLOYMENT_PATH.exec(req.path) : null;
    if (!match?.[1]) {
      sendError(res, 404, { code: "404", message: "Resource not found" });
      return undefined;
    }
    if (!req.query.get("api-version")) {
      sendError(res, 404, {
        code: "404",
        message: "Resource not found (api-version query parameter is required)",
      });
      return undefined;
    }
    return decodeURIComponent(match[1]);
  },
  promptFilter: {
    hate: SAFE,
    jailbreak: { filtered: false, detected: false },
    self_harm: SAFE,
    sexual: SAFE,
    violence: SAFE,
  },
  choiceFilter: { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE },
  rateLimitMessage:
    "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 0 seconds.",
});
