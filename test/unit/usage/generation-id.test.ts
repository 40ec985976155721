/** Generation ids: OpenRouter's shape, `gen-<unix seconds>-<20 chars>`, the second recoverable for partition pruning. */
import { describe, expect, it } from "vitest";
import { generationSecond, newGenerationId } from "../../../src/usage/generation-id";

describe("newGenerationId / generationSecond", () => {
  it.each([
    [1_700_000_000_000, 1_700_000_000],
    [1_700_000_000_999, 1_700_000_000],
    [1_762_179_802_500, 1_762_179_802],
    [999_999_999_000, 999_999_999],
  ])("an id made at %i ms embeds second %i, and reads back", (atMs, second) => {
    const id = newGenerationId(atMs);
    expect(id).toMatch(new RegExp(`^gen-${second}-[A-Za-z0-9]{20}$`));
    expect(generationSecond(id)).toBe(second);
  });

  it("ids made in the same millisecond differ", () => {
    const ids = new Set(Array.from({ length: 5000 }, () => newGenerationId(1_700_000_000_000)));
    expect(ids.size).toBe(5000);
  });

  it.each([
    ["OpenRouter's own id", "gen-1762179802-UN8pkJI4AGZvryk0kFnb", 1_762_179_802],
    ["a short suffix", "gen-1700000000-abcdefgh", 1_700_000_000],
    ["an OpenAI id", "chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0", undefined],
    ["no second", "gen-abc-UN8pkJI4AGZvryk0kFnb", undefined],
    ["too few digits", "gen-17-UN8pkJI4AGZvryk0kFnb", undefined],
    ["too many digits", "gen-170000000000-UN8pkJI4AGZvryk0kFnb", undefined],
    ["suffix too short", "gen-1700000000-abc", undefined],
    ["suffix with symbols", "gen-1700000000-abcdefgh!", undefined],
    ["suffix too long", `gen-1700000000-${"a".repeat(41)}`, undefined],
    ["empty", "", undefined],
    ["SQL in it", "gen-1700000000-abcdefgh' or 1=1", undefined],
  ])("%s: %s → %s", (_name, id, second) => {
    expect(generationSecond(id)).toBe(second);
  });
});
