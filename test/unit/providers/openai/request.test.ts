import { describe, expect, it } from "vitest";
import { openaiAdapter } from "../../../../src/providers/openai";
import { type ChatRequest, chatRequestSchema } from "../../../../src/schema/chat-request";
import { baseRequest, vendorTarget } from "./targets";

type Target = ReturnType<typeof vendorTarget>;

async function upstream(req: Partial<ChatRequest> & Record<string, unknown>, target: Target, stream = false) {
  const parsed = chatRequestSchema.parse({ ...baseRequest, ...req });
  const out = await openaiAdapter.toProviderRequest(parsed, target, { stream });
  return { ...out, json: JSON.parse(out.body) as Record<string, unknown> };
}

const reasoningTarget = (slug: string, providerModelId?: string) =>
  vendorTarget(slug, { supportedParameters: ["reasoning", "max_tokens"], providerModelId });

describe("openai request mapping", () => {
  it("posts to <baseUrl>/chat/completions with the provider's model id and a Bearer key", async () => {
    const out = await upstream({}, vendorTarget("groq", { providerModelId: "llama-3.3-70b-versatile" }));
    expect(out.url).toBe("https://api.groq.com/openai/v1/chat/completions");
    expect(out.headers.authorization).toBe("Bearer sk-test-SECRET-0123456789abcdef");
    expect(out.json).toMatchObject({
      model: "llama-3.3-70b-versatile",
      messages: [{ role: "user", content: "Hello" }],
    });
  });

  it("sends no Authorization header to a keyless local server", async () => {
    const out = await upstream({}, { ...vendorTarget("ollama"), apiKey: undefined });
    expect(out.url).toBe("http://localhost:11434/v1/chat/completions");
    expect(out.headers).not.toHaveProperty("authorization");
  });

  it("does not double the slash when the base URL ends with one", async () => {
    const target = vendorTarget("vllm");
    target.provider.baseUrl = "http://127.0.0.1:8000/v1/";
    expect((await upstream({}, target)).url).toBe("http://127.0.0.1:8000/v1/chat/completions");
  });

  it("strips OpenRouter-only fields and passes unknown fields through", async () => {
    const { json } = await upstream(
      {
        models: ["a/b", "c/d"],
        provider: { order: ["groq"] },
        route: "fallback",
        transforms: ["middle-out"],
        plugins: [{ id: "web" }],
        usage: { include: true },
        session_id: "s1",
        include_reasoning: true,
        reasoning: { effort: "high" },
        preset: "p",
        trace: { id: "t" },
        debug: { echo_upstream_body: true },
        cache_control: { type: "ephemeral", ttl: "1h" },
        stop_server_tools_when: { max_calls: 3 },
        temperature: 0.2,
        guided_json: { type: "object" },
        top_k: 40,
      },
      vendorTarget("together"),
    );
    for (const key of [
      "models",
      "provider",
      "route",
      "transforms",
      "plugins",
      "usage",
      "session_id",
      "include_reasoning",
      "reasoning",
      "reasoning_effort",
      "preset",
      "trace",
      "debug",
      "cache_control",
      "stop_server_tools_when",
      "stream",
      "stream_options",
    ]) {
      expect(json).not.toHaveProperty(key);
    }
    expect(json).toMatchObject({ temperature: 0.2, guided_json: { type: "object" }, top_k: 40 });
  });

  it("streams with include_usage, keeping the client's other stream options", async () => {
    const { json, headers } = await upstream(
      { stream: true, stream_options: { include_obfuscation: false } },
      vendorTarget("openai"),
      true,
    );
    expect(json).toMatchObject({
      stream: true,
      stream_options: { include_usage: true, include_obfuscation: false },
    });
    expect(headers.accept).toBe("text/event-stream");
  });

  it("does not send stream_options to Mistral, which rejects unknown fields", async () => {
    const { json } = await upstream({ stream: true }, vendorTarget("mistral"), true);
    expect(json.stream).toBe(true);
    expect(json).not.toHaveProperty("stream_options");
  });

  it("leaves stream out of a non-streaming body even when the client said stream:true", async () => {
    const { json } = await upstream({ stream: true }, vendorTarget("openai"), false);
    expect(json).not.toHaveProperty("stream");
  });

  it.each([
    ["openai", { max_completion_tokens: 100 }, "max_tokens"],
    ["groq", { max_tokens: 100 }, "max_completion_tokens"],
    ["deepseek", { max_tokens: 100 }, "max_completion_tokens"],
  ])("%s: max_tokens is sent as %o", async (slug, expected, absent) => {
    const { json } = await upstream({ max_tokens: 100 }, vendorTarget(slug));
    expect(json).toMatchObject(expected);
    expect(json).not.toHaveProperty(absent);
  });

  it("openai: an explicit max_completion_tokens wins over max_tokens", async () => {
    const { json } = await upstream({ max_tokens: 100, max_completion_tokens: 50 }, vendorTarget("openai"));
    expect(json).toMatchObject({ max_completion_tokens: 50 });
    expect(json).not.toHaveProperty("max_tokens");
  });

  it.each<[string, string | undefined, Partial<ChatRequest>, Record<string, unknown>]>([
    ["openai", undefined, { reasoning: { effort: "high" } }, { reasoning_effort: "high" }],
    ["openai", undefined, { reasoning_effort: "minimal" }, { reasoning_effort: "minimal" }],
    ["openai", undefined, { reasoning: { effort: "max" } }, { reasoning_effort: "xhigh" }],
    ["openai", undefined, { reasoning: { enabled: true } }, { reasoning_effort: "medium" }],
    ["openai", undefined, { reasoning: { enabled: false } }, { reasoning_effort: "none" }],
    ["openai", undefined, { reasoning: { max_tokens: 800 }, max_tokens: 1000 }, { reasoning_effort: "high" }],
    ["xai", "grok-3-mini", { reasoning: { effort: "medium" } }, { reasoning_effort: "high" }],
    ["xai", "grok-3-mini", { reasoning: { effort: "minimal" } }, { reasoning_effort: "low" }],
    ["groq", "openai/gpt-oss-120b", { reasoning: { effort: "xhigh" } }, { reasoning_effort: "high" }],
    [
      "groq",
      "openai/gpt-oss-20b",
      { reasoning: { effort: "low", exclude: true } },
      { reasoning_effort: "low", include_reasoning: false },
    ],
    ["groq", "qwen/qwen3-32b", { reasoning: { effort: "high" } }, { reasoning_effort: "default" }],
    ["groq", "qwen/qwen3-32b", { reasoning: { effort: "none" } }, { reasoning_effort: "none" }],
    ["together", undefined, { reasoning: { effort: "minimal" } }, { reasoning_effort: "low" }],
    [
      "deepseek",
      "deepseek-v4-pro",
      { reasoning: { effort: "medium" } },
      { thinking: { type: "enabled" }, reasoning_effort: "high" },
    ],
    ["deepseek", "deepseek-v4-pro", { reasoning: { effort: "none" } }, { thinking: { type: "disabled" } }],
  ])("%s %s: %o → %o", async (slug, model, req, expected) => {
    const { json } = await upstream(req, reasoningTarget(slug, model));
    expect(json).toMatchObject(expected);
    expect(json).not.toHaveProperty("reasoning");
  });

  it.each<[string, string | undefined, Partial<ChatRequest>]>([
    ["xai", "grok-4-0709", { reasoning: { effort: "high" } }],
    ["mistral", "magistral-medium-latest", { reasoning: { effort: "high" } }],
    ["together", undefined, { reasoning: { effort: "none" } }],
  ])("%s %s: %o sends no reasoning parameter", async (slug, model, req) => {
    const { json } = await upstream(req, reasoningTarget(slug, model));
    expect(json).not.toHaveProperty("reasoning_effort");
    expect(json).not.toHaveProperty("reasoning");
  });

  it("drops reasoning when the endpoint does not list it", async () => {
    const { json } = await upstream({ reasoning: { effort: "high" } }, vendorTarget("openai"));
    expect(json).not.toHaveProperty("reasoning_effort");
  });

  const history: Partial<ChatRequest> = {
    messages: [
      { role: "developer", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "Weather?", cache_control: { type: "ephemeral" } }] },
      {
        role: "assistant",
        content: null,
        reasoning: "I should call the tool.",
        reasoning_details: [
          { type: "reasoning.text", text: "I should call the tool.", format: "unknown", index: 0 },
        ],
        tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
    ],
  };

  it("DeepSeek gets the earlier reasoning back as reasoning_content (API.md §c.12)", async () => {
    const { json } = await upstream(history, vendorTarget("deepseek"));
    const messages = json.messages as Record<string, unknown>[];
    expect(messages[2]).toMatchObject({ role: "assistant", reasoning_content: "I should call the tool." });
    expect(messages[2]).not.toHaveProperty("reasoning");
    expect(messages[2]).not.toHaveProperty("reasoning_details");
    expect(messages[0]).toMatchObject({ role: "system", content: "Be brief." });
  });

  it("DeepSeek also takes reasoning sent back only as reasoning_details", async () => {
    const { json } = await upstream(
      {
        messages: [
          { role: "user", content: "hi" },
          {
            role: "assistant",
            content: "ok",
            reasoning_details: [{ type: "reasoning.text", text: "think" }],
          },
        ],
      },
      vendorTarget("deepseek"),
    );
    expect((json.messages as unknown[])[1]).toMatchObject({ reasoning_content: "think" });
  });

  it("OpenAI gets no reasoning fields in messages, keeps developer, loses cache_control", async () => {
    const { json } = await upstream(history, vendorTarget("openai"));
    const messages = json.messages as Record<string, unknown>[];
    expect(messages[0]).toMatchObject({ role: "developer" });
    expect(messages[1]).toEqual({ role: "user", content: [{ type: "text", text: "Weather?" }] });
    expect(messages[2]).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: "{}" } }],
    });
    expect(messages[3]).toEqual({ role: "tool", tool_call_id: "call_1", content: "sunny" });
  });
});

describe("mistral tool-call ids", () => {
  it("rewrites ids Mistral would reject, consistently in the call and its result", async () => {
    const req = chatRequestSchema.parse({
      ...baseRequest,
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "call_ZR5UUuTt3pf61kjwAJIYdVMj",
              type: "function",
              function: { name: "w", arguments: "{}" },
            },
            { id: "gSIMJiOkT", type: "function", function: { name: "w", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_ZR5UUuTt3pf61kjwAJIYdVMj", content: "sunny" },
        { role: "tool", tool_call_id: "gSIMJiOkT", content: "rain" },
      ],
    });
    const out = await openaiAdapter.toProviderRequest(req, vendorTarget("mistral"), { stream: false });
    const messages = (JSON.parse(out.body) as { messages: Record<string, unknown>[] }).messages;
    const calls = (messages[1]?.tool_calls ?? []) as { id: string }[];
    const ids = calls.map((c) => c.id);
    expect(ids[0]).toMatch(/^[A-Za-z0-9]{9}$/);
    expect(ids[1]).toBe("gSIMJiOkT"); // already valid: untouched
    expect(messages[2]?.tool_call_id).toBe(ids[0]);
    expect(messages[3]?.tool_call_id).toBe("gSIMJiOkT");
  });

  it("leaves ids alone for other vendors", async () => {
    const req = chatRequestSchema.parse({
      ...baseRequest,
      messages: [{ role: "tool", tool_call_id: "call_abc", content: "x" }],
    });
    const out = await openaiAdapter.toProviderRequest(req, vendorTarget("openai"), { stream: false });
    expect(JSON.parse(out.body).messages[0].tool_call_id).toBe("call_abc");
  });
});
