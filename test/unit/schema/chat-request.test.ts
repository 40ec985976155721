/**
 * The request schema where it departs from a plain reading of its fields: values OpenAI's own
 * schema allows that ours must take too (clients send them), and limits OpenRouter documents.
 */
import { describe, expect, it } from "vitest";
import { chatRequestSchema } from "../../../src/schema/chat-request";

const base = { model: "openai/gpt-4o", messages: [{ role: "user", content: "hi" }] };

describe("chatRequestSchema", () => {
  it.each(["metadata", "modalities", "verbosity", "reasoning_effort", "prediction"])(
    "%s: null (allowed by OpenAI's schema) is accepted and reads as not set",
    (field) => {
      const parsed = chatRequestSchema.safeParse({ ...base, [field]: null });
      expect(parsed.success).toBe(true);
      expect(
        parsed.data && field in parsed.data ? parsed.data[field as keyof typeof parsed.data] : undefined,
      ).toBe(undefined);
    },
  );

  it("keeps the values of those fields when they are set", () => {
    const parsed = chatRequestSchema.parse({
      ...base,
      metadata: { app: "x" },
      modalities: ["text"],
      verbosity: "low",
      reasoning_effort: "high",
      prediction: { type: "content", content: "draft" },
    });
    expect(parsed).toMatchObject({
      metadata: { app: "x" },
      modalities: ["text"],
      verbosity: "low",
      reasoning_effort: "high",
      prediction: { type: "content", content: "draft" },
    });
  });

  it("metadata takes at most 16 key-value pairs (API.md b2)", () => {
    const pairs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    expect(chatRequestSchema.safeParse({ ...base, metadata: pairs(16) }).success).toBe(true);
    expect(chatRequestSchema.safeParse({ ...base, metadata: pairs(17) }).success).toBe(false);
  });

  it("debug: {echo_upstream_body} is a boolean; other keys in debug are tolerated (API.md b2)", () => {
    expect(
      chatRequestSchema.parse({ ...base, debug: { echo_upstream_body: true, timings: true } }).debug,
    ).toEqual({ echo_upstream_body: true, timings: true });
    expect(chatRequestSchema.safeParse({ ...base, debug: { echo_upstream_body: "yes" } }).success).toBe(
      false,
    );
    expect(chatRequestSchema.safeParse({ ...base, debug: true }).success).toBe(false);
  });
});
