/**
 * The OpenAPI document (`GET /api/v1/openapi.json`) and its human-readable rendering (`GET /docs`),
 * both generated from the routes declared with `createRoute`, so they cannot drift from what
 * the code validates. Routes under /api/v1 are listed relative to the server `/api/v1` (as
 * OpenRouter's document does, so SDK generators get the right base URL); any other declared
 * route keeps its full path and a path-level server `/`.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { ERROR_TYPES } from "../errors";
import { availabilitySchema } from "../schema/availability";
import { escapeHtml as esc } from "./html";

export const API_PREFIX = "/api/v1";
const SECURITY_SCHEME = "bearerAuth";

/** Security requirement of routes that need a key; `[]` marks a public route. */
export const bearerAuth = [{ [SECURITY_SCHEME]: [] }];

/** The single error envelope (src/errors.ts `errorBody`). */
export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.number().int().openapi({ description: "The HTTP status" }),
      message: z.string(),
      metadata: z
        .object({ error_type: z.enum(ERROR_TYPES) })
        .catchall(z.unknown())
        .openapi({ description: "error_type, and provider_name / raw / issues where they apply" }),
      availability: availabilitySchema.optional().openapi({
        description: "Why a model could not be served (unknown model, every endpoint filtered out)",
      }),
    }),
  })
  .openapi("ErrorResponse");

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid request (the message names the field)",
  401: "Missing, unknown, disabled or expired key",
  402: "Insufficient credits or key limit reached",
  403: "The key may not use this endpoint",
  404: "Not found",
  503: "Key store or catalog unavailable",
};

/** A `responses` entry in the error envelope, for a route whose refusal needs its own words. */
export function errorResponseWith(description: string) {
  return { description, content: { "application/json": { schema: errorResponseSchema } } };
}

/** `responses` entries for the given error statuses, all in the error envelope. */
export function errorResponses<S extends number>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((s) => [s, errorResponseWith(ERROR_DESCRIPTIONS[s] ?? "Error")]),
  ) as Record<S, ReturnType<typeof errorResponseWith>>;
}

type Document = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;

/** Builds the document from everything mounted on `app` so far (call it after mounting). */
export function buildOpenApiDocument(app: OpenAPIHono<AppEnv>): Document {
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Switchyard",
      version: "0.1.0",
      description:
        "An OpenRouter-compatible LLM routing gateway: one key, one OpenAI-compatible endpoint, many providers.",
    },
    servers: [{ url: API_PREFIX, description: "This gateway" }],
  });
  const paths: NonNullable<Document["paths"]> = {};
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (path.startsWith(`${API_PREFIX}/`)) paths[path.slice(API_PREFIX.length)] = item;
    else paths[path] = { ...item, servers: [{ url: "/" }] };
  }
  return {
    ...doc,
    paths,
    components: {
      ...doc.components,
      securitySchemes: {
        ...doc.components?.securitySchemes,
        [SECURITY_SCHEME]: {
          type: "http",
          scheme: "bearer",
          description: "An API key (sk-sy-v1-…) or, for /keys, the admin token (sk-sy-mgmt-v1-…)",
        },
      },
    },
  };
}

/**
 * Serves the document and the /docs page. The document is built on first use, when every
 * router (including ones mounted after this call) is in place, and kept for the isolate's life.
 */
export function mountDocs(app: OpenAPIHono<AppEnv>): void {
  let doc: Document | undefined;
  const document = () => {
    doc ??= buildOpenApiDocument(app);
    return doc;
  };
  app.get(`${API_PREFIX}/openapi.json`, (c) => c.json(document()));
  app.get("/docs", (c) => c.html(renderDocsPage(document())));
}

// ---------------------------------------------------------------------------------------------
// /docs: a self-contained page (no scripts, no CDN) rendered from the document.

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"] as const;

type Json = Record<string, unknown>;

function isJson(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A schema in one phrase: its component name, `Name[]`, or its type. */
export function schemaName(schema: unknown): string {
  if (!isJson(schema)) return "any";
  if (typeof schema.$ref === "string") return schema.$ref.split("/").pop() ?? schema.$ref;
  if (schema.type === "array") return `${schemaName(schema.items)}[]`;
  for (const key of ["anyOf", "oneOf"] as const) {
    const parts = schema[key];
    if (Array.isArray(parts)) return parts.map(schemaName).join(" | ");
  }
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if (typeof schema.type === "string") return schema.type === "object" ? "object (inline)" : schema.type;
  return "any";
}

function jsonSchemaOf(content: unknown): unknown {
  if (!isJson(content)) return undefined;
  const media = content["application/json"] ?? Object.values(content)[0];
  return isJson(media) ? media.schema : undefined;
}

function renderOperation(path: string, method: string, op: Json, base: string): string {
  const params = Array.isArray(op.parameters) ? (op.parameters as Json[]) : [];
  const secured = Array.isArray(op.security) ? op.security.length > 0 : false;
  const rows = params
    .map(
      (p) =>
        `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? "yes" : "no"}</td>` +
        `<td><code>${esc(schemaName(p.schema))}</code></td><td>${esc(p.description ?? "")}</td></tr>`,
    )
    .join("");
  const body = isJson(op.requestBody) ? jsonSchemaOf(op.requestBody.content) : undefined;
  const responses = isJson(op.responses) ? Object.entries(op.responses) : [];
  const id = `${method}-${path}`.replaceAll(/[^a-zA-Z0-9]+/g, "-");
  return `<section class="op" id="${esc(id)}">
<h3><span class="m m-${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(base + path)}</code>${op.deprecated ? " <small>(deprecated)</small>" : ""}</h3>
${op.summary ? `<p class="summary">${esc(op.summary)}</p>` : ""}${op.description ? `<p>${esc(op.description)}</p>` : ""}
<p class="auth">${secured ? "Requires <code>Authorization: Bearer &lt;key&gt;</code>" : "Public"}</p>
${rows ? `<table><thead><tr><th>Parameter</th><th>In</th><th>Required</th><th>Type</th><th>Description</th></tr></thead><tbody>${rows}</tbody></table>` : ""}
${body !== undefined ? `<p>Request body: <code>${esc(schemaName(body))}</code></p>` : ""}
<ul class="responses">${responses
    .map(([status, r]) => {
      const schema = isJson(r) ? jsonSchemaOf(r.content) : undefined;
      const description = isJson(r) ? (r.description ?? "") : "";
      return `<li><b>${esc(status)}</b> ${schema !== undefined ? `<code>${esc(schemaName(schema))}</code> ` : ""}${esc(description)}</li>`;
    })
    .join("")}</ul>
</section>`;
}

function renderSchema(name: string, schema: unknown): string {
  const props = isJson(schema) && isJson(schema.properties) ? Object.entries(schema.properties) : [];
  const required = new Set(isJson(schema) && Array.isArray(schema.required) ? schema.required : []);
  const rows = props
    .map(
      ([prop, s]) =>
        `<tr><td><code>${esc(prop)}</code></td><td><code>${esc(schemaName(s))}</code></td>` +
        `<td>${required.has(prop) ? "yes" : "no"}</td><td>${esc(isJson(s) ? (s.description ?? "") : "")}</td></tr>`,
    )
    .join("");
  return `<section class="schema" id="schema-${esc(name)}"><h3>${esc(name)}</h3>${
    rows
      ? `<table><thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>${rows}</tbody></table>`
      : `<p><code>${esc(schemaName(schema))}</code></p>`
  }</section>`;
}

/** The whole page: every operation with method, path, summary, parameters and schema names. */
export function renderDocsPage(doc: Document): string {
  const base = doc.servers?.[0]?.url ?? "";
  const ops: string[] = [];
  const toc: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!isJson(item)) continue;
    const prefix = Array.isArray(item.servers) ? "" : base;
    for (const method of METHODS) {
      const op = item[method];
      if (!isJson(op)) continue;
      const id = `${method}-${path}`.replaceAll(/[^a-zA-Z0-9]+/g, "-");
      toc.push(
        `<li><a href="#${esc(id)}"><span class="m m-${method}">${method.toUpperCase()}</span> ${esc(prefix + path)}</a></li>`,
      );
      ops.push(renderOperation(path, method, op, prefix));
    }
  }
  const schemas = Object.entries(doc.components?.schemas ?? {}).map(([n, s]) => renderSchema(n, s));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:1rem 1.5rem;color:#1b1f24}
code{font:13px ui-monospace,monospace;background:#f3f4f6;padding:0 .25em;border-radius:3px}
table{border-collapse:collapse;margin:.5rem 0;width:100%}td,th{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
.op,.schema{border-top:1px solid #d0d7de;padding:.5rem 0}.m{font:bold 12px ui-monospace,monospace;padding:.1em .4em;border-radius:3px;color:#fff;background:#57606a}
.m-get{background:#1f6feb}.m-post{background:#1a7f37}.m-patch{background:#9a6700}.m-delete{background:#cf222e}
.summary{font-weight:600}.auth{color:#57606a;font-size:13px}ul.toc{columns:2;list-style:none;padding:0}ul.toc a{text-decoration:none}
</style></head><body>
<h1>${esc(doc.info.title)} API reference</h1>
<p>${esc(doc.info.description ?? "")}</p>
<p>Base URL: <code>${esc(base)}</code> · OpenAPI ${esc(doc.openapi)} document: <a href="${esc(`${API_PREFIX}/openapi.json`)}"><code>${esc(`${API_PREFIX}/openapi.json`)}</code></a></p>
<h2>Endpoints</h2><ul class="toc">${toc.join("")}</ul>
${ops.join("\n")}
<h2>Schemas</h2>
${schemas.join("\n")}
</body></html>`;
}
