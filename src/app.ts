/**
 * The gateway as a Hono app: mounts one sub-app per resource and the single error handler.
 * Routes are declared with their zod schemas so /api/v1/openapi.json comes from the same
 * schemas that validate.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { notFound, onError, validationHook } from "./api/error-response";
import type { AppEnv } from "./env";

export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.get("/health", (c) => c.json({ ok: true }));
  app.notFound(notFound);
  app.onError(onError);
  return app;
}
