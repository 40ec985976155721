import { describe, expect, it } from "vitest";
import { resolveModelId } from "../../../src/api/model";
import { buildSnapshot } from "../../../src/catalog/snapshot";
import { GatewayError } from "../../../src/errors";
import { planRoute } from "../../../src/routing/plan";
import { chat, endpointRow, modelRow, perToken, providerRow } from "../routing/catalog-rows";

// paid: paid and free endpoints; local: free only; thinker: reasons, paid only; empty: no endpoints.
const snapshot = buildSnapshot({
  providers: ["p1", "p2"].map((slug) => providerRow(slug)),
  models: [
    modelRow("a/paid", { name: "A: paid" }),
    modelRow("a/local", { name: "A: local" }),
    modelRow("a/thinker", { name: "A: thinker", reasoning: { supportedEfforts: ["low", "high"] } }),
    modelRow("a/empty"),
  ],
  endpoints: [
    endpointRow("a/paid", { provider: "p1", prompt: 2, completion: 4 }),
    endpointRow("a/paid", { provider: "p2", prompt: 0, completion: 0 }),
    endpointRow("a/local", { provider: "p2", prompt: 0, completion: 0 }),
    endpointRow("a/thinker", { provider: "p1", prompt: 1, completion: 3 }),
  ],
});

function refusal(id: string): GatewayError {
  try {
    resolveModelId(snapshot, id);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error(`${id} resolved`);
}

describe("GET /model id resolution", () => {
  it.each([
    // requested id, the answer's id, its name, its prompt price, its endpoints link
    ["a/paid", "a/paid", "A: paid", perToken(2), "/api/v1/models/a/paid/endpoints"],
    ["a/paid:free", "a/paid:free", "A: paid (free)", "0", "/api/v1/models/a/paid:free/endpoints"],
    ["a/paid:nitro", "a/paid:nitro", "A: paid (nitro)", perToken(2), "/api/v1/models/a/paid/endpoints"],
    ["a/paid:floor", "a/paid:floor", "A: paid (floor)", perToken(2), "/api/v1/models/a/paid/endpoints"],
    // A sort by tool-call quality (Auto Exacto): the same endpoints as the plain id.
    ["a/paid:exacto", "a/paid:exacto", "A: paid (exacto)", perToken(2), "/api/v1/models/a/paid/endpoints"],
    // Free endpoints only: the plain id is served by them, so it resolves to the :free entry.
    ["a/local", "a/local:free", "A: local (free)", "0", "/api/v1/models/a/local:free/endpoints"],
    ["a/local:free", "a/local:free", "A: local (free)", "0", "/api/v1/models/a/local:free/endpoints"],
    [
      "a/local:nitro",
      "a/local:nitro",
      "A: local (free) (nitro)",
      "0",
      "/api/v1/models/a/local:free/endpoints",
    ],
    [
      "a/thinker:thinking",
      "a/thinker:thinking",
      "A: thinker (thinking)",
      perToken(1),
      "/api/v1/models/a/thinker/endpoints",
    ],
  ])("%s → %s", (requested, id, name, prompt, details) => {
    const model = resolveModelId(snapshot, requested);
    expect(model).toMatchObject({ id, name, links: { details } });
    expect(Number(model.pricing.prompt)).toBe(Number(prompt));
  });

  it("a variant keeps the plain entry's fields but its id and name", () => {
    const plain = resolveModelId(snapshot, "a/paid");
    expect(resolveModelId(snapshot, "a/paid:nitro")).toEqual({
      ...plain,
      id: "a/paid:nitro",
      name: "A: paid (nitro)",
    });
  });

  it(":thinking shows reasoning on by default, at medium effort; the plain id shows the catalog's", () => {
    expect(resolveModelId(snapshot, "a/thinker").reasoning).toEqual({
      mandatory: false,
      supported_efforts: ["low", "high"],
    });
    expect(resolveModelId(snapshot, "a/thinker:thinking").reasoning).toEqual({
      mandatory: false,
      supported_efforts: ["low", "high"],
      default_enabled: true,
      default_effort: "medium",
    });
  });

  it.each([
    ["a/nope", /^Model a\/nope not found$/],
    ["b/paid", /^Model b\/paid not found$/],
    ["a/thinker:free", /has no free endpoints/],
    ["a/paid:thinking", /does not reason/],
    ["a/paid:online", /no :online variant/],
    ["a/paid:extended", /no :extended variant/],
    ["a/paid:bogus", /^Model a\/paid:bogus not found$/],
    ["a/empty", /has no endpoints/],
  ])("%s is a 404 saying why", (id, message) => {
    const error = refusal(id);
    expect(error.status).toBe(404);
    expect(error.type).toBe("not_found");
    expect(error.message).toMatch(message);
    expect(error.toErrorObject().metadata).toEqual({ error_type: "not_found", model: id });
  });

  it.each(["a/paid", "a/paid:free", "a/paid:nitro", "a/local", "a/local:nitro", "a/thinker:thinking"])(
    "%s is priced as the endpoints the router plans for it",
    (id) => {
      const { attempts } = planRoute({
        request: chat({ model: id, provider: { sort: "price" } }),
        catalog: snapshot,
        promptTokens: 10,
        compression: () => false,
      });
      expect(Number(resolveModelId(snapshot, id).pricing.prompt)).toBe(
        Number(attempts[0]!.endpoint.pricePrompt),
      );
    },
  );
});
