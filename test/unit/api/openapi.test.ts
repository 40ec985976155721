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

  it("says what each plugin id does on this gateway", async () => {
    const doc = await fetchDocument();
    const description: string = doc.components.schemas.ChatRequest.properties.plugins.description;
    for (const id of ["context-compression", "response-healing", "web", "moderation", "fusion"]) {
      expect(description).toContain(`\`${id}\``);
    }
    expect(description).toMatch(/Any other id is a 400/);
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

/** Served, but not part of the API: the document itself, its rendering, and the liveness probe. */
const NOT_DOCUMENTED = ["GET /api/v1/openapi.json", "GET /docs", "GET /health"];

/** `METHOD /path` of every operation the app answers (not the 405 catch-alls nor middleware). */
function servedRoutes(): string[] {
  const routes = createApp()
    .routes.filter((r) => r.method !== "ALL")
    .map((r) => `${r.method} ${r.path.replaceAll(/:(\w+)/g, "{$1}")}`);
  return [...new Set(routes)];
}

/** `METHOD /path` of every operation in the document, with /api/v1 put back where the server strips it. */
function documentedRoutes(doc: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    ["get", "post", "put", "patch", "delete"]
      .filter((method) => item[method] !== undefined)
      .map((method) => `${method.toUpperCase()} ${item.servers ? path : `/api/v1${path}`}`),
  );
}

describe("the document covers the app", () => {
  it("documents every route the app serves, and nothing it does not", async () => {
    const doc = await fetchDocument();
    const served = servedRoutes();
    const documented = documentedRoutes(doc);
    expect(served.filter((r) => !NOT_DOCUMENTED.includes(r) && !documented.includes(r))).toEqual([]);
    expect(documented.filter((r) => !served.includes(r))).toEqual([]);
    // The exceptions are real routes: the list cannot outlive them.
    expect(served).toEqual(expect.arrayContaining(NOT_DOCUMENTED));
    expect(served).toEqual(expect.arrayContaining(["GET /auth", "POST /auth", "POST /api/v1/auth/keys"]));
  });

  it("documents the /auth page: its query parameters, HTML answers, served from / (not /api/v1)", async () => {
    const doc = await fetchDocument();
    const item = doc.paths["/auth"];
    expect(item.servers).toEqual([{ url: "/" }]);
    const page = item.get;
    expect(page.security).toEqual([]);
    expect(page.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual([
      "query:callback_url",
      "query:code_challenge",
      "query:code_challenge_method",
      "query:key_label",
      "query:limit",
    ]);
    expect(page.parameters.every((p: { required: boolean }) => p.required === false)).toBe(true);
    const param = (name: string) => page.parameters.find((p: { name: string }) => p.name === name).schema;
    expect(param("code_challenge_method").enum).toEqual(["S256", "plain"]);
    expect(param("limit").type).toBe("number");
    expect(Object.keys(page.responses)).toEqual(["200", "400"]);
    expect(Object.keys(page.responses["200"].content)).toEqual(["text/html"]);

    const form = item.post;
    expect(form.security).toEqual([]);
    expect(schemaName(form.requestBody.content["application/x-www-form-urlencoded"].schema)).toBe(
      "AuthApprovalForm",
    );
    expect(doc.components.schemas.AuthApprovalForm.required).toEqual(["api_key"]);
    expect(form.responses["303"].headers).toHaveProperty("Location");
    expect(Object.keys(form.responses).sort()).toEqual(["200", "303", "400", "401", "403", "413", "503"]);
  });

  it("documents the OAuth API routes as they answer: who may call, what they take, how they refuse", async () => {
    const doc = await fetchDocument();
    const exchange = doc.paths["/auth/keys"].post;
    expect(Object.keys(exchange.responses).sort()).toEqual(["200", "400", "403"]);
    expect(exchange.responses["403"].description).toMatch(/Invalid authorization code or code_verifier/);
    expect(exchange.description).toMatch(/not at all after 5 refused attempts/);
    const request = doc.components.schemas.ExchangeAuthCodeRequest;
    expect(request.required).toEqual(["code"]);
    expect(Object.keys(request.properties)).toEqual(["code", "code_verifier", "code_challenge_method"]);
    expect(request.properties.code_challenge_method.enum).toEqual(["S256", "plain", null]);
    expect(doc.components.schemas.ExchangeAuthCodeResponse.required).toEqual(["key", "user_id"]);

    const create = doc.paths["/auth/keys/code"].post;
    expect(Object.keys(create.responses).sort()).toEqual(["200", "400", "401", "403", "503"]);
    expect(create.responses["403"].description).toMatch(/admin token.*workspace_id/);
    expect(doc.components.schemas.CreateAuthCodeRequest.required).toEqual(["callback_url"]);
    expect(schemaName(create.responses["200"].content["application/json"].schema)).toBe(
      "CreateAuthCodeResponse",
    );
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
