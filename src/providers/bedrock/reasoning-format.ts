/**
 * The `format` stamped on reasoning_details this adapter emits (API.md b6). Claude on Bedrock
 * returns Anthropic's own thinking signatures, so those details are tagged `anthropic-claude-v1`
 * and can be replayed to Anthropic's API as well as back here; other Bedrock models that reason
 * (DeepSeek R1, gpt-oss…) get `bedrock-converse-v1`. Both are accepted back in requests.
 */
export const BEDROCK_FORMAT = "bedrock-converse-v1";
export const ANTHROPIC_FORMAT = "anthropic-claude-v1";

export function isClaude(providerModelId: string): boolean {
  // `anthropic.claude-…`, `us.anthropic.claude-…`, `global.…`, or an inference-profile ARN ending so.
  return /(^|[.:/])anthropic\./.test(providerModelId);
}

export function reasoningFormat(providerModelId: string): string {
  return isClaude(providerModelId) ? ANTHROPIC_FORMAT : BEDROCK_FORMAT;
}

/**
 * True when the client wants reasoning done but not shown (`reasoning.exclude`, legacy
 * `include_reasoning: false`): the model still thinks (and bills), the output carries none of it.
 */
export function hidesReasoning(req: {
  reasoning?: { exclude?: boolean | undefined } | undefined;
  include_reasoning?: boolean | undefined;
}): boolean {
  return req.reasoning?.exclude === true || req.include_reasoning === false;
}
