/**
 * What a provider's error text may say about the credentials we sent it, and what reaches the
 * client of it: nothing, in any of the forms providers echo keys in.
 */
import { describe, expect, it } from "vitest";
import { redactJsonSecrets, redactSecrets } from "../../src/errors";

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

describe("redactJsonSecrets: a body echoed to the client (debug.echo_upstream_body)", () => {
  it("gives the value, not a string, with the known secret and key-like strings redacted wherever they stand", () => {
    const text = JSON.stringify({
      model: "m",
      max_tokens: 100,
      messages: [{ role: "user", content: `my key is ${key}, and sk-live-abcdefghijklmnop` }],
      metadata: { api_key: "plainlookingvalue123", [key]: "as a key" },
    });
    expect(redactJsonSecrets(text, [key])).toEqual({
      model: "m",
      max_tokens: 100,
      messages: [{ role: "user", content: "my key is [REDACTED], and [REDACTED]" }],
      metadata: { api_key: "[REDACTED]", "[REDACTED]": "as a key" },
    });
  });

  it("stays a value where redacting the text would break it: a long number after a secret-named key", () => {
    const text = '{"token":123456789012345,"seed":123456789012345}';
    expect(redactSecrets(text)).toContain(":[REDACTED],"); // the text alone would not parse
    expect(redactJsonSecrets(text)).toEqual({ token: "[REDACTED]", seed: 123456789012345 });
  });

  it("keeps a __proto__ key as a key, as JSON.parse does", () => {
    const out = redactJsonSecrets('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a text that is not JSON comes back redacted, as a string", () => {
    expect(redactJsonSecrets(`not json ${key}`, [key])).toBe("not json [REDACTED]");
  });
});
