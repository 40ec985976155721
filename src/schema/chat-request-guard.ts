/**
 * Fast path for the most common chat request: a model (or models), plain-text messages and a few
 * sampling fields. `chatRequestSchema.safeParse` was ~8% of a request's CPU in workerd (profile of
 * 2026-11-28 02:21 in bench/RESULTS.md); this guard answers "surely valid as is" for that shape
 * and nothing else — any other field, any content parts, tool calls or out-of-range value go to
 * zod, so every refusal and every default stays zod's. test/unit/schema/chat-request-guard.test.ts
 * checks that whatever it accepts, zod accepts with the same data.
 */
import type { ChatRequest } from "./chat-request";

type Loose = Record<string, unknown>;

const isObject = (v: unknown): v is Loose => typeof v === "object" && v !== null && !Array.isArray(v);
const isModelId = (v: unknown): boolean => typeof v === "string" && v.length >= 1 && v.length <= 200;
const isNumberIn = (v: unknown, min: number, max: number): boolean =>
  typeof v === "number" && Number.isFinite(v) && v >= min && v <= max;
const isPositiveInt = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0;

/** An indexed loop, not `every`: `every` skips holes, which zod reads as `undefined`. */
function isArrayOf(v: unknown, min: number, max: number, check: (item: unknown) => boolean): boolean {
  if (!Array.isArray(v) || v.length < min || v.length > max) return false;
  for (let i = 0; i < v.length; i++) if (!check(v[i])) return false;
  return true;
}

/** `stream_options` as the OpenAI SDKs send it: `{include_usage: boolean}`, `{}` or null. */
function isStreamOptions(v: unknown): boolean {
  if (v === null) return true;
  if (!isObject(v)) return false;
  for (const key in v) if (key !== "include_usage" || typeof v[key] !== "boolean") return false;
  return true;
}

const PLAIN_ROLES = new Set(["system", "developer", "user", "assistant"]);

/** `{role, content: string}` (and an optional `name`) of a role whose schema takes exactly that. */
function isPlainMessage(m: unknown): boolean {
  if (!isObject(m) || typeof m.role !== "string" || !PLAIN_ROLES.has(m.role)) return false;
  for (const key in m) {
    const v = m[key];
    if (key === "role") continue;
    if (key === "content" ? typeof v !== "string" : key !== "name" || typeof v !== "string") return false;
  }
  return typeof m.content === "string";
}

/**
 * Top-level fields the guard knows, each with the exact check the schema makes; any other → zod.
 * A Map, not an object literal: a `__proto__` key must not find Object.prototype.
 */
const FIELDS = new Map<string, (v: unknown) => boolean>([
  ["model", isModelId],
  ["models", (v) => isArrayOf(v, 1, 16, isModelId)],
  ["messages", (v) => isArrayOf(v, 1, Number.POSITIVE_INFINITY, isPlainMessage)],
  ["stream", (v) => typeof v === "boolean"],
  ["stream_options", isStreamOptions],
  ["max_tokens", isPositiveInt],
  ["max_completion_tokens", isPositiveInt],
  ["temperature", (v) => isNumberIn(v, 0, 2)],
  ["top_p", (v) => isNumberIn(v, Number.MIN_VALUE, 1)],
  ["seed", (v) => Number.isSafeInteger(v)],
  ["user", (v) => typeof v === "string" && v.length <= 256],
]);

/** A request zod would surely accept unchanged. */
export function isPlainChatRequest(body: unknown): body is ChatRequest {
  if (!isObject(body)) return false;
  for (const key in body) {
    const check = FIELDS.get(key);
    if (!check?.(body[key])) return false;
  }
  // The schema's refinement: a model or a list of models.
  return body.messages !== undefined && (body.model !== undefined || body.models !== undefined);
}
