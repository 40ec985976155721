/** A BYOK credential as routing holds it, for tests: every field at its default unless given. */
import type { ByokCredential } from "../../../src/byok/credential";

export function credential(over: Partial<ByokCredential> = {}): ByokCredential {
  return {
    id: "c1",
    provider: "p1",
    apiKey: "sk-user-0123456789abcdef",
    isFallback: false,
    isRequired: false,
    isByokOnly: false,
    sortOrder: 0,
    allowedModels: null,
    allowedApiKeyHashes: null,
    allowedUserIds: null,
    declaredZdr: null,
    ...over,
  };
}
