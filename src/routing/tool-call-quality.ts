/**
 * Tool-call quality (API.md b4, Auto Exacto): of the tool calls a model made, how many were
 * broken — a function the request did not offer, `arguments` that are not JSON, or arguments
 * that do not validate against the tool's `parameters` (JSON Schema Draft 7). The counts land
 * on the generation row and roll up per endpoint (migrations/0006_*), where routing reads an
 * error rate (catalog/measured.ts).
 *
 * Runs when the generation is settled, after the answer went out, and only for requests that
 * offered tools: the validator is imported on first use, so a request without tools never loads
 * or evaluates it. Nothing here throws: a schema the validator cannot use leaves its calls
 * unchecked, neither good nor broken.
 */
import type { Tool } from "../schema/chat-request";

/** A finished call as the model made it: the name and the complete `arguments` string. */
export interface MadeToolCall {
  name: string;
  arguments: string;
}

/** The offered tools, by function name: what a call is checked against. */
export type OfferedTools = ReadonlyMap<string, Record<string, unknown> | undefined>;

export interface ToolCallTally {
  /** Calls that were checked (a call whose schema could not be used is not counted). */
  calls: number;
  /** Of those, the broken ones. */
  errors: number;
}

export const NO_TOOL_CALLS: ToolCallTally = { calls: 0, errors: 0 };

/** The request's tools by name; undefined when it offered none, so nothing is collected. */
export function offeredTools(tools: readonly Tool[] | undefined): OfferedTools | undefined {
  if (tools === undefined || tools.length === 0) return undefined;
  return new Map(tools.map((t) => [t.function.name, t.function.parameters]));
}

/**
 * A stream's tool calls, put together from their fragments per choice and per call index
 * (OpenAI streams a call's name once and its `arguments` in pieces). Created only for a request
 * with tools.
 */
export class ToolCallFragments {
  private readonly byChoice = new Map<number, Map<number, MadeToolCall>>();

  add(
    choice: number,
    deltas: readonly { index: number; function?: { name?: string; arguments?: string } | undefined }[],
  ): void {
    let calls = this.byChoice.get(choice);
    if (calls === undefined) {
      calls = new Map();
      this.byChoice.set(choice, calls);
    }
    for (const delta of deltas) {
      let call = calls.get(delta.index);
      if (call === undefined) {
        call = { name: "", arguments: "" };
        calls.set(delta.index, call);
      }
      if (delta.function?.name) call.name += delta.function.name;
      if (delta.function?.arguments) call.arguments += delta.function.arguments;
    }
  }

  calls(): MadeToolCall[] {
    return [...this.byChoice.values()].flatMap((calls) => [...calls.values()]);
  }
}

type Check = (parameters: Record<string, unknown>, value: unknown) => boolean | undefined;

let loadedCheck: Promise<Check> | undefined;

/** The Draft 7 validator, loaded once per isolate on the first call that needs it. */
function schemaCheck(): Promise<Check> {
  loadedCheck ??= import("@cfworker/json-schema").then(({ Validator }) => {
    return (parameters, value) => {
      try {
        // Not short-circuited: it is the verdict that counts, and `false` stops at the first error anyway.
        return new Validator(parameters, "7", true).validate(value).valid;
      } catch {
        // An unresolvable $ref, an invalid `pattern`: the schema's fault, not the model's.
        return undefined;
      }
    };
  });
  return loadedCheck;
}

/** Whether a call is broken; undefined when it could not be checked. */
function broken(call: MadeToolCall, tools: OfferedTools, check: Check | undefined): boolean | undefined {
  if (!tools.has(call.name)) return true;
  let args: unknown;
  try {
    // An empty string is how some providers send a call without arguments: `{}`.
    args = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
  } catch {
    return true;
  }
  const parameters = tools.get(call.name);
  if (parameters === undefined) return false; // no schema: any JSON will do
  if (check === undefined) return undefined;
  const valid = check(parameters, args);
  return valid === undefined ? undefined : !valid;
}

/** Counts the checked and the broken calls. Never rejects. */
export async function tallyToolCalls(
  calls: readonly MadeToolCall[],
  tools: OfferedTools,
): Promise<ToolCallTally> {
  if (calls.length === 0) return NO_TOOL_CALLS;
  let check: Check | undefined;
  try {
    check = await schemaCheck();
  } catch {
    loadedCheck = undefined; // names and JSON are still checked; the next call tries the import again
  }
  let checked = 0;
  let errors = 0;
  for (const call of calls) {
    const verdict = broken(call, tools, check);
    if (verdict === undefined) continue;
    checked++;
    if (verdict) errors++;
  }
  return { calls: checked, errors };
}
