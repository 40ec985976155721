import { describe, expect, it } from "vitest";
import { createChatApp, isChatCompletionsRequest } from "../../../src/api/chat-completions";
import { createApp } from "../../../src/app";
import worker from "../../../src/index";

const URL_ = "http://gateway/api/v1/chat/completions";

describe("isChatCompletionsRequest: what the fetch entry hands to the one-route chat app", () => {
  it.each([
    ["POST", URL_, true],
    ["POST", `${URL_}?trace=1`, true],
    ["GET", URL_, false],
    ["POST", `${URL_}/`, false],
    ["POST", `${URL_}2`, false],
    ["POST", "http://gateway/api/v1/chat/completions/x", false],
    ["POST", "http://gateway/v1/chat/completions", false],
  ])("%s %s → %s", (method, url, expected) => {
    expect(isChatCompletionsRequest(new Request(url, { method }))).toBe(expected);
  });
});

describe("every way in refuses alike before touching any data", () => {
  const apps = [
    ["the Worker entry", (r: Request) => worker.fetch(r as never, {} as never, {} as never)],
    ["the one-route chat app", (r: Request) => createChatApp().fetch(r, {})],
    ["the general app (app.request)", (r: Request) => createApp().fetch(r, {})],
  ] as const;

  it.each(apps)("%s: 401 without a key, 413 over the limit", async (_name, fetch) => {
    const noKey = await fetch(
      new Request(URL_, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
    );
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toEqual({
      error: { code: 401, message: "No auth credentials found", metadata: { error_type: "authentication" } },
    });
    const big = await fetch(
      new Request(URL_, { method: "POST", headers: { "content-length": String(17 * 1024 * 1024) } }),
    );
    expect(big.status).toBe(413);
  });
});
