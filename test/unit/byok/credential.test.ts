/**
 * Which requests a BYOK credential may serve (API.md b12 "Per-key filters"): its allowlists of
 * API key hashes, user ids and models, and the owner's zero-data-retention declaration.
 */
import { describe, expect, it } from "vitest";
import {
  appliesToCaller,
  appliesToModel,
  type ByokCredential,
  type ByokRequestContext,
} from "../../../src/byok/credential";
import { credential } from "./credential-rows";

const caller: ByokRequestContext = { apiKeyHash: "hash-a", userId: "user_acc-1", zdr: false };

describe("a credential applies to the caller", () => {
  it.each<[string, Partial<ByokCredential>, Partial<ByokRequestContext>, boolean]>([
    ["no restriction", {}, {}, true],
    ["its key hash is allowed", { allowedApiKeyHashes: ["hash-b", "hash-a"] }, {}, true],
    ["its key hash is not allowed", { allowedApiKeyHashes: ["hash-b"] }, {}, false],
    ["its user id is allowed", { allowedUserIds: ["user_acc-1"] }, {}, true],
    ["its user id is not allowed", { allowedUserIds: ["user_acc-2"] }, {}, false],
    ["ZDR asked, declared ZDR", { declaredZdr: true }, { zdr: true }, true],
    ["ZDR asked, no declaration (the provider's policy decided)", {}, { zdr: true }, true],
    ["ZDR asked, declared not ZDR", { declaredZdr: false }, { zdr: true }, false],
    ["no ZDR asked, declared not ZDR", { declaredZdr: false }, {}, true],
  ])("%s → %s", (_name, over, ctx, expected) => {
    expect(appliesToCaller(credential(over), { ...caller, ...ctx })).toBe(expected);
  });
});

describe("a credential applies to a model", () => {
  it.each<[string | null, string, boolean]>([
    [null, "a/x", true],
    ["a/x", "a/x", true],
    ["a/x", "a/x:nitro", true],
    ["a/x:nitro", "a/x:nitro", true],
    ["a/x:nitro", "a/x", false],
    ["a/y", "a/x", false],
  ])("allowed_models %s, request %s → %s", (allowed, modelId, expected) => {
    const base = modelId.split(":")[0]!;
    expect(appliesToModel(credential({ allowedModels: allowed ? [allowed] : null }), modelId, base)).toBe(
      expected,
    );
  });
});
