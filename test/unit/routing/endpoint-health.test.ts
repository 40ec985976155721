/** The isolate's memory of failing endpoints (API.md b10: outages in the last 30 s go last). */
import { describe, expect, it } from "vitest";
import { EndpointHealth, OUTAGE_WINDOW_MS } from "../../../src/routing/endpoint-health";

describe("EndpointHealth", () => {
  it("knows nothing of an endpoint that never failed", () => {
    expect(new EndpointHealth().failing(1, 0)).toBe(false);
  });

  it("holds a failed endpoint as failing for the 30 s window, then forgets it", () => {
    const health = new EndpointHealth();
    health.failed(7, 1_000);
    expect(health.failing(7, 1_000)).toBe(true);
    expect(health.failing(7, 1_000 + OUTAGE_WINDOW_MS - 1)).toBe(true);
    expect(health.failing(8, 1_000)).toBe(false);
    expect(health.failing(7, 1_000 + OUTAGE_WINDOW_MS)).toBe(false);
    expect(health.size).toBe(0);
  });

  it("counts the window from the latest failure", () => {
    const health = new EndpointHealth();
    health.failed(7, 0);
    health.failed(7, 20_000);
    expect(health.failing(7, 40_000)).toBe(true);
  });

  it("restores an endpoint on its first success", () => {
    const health = new EndpointHealth();
    health.failed(7, 0);
    health.succeeded(7);
    expect(health.failing(7, 1)).toBe(false);
    expect(health.size).toBe(0);
  });

  it("stays bounded however many endpoints fail", () => {
    const health = new EndpointHealth();
    for (let id = 0; id < 10_000; id++) health.failed(id, 0);
    expect(health.size).toBeLessThanOrEqual(4_096);
    expect(health.failing(9_999, 1)).toBe(true);
  });
});
