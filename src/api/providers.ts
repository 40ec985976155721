/**
 * `GET /api/v1/providers`: the companies the catalog routes to, in OpenRouter's shape
 * (API.md b11), from the in-isolate catalog snapshot. Public, like OpenRouter's.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { requestScope } from "../auth/middleware";
import { getCatalog } from "../cache/routing-data";
import type { ProviderRow } from "../db/queries/catalog";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { providerListResponseSchema } from "../schema/models";
import { errorResponses } from "./openapi";

export function providerView(p: ProviderRow) {
  return {
    name: p.name,
    slug: p.slug,
    privacy_policy_url: p.privacyPolicyUrl,
    terms_of_service_url: p.termsOfServiceUrl,
    status_page_url: p.statusPageUrl,
    headquarters: p.headquarters,
    // Not in the catalog yet: where a provider runs its models.
    datacenters: [] as string[],
  };
}

const listProvidersRoute = createRoute({
  method: "get",
  path: "/providers",
  tags: ["Models"],
  summary: "List providers (public)",
  security: [],
  responses: {
    200: {
      description: "Every provider, by name",
      content: { "application/json": { schema: providerListResponseSchema } },
    },
    ...errorResponses(503),
  },
});

export const providersApi = new OpenAPIHono<AppEnv>().openapi(listProvidersRoute, async (c) => {
  const snapshot = await getCatalog(requestScope(c)).catch((cause: unknown) => {
    throw new GatewayError(503, "server", "Provider catalog unavailable, try again shortly", { cause });
  });
  const data = [...snapshot.providers.values()]
    .sort((a, b) => a.name.localeCompare(b.name) || a.slug.localeCompare(b.slug))
    .map(providerView);
  return c.json({ data }, 200);
});
