/** Worker entry: HTTP through the Hono app; usage batches from the optional queue. */
import { createChatApp, isChatCompletionsRequest } from "./api/chat-completions";
import { createApp } from "./app";
import { createDb } from "./db/client";
import type { Bindings } from "./env";
import { type GenerationRow, settleGenerations } from "./usage/record";

const app = createApp();
const chat = createChatApp();

export default {
  /** Chat completions, the hot path, skip the general router and its middleware (src/api/chat-completions.ts). */
  fetch: (request, env, ctx) =>
    isChatCompletionsRequest(request) ? chat.fetch(request, env, ctx) : app.fetch(request, env, ctx),

  /**
   * Usage records from USAGE_QUEUE: one multi-row, idempotent transaction per batch (keyed by
   * generation id), so a burst of requests costs one connection, and a redelivery changes nothing.
   */
  async queue(batch, env) {
    await settleGenerations(
      createDb(env.HYPERDRIVE.connectionString),
      batch.messages.map((m) => m.body),
    );
    batch.ackAll();
  },
} satisfies ExportedHandler<Bindings, GenerationRow>;
