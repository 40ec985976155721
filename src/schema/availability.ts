/**
 * OpenRouter's `error.availability` (API.md b9): why a model could not be served, beside — not
 * inside — `error.metadata`, so clients can switch on `availability.code` and `retryable`.
 * Declared as zod so the OpenAPI error envelope documents the shape the errors are typed by.
 */
import { z } from "@hono/zod-openapi";

export const AVAILABILITY_CODES = [
  "model_not_found",
  "wrong_endpoint",
  "no_endpoints",
  "model_deprecated",
  "model_unavailable_upstream",
  "capacity_exhausted",
  "temporarily_unavailable",
  "region_restricted",
  "privacy_restricted",
  "constraint_filtered",
  "free_variant_ended",
] as const;

export const availabilitySchema = z
  .object({
    code: z.enum(AVAILABILITY_CODES),
    retryable: z.boolean(),
    retry_after: z.number().nullish(),
    requested_models: z.array(z.string()),
    affected_providers: z.array(z.string()).nullish(),
    /** Which filters removed endpoints (`allowed_providers`, `max_price`, `context_length`, …). */
    excluded_by: z.array(z.string()).optional(),
    fallback_models: z.array(z.string()).optional(),
    constraint: z.object({ field: z.string(), detail: z.string() }).optional(),
    docs_url: z.string().optional(),
  })
  .openapi("Availability");
export type Availability = z.infer<typeof availabilitySchema>;
