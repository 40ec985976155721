/**
 * OpenRouter's `plugins` (API.md b2) and what this gateway does with each: a plugin it cannot
 * honour is refused, never ignored — an answer without the moderation, the file parsing or the
 * routing the client asked for would pass for one with it.
 *
 * - `context-compression`: middle-out (transforms/index.ts).
 * - `response-healing`: JSON repair of a non-streamed answer (transforms/response-healing.ts).
 * - `web`: refused by routing (plan.ts), as the `:online` variant is, so a `models` list moves
 *   on from an `:online` model to the next; the rest: refused here, before anything is read,
 *   reserved or recorded.
 *
 * `enabled: false` turns any plugin off, known or not: such an entry is accepted and ignored.
 */
import { GatewayError } from "../errors";
import type { ChatRequest } from "../schema/chat-request";
import { requestedModels } from "./plan";

/**
 * Every plugin id OpenRouter documents: API.md b2's list, and `switchyard-router`, which
 * `@openrouter/sdk`'s ChatRequest also names.
 */
export const OPENROUTER_PLUGINS = [
  "web",
  "web-fetch",
  "file-parser",
  "response-healing",
  "context-compression",
  "moderation",
  "auto-router",
  "auto-beta-router",
  "pareto-router",
  "fusion",
  "switchyard-router",
] as const;
export type OpenRouterPlugin = (typeof OPENROUTER_PLUGINS)[number];

/** The plugins served here, or refused by routing (`web`); every other one is not available. */
const HANDLED = new Set<string>(["context-compression", "response-healing", "web"]);
/** A Set, not an object: an id like `__proto__` or `toString` must not find Object.prototype. */
const KNOWN = new Set<string>(OPENROUTER_PLUGINS);

/** Ids echoed back are cut to this: the message names the plugin, not a megabyte of it. */
const MAX_ECHOED_ID = 64;

/**
 * Why the request's plugins cannot be honoured, or undefined when they can. An id that is no
 * plugin at all is a malformed request: a 400 (`invalid_request`, with the offending path in
 * `metadata.issues`, as a schema error has), checked first. A real plugin this gateway does not
 * offer is a 404 with OpenRouter's `availability` detail (`constraint_filtered`, excluded by
 * `plugin:<id>`), as a `web` plugin's refusal is: no model of the request could serve it, so a
 * `models` list fails as a whole, as it does for `web`.
 */
export function pluginRefusal(req: ChatRequest): GatewayError | undefined {
  const plugins = req.plugins;
  if (plugins === undefined) return undefined;
  for (let i = 0; i < plugins.length; i++) {
    const plugin = plugins[i]!;
    if (plugin.enabled !== false && !KNOWN.has(plugin.id)) return unknownPlugin(plugin.id, i);
    if (plugin.enabled !== false && plugin.id === "context-compression" && !knownEngine(plugin.engine))
      return unknownEngine(plugin.engine, i);
  }
  for (let i = 0; i < plugins.length; i++) {
    const plugin = plugins[i]!;
    if (plugin.enabled !== false && !HANDLED.has(plugin.id)) return unavailablePlugin(plugin.id, i, req);
  }
  return undefined;
}

/** context-compression's engines: middle-out, the default (API.md b5), is the only one. */
function knownEngine(engine: unknown): boolean {
  return engine === undefined || engine === "middle-out";
}

/** Another engine would have been compressed some other way: refused, not served uncompressed. */
function unknownEngine(engine: unknown, index: number): GatewayError {
  const named = typeof engine === "string" ? JSON.stringify(engine.slice(0, MAX_ECHOED_ID)) : "given";
  return new GatewayError(
    400,
    "invalid_request",
    `Unknown context-compression engine ${named}: the engine is "middle-out" (or leave it out)`,
    { extra: { issues: [{ path: ["plugins", String(index), "engine"], message: "Unknown engine" }] } },
  );
}

function unknownPlugin(id: string, index: number): GatewayError {
  const message = `Unknown plugin ${JSON.stringify(id.slice(0, MAX_ECHOED_ID))}: no such plugin is available on this gateway (the plugins are ${OPENROUTER_PLUGINS.join(", ")})`;
  return new GatewayError(400, "invalid_request", message, {
    extra: { issues: [{ path: ["plugins", String(index), "id"], message: "Unknown plugin" }] },
  });
}

function unavailablePlugin(id: string, index: number, req: ChatRequest): GatewayError {
  const models = requestedModels(req);
  return new GatewayError(
    404,
    "not_found",
    `The ${id} plugin is not available on this gateway: ${models.join(", ")} can be asked without it (or with {"id": "${id}", "enabled": false})`,
    {
      availability: {
        code: "constraint_filtered",
        retryable: false,
        requested_models: models,
        excluded_by: [`plugin:${id}`],
        constraint: { field: `plugins.${index}.id`, detail: `${id} is not offered by this gateway` },
      },
    },
  );
}
