/**
 * Which plugins a request may ask for here: those the gateway serves (context-compression,
 * response-healing) pass, `web` is left to routing (refused there with `:online`), and every
 * other one is refused — never ignored, so no answer passes for one the plugin shaped.
 */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors";
import { pluginRefusal } from "../../../src/routing/plugins";
import type { ChatRequest } from "../../../src/schema/chat-request";
import { chat } from "./catalog-rows";

const UNAVAILABLE = [
  "web-fetch",
  "file-parser",
  "moderation",
  "auto-router",
  "auto-beta-router",
  "pareto-router",
  "fusion",
  "switchyard-router",
];

const ALL =
  "web, web-fetch, file-parser, response-healing, context-compression, moderation, auto-router, auto-beta-router, pareto-router, fusion, switchyard-router";

const refusal = (plugins: ChatRequest["plugins"], fields: Partial<ChatRequest> = {}) =>
  pluginRefusal(chat({ model: "m/a", plugins, ...fields }));

describe("pluginRefusal", () => {
  it("has nothing to say without plugins", () => {
    expect(refusal(undefined)).toBeUndefined();
    expect(refusal([])).toBeUndefined();
  });

  it.each(["context-compression", "response-healing", "web"])("lets %s through", (id) => {
    expect(refusal([{ id }])).toBeUndefined();
    expect(refusal([{ id, enabled: true }])).toBeUndefined();
  });

  it("refuses a context-compression engine other than middle-out, rather than serve the prompt uncut", () => {
    expect(refusal([{ id: "context-compression", engine: "middle-out" }])).toBeUndefined();
    expect(refusal([{ id: "context-compression", engine: "summarise", enabled: false }])).toBeUndefined();
    const error = refusal([{ id: "context-compression", engine: "summarise" }]);
    expect(error?.status).toBe(400);
    expect(error?.message).toBe(
      'Unknown context-compression engine "summarise": the engine is "middle-out" (or leave it out)',
    );
    expect(refusal([{ id: "context-compression", engine: 3 }])?.status).toBe(400);
  });

  it.each(UNAVAILABLE)("refuses %s with a 404 that names it and OpenRouter's availability detail", (id) => {
    const error = refusal([{ id: "context-compression" }, { id }]);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error?.status).toBe(404);
    expect(error?.toErrorObject()).toEqual({
      code: 404,
      message: `The ${id} plugin is not available on this gateway: m/a can be asked without it (or with {"id": "${id}", "enabled": false})`,
      metadata: { error_type: "not_found" },
      availability: {
        code: "constraint_filtered",
        retryable: false,
        requested_models: ["m/a"],
        excluded_by: [`plugin:${id}`],
        constraint: { field: "plugins.1.id", detail: `${id} is not offered by this gateway` },
      },
    });
    expect(error?.retryable).toBe(false);
  });

  it("names every model of a models list: none of them could serve the plugin", () => {
    const error = refusal([{ id: "moderation" }], { model: undefined, models: ["m/a", "m/b"] });
    expect(error?.message).toMatch(/^The moderation plugin is not available on this gateway: m\/a, m\/b/);
    expect(error?.toErrorObject().availability?.requested_models).toEqual(["m/a", "m/b"]);
  });

  it.each(["summarize", "Response-Healing", "__proto__", "toString", ""])(
    "refuses %j, which is no plugin at all, with a 400 naming it and its path",
    (id) => {
      const error = refusal([{ id: "response-healing" }, { id }]);
      expect(error?.status).toBe(400);
      expect(error?.toErrorObject()).toEqual({
        code: 400,
        message: `Unknown plugin ${JSON.stringify(id)}: no such plugin is available on this gateway (the plugins are ${ALL})`,
        metadata: {
          error_type: "invalid_request",
          issues: [{ path: ["plugins", "1", "id"], message: "Unknown plugin" }],
        },
      });
    },
  );

  it("refuses an unknown id before an unavailable one, wherever it stands: the request is malformed", () => {
    expect(refusal([{ id: "fusion" }, { id: "nope" }])?.status).toBe(400);
  });

  it("echoes at most 64 characters of an unknown id", () => {
    const error = refusal([{ id: "x".repeat(10_000) }]);
    expect(error?.message).toContain(`"${"x".repeat(64)}"`);
    expect(error?.message.length).toBeLessThan(400);
  });

  it.each([...UNAVAILABLE, "summarize", "web", "response-healing"])(
    "accepts and ignores %s with enabled: false",
    (id) => {
      expect(refusal([{ id, enabled: false }])).toBeUndefined();
    },
  );
});
