/** Worker entry: HTTP through the Hono app; usage batches from the optional queue. */
import { createChatApp, isChatCompletionsRequest } from "./api/chat-completions";
import { createApp } from "./app";
import type { Bindings } from "./env";
import { consumeUsageBatch } from "./usage/queue-consumer";
import type { GenerationRow } from "./usage/record";

const app = createApp();
const chat = createChatApp();

export default {
  /** Chat completions, the hot path, skip the general router and its middleware (src/api/chat-completions.ts). */
  fetch: (request, env, ctx) =>
    isChatCompletionsRequest(request) ? chat.fetch(request, env, ctx) : app.fetch(request, env, ctx),

  /**
   * Usage records from USAGE_QUEUE and its dead-letter queue: one multi-row, idempotent statement
   * per batch (keyed by generation id), so a burst of requests costs one connection, and a
   * redelivery changes nothing. What cannot be written is retried later (src/usage/queue-consumer.ts).
   */
  queue: (batch, env) => consumeUsageBatch(batch, env.HYPERDRIVE.connectionString),
} satisfies ExportedHandler<Bindings, GenerationRow>;
