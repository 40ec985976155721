/**
 * Wire shapes of `GET /activity` (API.md b11), in the names OpenRouter's SDK parses
 * (`ActivityItem`, `GetUserActivityRequest` of @openrouter/sdk).
 */
import { z } from "@hono/zod-openapi";

export const activityQuerySchema = z.object({
  date: z.iso
    .date({ error: "a UTC date as YYYY-MM-DD" })
    .optional()
    .openapi({ description: "Only this UTC day, one of the last 30 completed ones", example: "2026-11-27" }),
  api_key_hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "a key's SHA-256 hash: 64 lowercase hex digits, as /keys returns it")
    .optional()
    .openapi({ description: "Only the requests of this API key" }),
  user_id: z
    .string()
    .regex(
      /^user_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      "a user id as OAuth's exchange and error bodies give it: user_<account id>",
    )
    .optional()
    .openapi({
      description:
        "Only this user's requests. A user here is an account (`user_<account id>`, as OAuth's exchange answers)",
    }),
  workspace_id: z
    .uuid({ error: "a workspace (account) id, a UUID" })
    .optional()
    .openapi({ description: "Only the requests of this workspace (each account is its own)" }),
  group_by: z.enum(["workspace"]).optional().openapi({
    description: "`workspace`: one row per workspace as well, each with its `workspace_id`",
  }),
});
export type ActivityQuery = z.infer<typeof activityQuerySchema>;

export const activityItemSchema = z
  .object({
    date: z.string().openapi({ description: "The UTC day the requests started, YYYY-MM-DD" }),
    model: z.string().openapi({ description: "The model id the requests named, variant included" }),
    model_permaslug: z.string().openapi({ description: "The model's canonical slug (no variant)" }),
    endpoint_id: z.string().openapi({
      description: "The endpoint that served them, as `model@provider`",
      example: "openai/gpt-4o@openai",
    }),
    provider_name: z.string(),
    usage: z.number().openapi({ description: "USD charged" }),
    byok_usage_inference: z.number().openapi({
      description: "Bring-your-own-key spend at list prices (billed to users' own provider keys)",
    }),
    requests: z.number().int(),
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    reasoning_tokens: z.number().int(),
    workspace_id: z.string().optional().openapi({ description: "With `group_by=workspace` only" }),
  })
  .openapi("ActivityItem");
export type ActivityItem = z.infer<typeof activityItemSchema>;

export const activityResponseSchema = z
  .object({ data: z.array(activityItemSchema) })
  .openapi("ActivityResponse");
