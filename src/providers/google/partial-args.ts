/**
 * Vertex AI's streamed function arguments (`functionCall.partialArgs[]`, with
 * `streamFunctionCallArguments`): each item names one value by JSON path (RFC 9535, e.g.
 * `$.location`, `$.stops[0].city`) and strings arrive in pieces to be appended. We rebuild the
 * arguments object from them. Fixture: vertex-stream-function-call-partial-args.chunks.jsonl,
 * where `"Boston"` then `""` (the end of the string) build `{"location":"Boston"}`.
 *
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/Content#PartialArg
 */
import type { PartialArg } from "./wire";

type Segment = string | number;

/** `$.a.b[0]['c d']` → `["a", "b", 0, "c d"]`; undefined for paths we cannot read. */
function parsePath(path: string): Segment[] | undefined {
  if (!path.startsWith("$")) return undefined;
  const segments: Segment[] = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]/gy;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) return undefined;
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push((m[3] ?? m[4] ?? "").replace(/\\(.)/g, "$1"));
  }
  return segments;
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === "object" && value !== null;
}

function get(container: Container, key: Segment): unknown {
  return Array.isArray(container) ? container[Number(key)] : container[String(key)];
}

function put(container: Container, key: Segment, value: unknown): void {
  if (Array.isArray(container)) container[Number(key)] = value;
  else container[String(key)] = value;
}

function argValue(arg: PartialArg): { value: unknown } | undefined {
  if (arg.stringValue != null) return { value: arg.stringValue };
  if (arg.numberValue != null) return { value: arg.numberValue };
  if (arg.boolValue != null) return { value: arg.boolValue };
  if ("nullValue" in arg) return { value: null };
  return undefined;
}

/** Applies one event's partial arguments to `args` in place; string pieces are appended. */
export function applyPartialArgs(args: Record<string, unknown>, partials: readonly PartialArg[]): void {
  for (const arg of partials) {
    const path = parsePath(arg.jsonPath ?? "");
    const found = argValue(arg);
    if (!path || path.length === 0 || !found) continue;
    let container: Container = args;
    for (const [i, key] of path.slice(0, -1).entries()) {
      let next = get(container, key);
      if (!isContainer(next)) {
        next = typeof path[i + 1] === "number" ? [] : {};
        put(container, key, next);
      }
      container = next as Container;
    }
    const last = path.at(-1) as Segment;
    const previous = get(container, last);
    const value =
      typeof found.value === "string" && typeof previous === "string" ? previous + found.value : found.value;
    put(container, last, value);
  }
}
