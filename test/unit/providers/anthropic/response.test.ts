import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { anthropicAdapter } from "../../../../src/providers/anthropic";
import { fixtureJson } from "../../../conformance/fixtures";
import { DIR, request, target } from "./helpers";

const translate = (name: string, req = request()) =>
  anthropicAdapter.fromProviderResponse(fixtureJson(DIR + name), { request: req, target: target() });

describe("non-streaming response", () => {
  it("translates text, id and usage", () => {
    const out = translate("messages-text.json");
    expect(out).toMatchObject({
      upstreamId: "msg_01VdEjxAP5ahtHKrrRdNBteQ",
      choices: [
        {
          index: 0,
          finish_reason: "stop",
          native_finish_reason: "end_turn",
          message: { role: "assistant", content: expect.stringMatching(/^Hello! I'm doing well/) },
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 29, total_tokens: 41 },
    });
    expect(out.rawUsage).toMatchObject({ service_tier: "standard" });
  });

  it("counts cache reads and writes into prompt_tokens", () => {
    expect(translate("messages-cache-read-and-creation.json").usage).toEqual({
      prompt_tokens: 3 + 1111 + 418,
      completion_tokens: 33,
      total_tokens: 3 + 1111 + 418 + 33,
      prompt_tokens_details: { cached_tokens: 1111, cache_write_tokens: 418 },
    });
  });

  it("keeps thinking as reasoning and a signed reasoning.text detail", () => {
    const message = translate("messages-thinking.json").choices[0]?.message;
    expect(message?.reasoning).toMatch(/^This is a straightforward question/);
    expect(message?.reasoning_details).toEqual([
      {
        type: "reasoning.text",
        text: message?.reasoning,
        signature: expect.stringMatching(/^Eq8CCkYICxgCKkDdadQO/),
        format: "anthropic-claude-v1",
        index: 0,
      },
    ]);
    expect(message?.content).toMatch(/^Here's how to cross the street safely/);
  });

  it("omits reasoning when excluded", () => {
    const message = translate("messages-thinking.json", request({ reasoning: { exclude: true } })).choices[0]
      ?.message;
    expect(message?.reasoning).toBeUndefined();
    expect(message?.reasoning_details).toBeUndefined();
  });

  it("returns parallel tool calls with their toolu_ ids and JSON arguments", () => {
    const choice = translate("messages-tool-use-parallel.json").choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.tool_calls?.map((c) => [c.id, c.function.name, c.function.arguments])).toEqual([
      ["toolu_0167cfEnoQaPviGdVXA95zcu", "retrieve_entity_info", '{"name":"Alice"}'],
      ["toolu_01EEe2V5HD1Ac4rKiUR4HD2T", "retrieve_entity_info", '{"name":"Bob"}'],
      ["toolu_01XFyAjstT3966qvRynZyVPo", "retrieve_entity_info", '{"name":"Charlie"}'],
      ["toolu_013mnQZbgtK2oe3Mo3XKJsx3", "retrieve_entity_info", '{"name":"Daisy"}'],
    ]);
  });

  it("returns a JSON-mode tool call as content with finish_reason stop", () => {
    const req = request({ response_format: { type: "json_object" } });
    const body = {
      id: "msg_j",
      content: [{ type: "tool_use", id: "toolu_j", name: "json", input: { city: "Paris" } }],
      stop_reason: "tool_use",
      usage: { input_tokens: 10, output_tokens: 5 },
    };
    const choice = anthropicAdapter.fromProviderResponse(body, { request: req, target: target() }).choices[0];
    expect(choice).toMatchObject({
      finish_reason: "stop",
      native_finish_reason: "tool_use",
      message: { content: '{"city":"Paris"}' },
    });
    expect(choice?.message.tool_calls).toBeUndefined();
  });

  it("refuses a body that is not a message", () => {
    const ctx = { request: request(), target: target() };
    expect(() => anthropicAdapter.fromProviderResponse({ content: "nope" }, ctx)).toThrow(GatewayError);
    expect(() => anthropicAdapter.fromProviderResponse({ content: [{ type: "text" }] }, ctx)).toThrow(
      GatewayError,
    );
  });
});
