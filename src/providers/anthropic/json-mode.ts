import type { ChatRequest } from "../../schema/chat-request";

/** The synthetic tool standing in for `response_format` (the Messages API has no such field). */
export interface JsonModeTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/**
 * `response_format` json_schema / json_object becomes one tool the model is made to call; its
 * `input` is then returned as the message content (JSON text) with finish_reason `stop`. This is
 * the established way to get schema-shaped JSON from Claude without a beta header, and it is
 * exact where a "reply in JSON" instruction is only likely.
 *
 * Not applied when the request brings its own callable tools: forcing our tool would stop the
 * model from calling theirs, so then response_format is dropped (tools win).
 *
 * Request, response and stream all derive it from the request, so they agree on the name.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/tool-use/overview#json-mode
 */
export function jsonModeTool(req: ChatRequest): JsonModeTool | undefined {
  const format = req.response_format;
  if (format === undefined || format.type === "text") return undefined;
  if ((req.tools?.length ?? 0) > 0 && req.tool_choice !== "none") return undefined;
  if (format.type === "json_object") {
    return { name: "json", description: "Respond with a JSON object.", inputSchema: { type: "object" } };
  }
  const spec = format.json_schema;
  return {
    name: spec.name,
    description: spec.description ?? `Respond with JSON matching the ${spec.name} schema.`,
    inputSchema: spec.schema ?? { type: "object" },
  };
}
