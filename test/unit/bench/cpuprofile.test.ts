/**
 * The profile summary charges each sample the time since the previous one, but no more than a few
 * sampling intervals: a gap in the sampling is time the isolate was not running JS, not time spent
 * in whatever function the next sample happens to land in.
 */
import { describe, expect, it } from "vitest";
import { sampleWeights } from "../../../bench/lib/cpuprofile";

describe("sampleWeights", () => {
  it("keeps regular intervals as they are", () => {
    expect(sampleWeights([130, 140, 120, 135])).toEqual({ weights: [130, 140, 120, 135], cappedUs: 0 });
  });

  it("caps a gap at four median intervals and reports what it dropped", () => {
    const { weights, cappedUs } = sampleWeights([100, 100, 100, 690_000, 100]);
    expect(weights).toEqual([100, 100, 100, 400, 100]);
    expect(cappedUs).toBe(690_000 - 400);
  });
});
