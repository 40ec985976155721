/**
 * A ChatRun outlives routing by the length of a stream (minutes), so it must not keep the
 * request: the prompt can be megabytes, and a thousand open streams would hold a thousand prompts.
 */
import { describe, expect, it } from "vitest";
import { ChatRun } from "../../../src/api/chat-run";
import type { RequestScope } from "../../../src/cache/routing-data";
import type { KeyRecord } from "../../../src/db/queries/keys";
import { collectGarbage } from "../../support/gc";
import { chat } from "../routing/catalog-rows";

describe("ChatRun", () => {
  it("does not keep the request or its headers alive", async () => {
    let request: ReturnType<typeof chat> | undefined = chat({
      model: "m/a",
      messages: [{ role: "user", content: "x".repeat(1_000_000) }],
      user: "u-1",
    });
    const held = new WeakRef(request);
    const run = new ChatRun({
      request,
      key: { accountId: "acc", hash: "h" } as KeyRecord,
      env: {} as RequestScope["env"],
      scope: { env: {} as RequestScope["env"] },
      promptTokens: 250_000,
      id: "gen-1",
      startedAt: 1_700_000_000_000,
      headers: new Headers({ "x-title": "App" }),
    });
    request = undefined;
    await collectGarbage();

    expect(held.deref()).toBeUndefined();
    // What the record needs of the request was read when the run began.
    expect(run.unservedStamp()).toMatchObject({ id: "gen-1", model: "m/a" });
  });
});
