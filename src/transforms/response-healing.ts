/**
 * OpenRouter's `response-healing` plugin: a non-streamed answer to a request for JSON
 * (`response_format` `json_object` or `json_schema`) has its message content repaired
 * (./json-repair.ts) before the client sees it. A stream is never healed — its chunks are the
 * client's before the whole text is known — and neither is an answer to a request for text.
 *
 * @see https://openrouter.ai/docs/guides/features/plugins/response-healing
 */
import type { Choice } from "../schema/chat-completion";
import type { ChatRequest } from "../schema/chat-request";
import { JSON_REPAIRS, type JsonRepair, repairJson } from "./json-repair";

export const RESPONSE_HEALING = "response-healing";

/** What healing did to an answer, when it found content that was not JSON as it stood. */
export interface HealingReport {
  /** Choices whose content was repaired. */
  healed: number;
  /** Choices whose content could not be repaired, and was left as the model wrote it. */
  unrepairable: number;
  /** The choices: how many, for the summary. */
  choices: number;
  /** Every kind of repair made, over all choices. */
  repairs: JsonRepair[];
}

/** The plugin is listed and not `enabled: false`, the request is not streamed, and it asks for JSON. */
export function responseHealingRequested(req: ChatRequest): boolean {
  if (req.stream === true) return false;
  const format = req.response_format?.type;
  if (format !== "json_object" && format !== "json_schema") return false;
  return req.plugins?.some((p) => p.id === RESPONSE_HEALING && p.enabled !== false) ?? false;
}

/**
 * The choices as the client gets them, and a report when any content was not JSON as it stood;
 * `undefined` when the request did not ask for healing. Content that parses is left as it is
 * (the same string), a choice without text content (tool calls, a refusal) too, and content
 * that cannot be repaired stays as the model wrote it: healing never replaces an answer.
 */
export function healResponse(
  req: ChatRequest,
  choices: readonly Choice[],
): { choices: Choice[]; report: HealingReport | undefined } | undefined {
  if (!responseHealingRequested(req)) return undefined;
  let healed = 0;
  let unrepairable = 0;
  const repairs = new Set<JsonRepair>();
  const out = choices.map((choice) => {
    const content = choice.message.content;
    if (typeof content !== "string") return choice;
    const result = repairJson(content);
    if (result.status === "valid") return choice;
    if (result.status === "unrepairable") {
      unrepairable++;
      return choice;
    }
    healed++;
    for (const r of result.repairs) repairs.add(r);
    return { ...choice, message: { ...choice.message, content: result.text } };
  });
  const report =
    healed + unrepairable === 0
      ? undefined
      : {
          healed,
          unrepairable,
          choices: choices.length,
          repairs: JSON_REPAIRS.filter((r) => repairs.has(r)),
        };
  return { choices: out, report };
}
