/**
 * Validates a catalog file's JSON against `catalogSchema` and, when it fails, says where:
 * every problem as `FILE: json.path[3].field: what was expected`, so an operator can fix the
 * file without reading zod output.
 */
import type { z } from "zod";
import { type Catalog, catalogSchema } from "./schema";

/** Issues listed in one error message; the rest are counted. */
const MAX_LISTED_ISSUES = 10;

/** Thrown for a catalog that does not validate; `issues` holds one formatted line per problem. */
export class CatalogError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly string[],
  ) {
    const listed = issues.slice(0, MAX_LISTED_ISSUES);
    const more = issues.length - listed.length;
    super(
      [
        `${source}: invalid catalog (${issues.length} ${issues.length === 1 ? "problem" : "problems"})`,
        ...listed.map((line) => `  ${line}`),
        ...(more > 0 ? [`  … and ${more} more`] : []),
      ].join("\n"),
    );
    this.name = "CatalogError";
  }
}

/**
 * Parses an already-decoded JSON value as a catalog, applying the schema's defaults.
 * @throws CatalogError naming `source`, the JSON path and the problem, for every issue found.
 */
export function parseCatalog(json: unknown, source: string): Catalog {
  const result = catalogSchema.safeParse(json, { reportInput: true });
  if (result.success) return result.data;
  throw new CatalogError(
    source,
    result.error.issues.map((issue) => `${source}: ${formatPath(issue.path)}: ${describe(issue)}`),
  );
}

/** Decodes catalog file text (JSON) and parses it; a syntax error also names the file. */
export function parseCatalogText(text: string, source: string): Catalog {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CatalogError(source, [`${source}: not valid JSON: ${(err as Error).message}`]);
  }
  // Postgres stores no NUL in text: a catalog with one would validate and then fail to load.
  if (text.includes("\0") || /(^|[^\\])(\\\\)*\\u0000/.test(text))
    throw new CatalogError(source, [`${source}: contains a NUL character (\\u0000), which cannot be stored`]);
  return parseCatalog(json, source);
}

/** `["endpoints", 3, "pricing", "prompt"]` → `endpoints[3].pricing.prompt`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || "(root)";
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      // A missing field reads better as "required" than as "received undefined".
      if (issue.input === undefined) return `required (${issue.expected})`;
      return issue.message;
    case "unrecognized_keys":
      return `unknown ${issue.keys.length === 1 ? "field" : "fields"} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    default:
      return issue.message;
  }
}
