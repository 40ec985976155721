import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { renderDocsPage, schemaName } from "../../../src/api/openapi";
import { createApp } from "../../../src/app";

async function fetchDocument() {
  const res = await createApp().request("/api/v1/openapi.json");
  expect(res.status).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: a JSON document inspected field by field below
  return (await res.json()) as any;
}

describe("GET /api/v1/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const doc = await fetchDocument();
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("Switchyard");
  });

  it("lists the routes relative to the /api/v1 server, with a bearer scheme", async () => {
    const doc = await fetchDocument();
    expect(doc.servers).toEqual([{ url: "/api/v1", description: "This gateway" }]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    for (const [path, methods] of [
      ["/keys", ["get", "post"]],
      ["/keys/{hash}", ["get", "patch", "delete"]],
      ["/key", ["get"]],
      ["/auth/key", ["get"]],
      ["/credits", ["get"]],
      ["/activity", ["get"]],
      ["/models", ["get"]],
      ["/models/count", ["get"]],
      ["/models/user", ["get"]],
      ["/model/{author}/{slug}", ["get"]],
      ["/models/{author}/{slug}/endpoints", ["get"]],
      ["/providers", ["get"]],
      ["/auth/keys", ["post"]],
      ["/auth/keys/code", ["post"]],
    ] as const) {
      for (const method of methods) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(Object.keys(doc.paths).some((p) => p.startsWith("/api/v1"))).toBe(false);
  });

  it("declares request and response schemas by name, and which routes need a key", async () => {
    const doc = await fetchDocument();
    const create = doc.paths["/keys"].post;
    expect(create.security).toEqual([{ bearerAuth: [] }]);
    expect(schemaName(create.requestBody.content["application/json"].schema)).toBe("CreateKeyRequest");
    expect(schemaName(create.responses["201"].content["application/json"].schema)).toBe("CreateKeyResponse");
    expect(schemaName(create.responses["400"].content["application/json"].schema)).toBe("ErrorResponse");
    expect(doc.paths["/models"].get.security).toEqual([]);
    // The exchange needs no key (the code is the credential); making a code by API does.
    expect(doc.paths["/auth/keys"].post.security).toEqual([]);
    expect(doc.paths["/auth/keys/code"].post.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/model/{author}/{slug}"].get.security).toEqual([]);
    expect(doc.paths["/models/user"].get.security).toEqual([{ bearerAuth: [] }]);
    const activity = doc.paths["/activity"].get;
    expect(activity.security).toEqual([{ bearerAuth: [] }]);
    expect(activity.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["date", "api_key_hash", "user_id", "workspace_id", "group_by"]),
    );
    expect(schemaName(activity.responses["200"].content["application/json"].schema)).toBe("ActivityResponse");
    expect(Object.keys(activity.responses)).toEqual(expect.arrayContaining(["400", "401", "403", "404"]));
    const params = doc.paths["/models"].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(
      expect.arrayContaining(["output_modalities", "supported_parameters", "sort", "offset", "limit"]),
    );
  });
  it("documents POST /chat/completions from its schemas, though the route is served off the general router", async () => {
    const doc = await fetchDocument();
    const chat = doc.paths["/chat/completions"].post;
    expect(chat.security).toEqual([{ bearerAuth: [] }]);
    expect(chat.requestBody.required).toBe(true);
    expect(schemaName(chat.requestBody.content["application/json"].schema)).toBe("ChatRequest");
    expect(schemaName(chat.responses["200"].content["application/json"].schema)).toBe("ChatCompletion");
    expect(schemaName(chat.responses["200"].content["text/event-stream"].schema)).toBe("ChatCompletionChunk");
    for (const status of ["400", "401", "402", "403", "404", "413", "429", "502", "503"]) {
      expect(schemaName(chat.responses[status].content["application/json"].schema), status).toBe(
        "ErrorResponse",
      );
    }
    expect(doc.components.schemas.ChatRequest.properties).toHaveProperty("messages");
  });
});

describe("GET /docs", () => {
  it("renders every operation without scripts or remote assets", async () => {
    const res = await createApp().request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    for (const path of ["/api/v1/keys", "/api/v1/keys/{hash}", "/api/v1/models/{author}/{slug}/endpoints"]) {
      expect(html).toContain(`<code>${path}</code>`);
    }
    expect(html).toContain("CreateKeyRequest");
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3)/);
  });

  it("escapes what it renders", () => {
    const html = renderDocsPage({
      openapi: "3.1.0",
      info: { title: "<x>", version: "1" },
      paths: { "/a": { get: { summary: '<img src="y">', responses: {} } } },
    });
    expect(html).toContain("&lt;img src=&quot;y&quot;&gt;");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<x>");
  });
});
