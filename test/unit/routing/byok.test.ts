/**
 * BYOK attempt ordering as a specification (API.md b10 "BYOK endpoints are always tried first,
 * even ahead of `order`", b12 "Prioritized / Fallback", "Always use for this provider"). The plan
 * is made first, as the gateway makes it; attempts read `model@provider`, a BYOK one
 * `model@provider[credential id]`, in the order they are tried.
 */
import { describe, expect, it } from "vitest";
import type { ByokCredential, ByokRequestContext } from "../../../src/byok/credential";
import { withByokAttempts } from "../../../src/routing/byok";
import { planRoute } from "../../../src/routing/plan";
import type { ChatRequest } from "../../../src/schema/chat-request";
import { credential } from "../byok/credential-rows";
import { catalogOf, chat } from "./catalog-rows";

// p1 is the cheapest, p3 the dearest: without BYOK the plan is p1, p2, p3 (random = 0).
const catalog = catalogOf({
  "a/x": [
    { provider: "p1", prompt: 1, completion: 1 },
    { provider: "p2", prompt: 2, completion: 2 },
    { provider: "p3", prompt: 3, completion: 3 },
  ],
  "a/y": [
    { provider: "p1", prompt: 1, completion: 1 },
    { provider: "p2", prompt: 2, completion: 2 },
  ],
});

const caller: ByokRequestContext = { apiKeyHash: "hash-a", userId: "user_acc-1", zdr: false };

function attempts(
  request: Partial<ChatRequest>,
  credentials: ByokCredential[],
  ctx: Partial<ByokRequestContext> = {},
): string[] {
  const plan = planRoute({
    request: chat(request),
    catalog,
    promptTokens: 10,
    compression: () => false,
    random: () => 0,
  });
  return withByokAttempts(plan.attempts, credentials, { ...caller, ...ctx }).map(
    (a) => `${a.modelId}@${a.provider.slug}${a.byok ? `[${a.byok.id}]` : ""}`,
  );
}

const c = (id: string, provider: string, over: Partial<ByokCredential> = {}) =>
  credential({ id, provider, ...over });

describe("BYOK attempts around the shared ones", () => {
  it.each<[string, Partial<ChatRequest>, ByokCredential[], string[]]>([
    ["no credentials: the plan as it is", { model: "a/x" }, [], ["a/x@p1", "a/x@p2", "a/x@p3"]],
    [
      "a prioritized key goes first, even on the dearest provider",
      { model: "a/x" },
      [c("k3", "p3")],
      ["a/x@p3[k3]", "a/x@p1", "a/x@p2", "a/x@p3"],
    ],
    [
      "…and even ahead of provider.order",
      { model: "a/x", provider: { order: ["p2", "p1"] } },
      [c("k3", "p3")],
      ["a/x@p3[k3]", "a/x@p2", "a/x@p1", "a/x@p3"],
    ],
    [
      "a fallback key goes after every shared endpoint",
      { model: "a/x" },
      [c("k1", "p1", { isFallback: true })],
      ["a/x@p1", "a/x@p2", "a/x@p3", "a/x@p1[k1]"],
    ],
    [
      "one provider's keys in sort_order; providers in the plan's order",
      { model: "a/x" },
      [c("k3", "p3"), c("k1b", "p1", { sortOrder: 2 }), c("k1a", "p1", { sortOrder: 1 })],
      ["a/x@p1[k1a]", "a/x@p1[k1b]", "a/x@p3[k3]", "a/x@p1", "a/x@p2", "a/x@p3"],
    ],
    [
      "is_required removes the provider's shared endpoint for the models it covers",
      { model: "a/x" },
      [c("k2", "p2", { isRequired: true })],
      ["a/x@p2[k2]", "a/x@p1", "a/x@p3"],
    ],
    [
      "is_required leaves models outside allowed_models alone",
      { model: "a/y" },
      [c("k2", "p2", { isRequired: true, allowedModels: ["a/x"] })],
      ["a/y@p1", "a/y@p2"],
    ],
    [
      "is_byok_only removes the provider's shared endpoint for every model",
      { model: "a/y" },
      [c("k2", "p2", { isByokOnly: true, allowedModels: ["a/x"] })],
      ["a/y@p1"],
    ],
    [
      "a key for a provider the plan does not use adds nothing",
      { model: "a/y" },
      [c("k3", "p3")],
      ["a/y@p1", "a/y@p2"],
    ],
    [
      "a key only for other models adds nothing",
      { model: "a/x" },
      [c("k1", "p1", { allowedModels: ["a/y"] })],
      ["a/x@p1", "a/x@p2", "a/x@p3"],
    ],
    [
      "BYOK never brings back an endpoint the plan filtered out",
      { model: "a/x", provider: { ignore: ["p3"] } },
      [c("k3", "p3", { isRequired: true })],
      ["a/x@p1", "a/x@p2"],
    ],
    [
      "each model of `models` gets its keys before its own shared endpoints",
      { models: ["a/x", "a/y"], provider: { only: ["p1", "p2"] } },
      [c("k2", "p2")],
      ["a/x@p2[k2]", "a/x@p1", "a/x@p2", "a/y@p2[k2]", "a/y@p1", "a/y@p2"],
    ],
  ])("%s", (_name, request, credentials, expected) => {
    expect(attempts(request, credentials)).toEqual(expected);
  });
});

describe("keys that do not apply to this caller change nothing", () => {
  const plain = ["a/x@p1", "a/x@p2", "a/x@p3"];
  it.each<[string, ByokCredential, Partial<ByokRequestContext>]>([
    ["another API key's", c("k2", "p2", { isRequired: true, allowedApiKeyHashes: ["hash-b"] }), {}],
    ["another user's", c("k2", "p2", { isByokOnly: true, allowedUserIds: ["user_other"] }), {}],
    [
      "declared not ZDR, when ZDR is asked",
      c("k2", "p2", { isRequired: true, declaredZdr: false }),
      { zdr: true },
    ],
  ])("%s", (_name, cred, ctx) => {
    expect(attempts({ model: "a/x" }, [cred], ctx)).toEqual(plain);
  });

  it("the caller's own key and user are let through", () => {
    const cred = c("k2", "p2", { allowedApiKeyHashes: ["hash-a"], allowedUserIds: ["user_acc-1"] });
    expect(attempts({ model: "a/x" }, [cred])[0]).toBe("a/x@p2[k2]");
  });
});

it("a BYOK attempt carries the user's key for the adapter", () => {
  const plan = planRoute({
    request: chat({ model: "a/x" }),
    catalog,
    promptTokens: 10,
    compression: () => false,
    random: () => 0,
  });
  const [first] = withByokAttempts(
    plan.attempts,
    [c("k1", "p1", { apiKey: "sk-users-own-key-0001" })],
    caller,
  );
  expect(first?.byok?.apiKey).toBe("sk-users-own-key-0001");
  expect(first?.endpoint).toBe(plan.attempts[0]?.endpoint);
});
