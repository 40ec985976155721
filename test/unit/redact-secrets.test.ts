/**
 * What a provider's error text may say about the credentials we sent it, and what reaches the
 * client of it: nothing, in any of the forms providers echo keys in.
 */
import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../src/errors";

const key = "Zx9/Qw+Er7Ty8Ui9Op0As1Df2Gh3Jk4Lm5";

describe("redactSecrets with the secret we sent", () => {
  it.each([
    ["as itself", `credential ${key} invalid`],
    ["JSON-escaped", `{"error":"credential ${key.replaceAll("/", "\\/")} invalid"}`],
    ["URL-encoded", `https://api.example/v1?key=${encodeURIComponent(key)}&x=1`],
    ["cut to a prefix", `Incorrect API key provided: ${key.slice(0, 20)}…`],
  ])("%s: no part of it longer than 11 characters is left", (_form, text) => {
    const out = redactSecrets(text, [key]);
    expect(out).toContain("[REDACTED]");
    for (let i = 0; i + 12 <= key.length; i++) expect(out).not.toContain(key.slice(i, i + 12));
    expect(out).not.toContain(encodeURIComponent(key).slice(0, 16));
  });

  it("leaves the rest of the text as it was", () => {
    expect(redactSecrets(`before ${key} after`, [key])).toBe("before [REDACTED] after");
  });
});
