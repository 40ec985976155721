/**
 * `GET /api/v1/model/{author}/{slug}`: one model, as /models lists it, for an id a chat request
 * may name (API.md b4, b11). OpenRouter's resolves "known slug aliases and variant suffixes"; the
 * catalog here has no aliases (a model's canonical slug is its id), so what resolves is what the
 * router resolves (routing/plan.ts `parseModelId`, `filterEndpoints`):
 *
 * - `author/slug`: the paid entry; for a model with free endpoints only, its `:free` entry, as a
 *   chat request naming the plain id is served by those (the answer's `id` says which it is);
 * - `:free`: the `:free` entry, when the model has free endpoints;
 * - `:floor`, `:nitro`, `:exacto` (price, throughput and tool-call quality sorts) and `:thinking` (reasoning on, at medium
 *   effort; only for a model that reasons): the entry the plain id gives, under the requested
 *   id, since these route to the same endpoints. Its details link is that entry's endpoints list.
 * - `:online`, `:extended`: 404. The router takes the suffixes, but there is no web search or
 *   extended context behind them here, so no such variant to show.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { CatalogSnapshot } from "../catalog/snapshot";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { parseModelId, type Variant } from "../routing/plan";
import { type Model, modelEndpointsParamsSchema, modelResponseSchema } from "../schema/models";
import { catalog, FREE_SUFFIX, listedModel } from "./models";
import { errorResponses } from "./openapi";

/** Suffixes the router accepts that select nothing the gateway has. */
const NOT_OFFERED: readonly Variant[] = ["online", "extended"];

function notFound(id: string, why = ""): GatewayError {
  return new GatewayError(404, "not_found", `Model ${id} not found${why}`, { extra: { model: id } });
}

/** The /models entry `id` resolves to, named as requested when a routing variant was asked for. */
export function resolveModelId(snapshot: CatalogSnapshot, id: string): Model {
  const { base, variant } = parseModelId(id);
  const model = snapshot.models.get(base);
  if (!model) throw notFound(id);
  if (variant === "free") {
    const free = listedModel(snapshot, id);
    if (!free) throw notFound(id, `: ${base} has no free endpoints`);
    return free;
  }
  if (variant && NOT_OFFERED.includes(variant)) {
    throw notFound(id, `: this gateway has no :${variant} variant of any model`);
  }
  if (variant === "thinking" && !model.reasoning) {
    throw notFound(id, `: ${base} does not reason, so it has no :thinking variant`);
  }
  // The plain id prefers paid endpoints and falls back to free ones, as routing does.
  const entry = listedModel(snapshot, base) ?? listedModel(snapshot, `${base}${FREE_SUFFIX}`);
  if (!entry) throw notFound(id, ": it has no endpoints");
  if (!variant) return entry;
  const view: Model = { ...entry, id, name: `${entry.name} (${variant})` };
  // chat-run.ts `withVariantReasoning`: `:thinking` asks for reasoning at medium effort.
  if (variant === "thinking" && entry.reasoning) {
    view.reasoning = { ...entry.reasoning, default_enabled: true, default_effort: "medium" };
  }
  return view;
}

const getModelRoute = createRoute({
  method: "get",
  path: "/model/{author}/{slug}",
  tags: ["Models"],
  summary: "One model by id, variant suffixes resolved (public)",
  description:
    "`author/slug`, or with a variant: `:free` (the free endpoints), `:floor`, `:nitro`, `:thinking` " +
    "(reasoning models). The plain id of a model served only by free endpoints answers with its `:free` entry.",
  security: [],
  request: { params: modelEndpointsParamsSchema },
  responses: {
    200: { description: "The model", content: { "application/json": { schema: modelResponseSchema } } },
    ...errorResponses(404, 503),
  },
});

export const modelApi = new OpenAPIHono<AppEnv>().openapi(getModelRoute, async (c) => {
  const { author, slug } = c.req.valid("param");
  return c.json({ data: resolveModelId(await catalog(c), `${author}/${slug}`) }, 200);
});
