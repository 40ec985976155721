/**
 * The gateway as a Hono app: mounts one sub-app per resource and the single error handler.
 * Routes are declared with their zod schemas so /api/v1/openapi.json comes from the same
 * schemas that validate.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { activityApi } from "./api/activity";
import { authKeysApi } from "./api/auth-keys";
import { mountAuthPage } from "./api/auth-page";
import { byokApi } from "./api/byok";
import { mountChatCompletions } from "./api/chat-completions";
import { apiCors } from "./api/cors";
import { databaseDeadline } from "./api/database-deadline";
import { notFound, onError, validationHook } from "./api/error-response";
import { generationApi } from "./api/generation";
import { keyApi } from "./api/key";
import { keysApi } from "./api/keys";
import { modelApi } from "./api/model";
import { modelsApi } from "./api/models";
import { mountDocs } from "./api/openapi";
import { providersApi } from "./api/providers";
import type { AppEnv } from "./env";

export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.get("/health", (c) => c.json({ ok: true }));
  // Before every /api/v1 route, chat's preflight included (the fetch entry sends OPTIONS here).
  app.use("/api/v1/*", apiCors);
  app.use("/api/v1/*", databaseDeadline);
  mountChatCompletions(app);
  mountAuthPage(app);
  app.route("/api/v1", authKeysApi);
  app.route("/api/v1", generationApi);
  app.route("/api/v1", activityApi);
  app.route("/api/v1", keysApi);
  app.route("/api/v1", byokApi);
  app.route("/api/v1", keyApi);
  app.route("/api/v1", modelsApi);
  app.route("/api/v1", modelApi);
  app.route("/api/v1", providersApi);
  mountDocs(app);
  app.notFound(notFound);
  app.onError(onError);
  return app;
}
