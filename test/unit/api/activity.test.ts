import { describe, expect, it } from "vitest";
import { activityItem, activityRange } from "../../../src/api/activity";
import { GatewayError } from "../../../src/errors";
import { catalogOf } from "../routing/catalog-rows";

describe("activityRange", () => {
  const at = (iso: string) => Date.parse(iso);

  it("covers the 30 UTC days before today, whatever the time of day", () => {
    for (const now of ["2024-03-01T00:00:00Z", "2024-03-01T23:59:59.999Z"]) {
      expect(activityRange(at(now))).toEqual({
        from: new Date("2024-01-31T00:00:00Z"),
        to: new Date("2024-03-01T00:00:00Z"),
      });
    }
  });

  it.each(["2024-01-31", "2024-02-29", "2024-02-15"])("takes %s, a day of that window", (date) => {
    expect(activityRange(at("2024-03-01T12:00:00Z"), date)).toEqual({
      from: new Date(`${date}T00:00:00Z`),
      to: new Date(at(`${date}T00:00:00Z`) + 86_400_000),
    });
  });

  it.each(["2024-01-30", "2024-03-01", "2024-03-02", "1999-12-31"])("refuses %s with a 400", (date) => {
    expect(() => activityRange(at("2024-03-01T12:00:00Z"), date)).toThrow(GatewayError);
    expect(() => activityRange(at("2024-03-01T12:00:00Z"), date)).toThrow(
      "is not one of the last 30 completed UTC days (2024-01-31 to 2024-02-29)",
    );
  });
});

describe("activityItem", () => {
  const row = {
    day: "2024-02-29",
    model: "a/m:free",
    providerSlug: "p1",
    providerName: "P One (then)",
    accountId: null,
    requests: 2,
    usage: "0.000000000001",
    byokUsage: "0.25",
    promptTokens: 3,
    completionTokens: 4,
    reasoningTokens: 5,
  };

  it("names the endpoint model@provider with the variant left off, and takes names from the catalog", () => {
    const catalog = catalogOf({ "a/m": [{ provider: "p1" }] }, { p1: { name: "P One" } });
    expect(activityItem(row, catalog)).toEqual({
      date: "2024-02-29",
      model: "a/m:free",
      model_permaslug: "a/m",
      endpoint_id: "a/m@p1",
      provider_name: "P One",
      usage: 1e-12,
      byok_usage_inference: 0.25,
      requests: 2,
      prompt_tokens: 3,
      completion_tokens: 4,
      reasoning_tokens: 5,
    });
  });

  it("keeps the recorded names of what left the catalog, or of everything when it cannot be read", () => {
    expect(activityItem(row, catalogOf({}))).toMatchObject({
      model_permaslug: "a/m",
      provider_name: "P One (then)",
    });
    expect(activityItem({ ...row, providerName: null }, null)).toMatchObject({ provider_name: "p1" });
  });

  it("names the workspace only when grouped by it", () => {
    expect(activityItem(row, null)).not.toHaveProperty("workspace_id");
    expect(activityItem({ ...row, accountId: "acc" }, null)).toMatchObject({ workspace_id: "acc" });
  });
});
