/**
 * Parameters an endpoint does not support are dropped before the adapter sees the request
 * (OpenRouter does the same, API.md b2), so a provider never fails on a knob it lacks.
 * Under `provider.require_parameters` such endpoints were already filtered out by the plan.
 */
import type { ChatRequest } from "../schema/chat-request";

/** Request fields governed by each `supported_parameters` name. */
const FIELDS_BY_PARAMETER: Record<string, readonly (keyof ChatRequest)[]> = {
  max_tokens: ["max_tokens", "max_completion_tokens"],
  temperature: ["temperature"],
  top_p: ["top_p"],
  top_k: ["top_k"],
  frequency_penalty: ["frequency_penalty"],
  presence_penalty: ["presence_penalty"],
  repetition_penalty: ["repetition_penalty"],
  min_p: ["min_p"],
  top_a: ["top_a"],
  seed: ["seed"],
  logit_bias: ["logit_bias"],
  logprobs: ["logprobs"],
  top_logprobs: ["top_logprobs"],
  stop: ["stop"],
  response_format: ["response_format"],
  tools: ["tools"],
  tool_choice: ["tool_choice"],
  parallel_tool_calls: ["parallel_tool_calls"],
  verbosity: ["verbosity"],
  reasoning: ["reasoning", "reasoning_effort", "include_reasoning"],
};

/** The table as pairs, made once: this runs for every attempt of every request. */
const PARAMETER_FIELDS = Object.entries(FIELDS_BY_PARAMETER);

/** A copy of `req` without the fields of parameters `supported` does not list. */
export function dropUnsupportedParameters(req: ChatRequest, supported: readonly string[]): ChatRequest {
  let out: ChatRequest | undefined;
  for (const [parameter, fields] of PARAMETER_FIELDS) {
    if (supported.includes(parameter)) continue;
    for (const field of fields) {
      if (req[field] === undefined) continue;
      out ??= { ...req };
      delete out[field];
    }
  }
  // Without tools, tool_choice is meaningless and some providers reject it.
  if (out?.tools === undefined && out?.tool_choice !== undefined) delete out.tool_choice;
  return out ?? req;
}
