import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// Validation against the OpenAPI 3.1 meta-schema runs in Node (test/unit/api/openapi.test.ts):
// the validator compiles schemas with `new Function`, which workerd forbids.
// The first request builds the document (~0.5 s of CPU on a loaded machine): allow for that.
describe("the API reference served by the Worker", { timeout: 30_000 }, () => {
  it("serves the OpenAPI document", async () => {
    const res = await exports.default.fetch("http://gateway/api/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      servers: { url: string }[];
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers[0]?.url).toBe("/api/v1");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/keys", "/keys/{hash}", "/key", "/credits", "/models", "/providers"]),
    );
  });

  it("renders /docs with every path", async () => {
    const res = await exports.default.fetch("http://gateway/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    for (const path of [
      "/api/v1/keys",
      "/api/v1/keys/{hash}",
      "/api/v1/key",
      "/api/v1/credits",
      "/api/v1/activity",
      "/api/v1/models",
      "/api/v1/models/count",
      "/api/v1/models/user",
      "/api/v1/model/{author}/{slug}",
      "/api/v1/models/{author}/{slug}/endpoints",
      "/api/v1/providers",
      "/api/v1/auth/keys",
      "/api/v1/auth/keys/code",
      // The sign-in page lives outside /api/v1.
      "/auth",
    ]) {
      expect(html).toContain(`<code>${path}</code>`);
    }
    expect(html).not.toContain("<script");
  });
});
