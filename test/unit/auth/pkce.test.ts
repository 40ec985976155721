import { describe, expect, it } from "vitest";
import {
  callbackWithCode,
  challengesFor,
  checkCallbackUrl,
  generateAuthCode,
  normalizeS256Challenge,
  s256Challenge,
  userIdOf,
} from "../../../src/auth/pkce";
import { authPageParamsSchema, createAuthCodeBodySchema, toCodeRequest } from "../../../src/schema/auth";

/** RFC 7636 Appendix B (https://www.rfc-editor.org/rfc/rfc7636#appendix-B). */
const RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

describe("PKCE challenges (RFC 7636)", () => {
  it("S256 of Appendix B's verifier is Appendix B's challenge", async () => {
    expect(await s256Challenge(RFC_VERIFIER)).toBe(RFC_CHALLENGE);
    expect((await challengesFor(RFC_VERIFIER)).S256).toBe(RFC_CHALLENGE);
    // A mistyped copy of the vector that circulates is not the verifier's hash.
    expect((await challengesFor(RFC_VERIFIER)).S256).not.toBe("E9cW2W3ZBMAyV3XFaHDIbK5HyjD0gH4bfRu1-iJvYbM");
  });

  it.each([
    ["another verifier", RFC_VERIFIER.replace("d", "e")],
    ["the challenge itself", RFC_CHALLENGE],
    ["an empty verifier", ""],
  ])("S256 does not answer Appendix B's challenge with %s", async (_name, verifier) => {
    expect((await challengesFor(verifier)).S256).not.toBe(RFC_CHALLENGE);
  });

  it("plain: the verifier is the challenge, exactly", async () => {
    expect((await challengesFor("your-random-string")).plain).toBe("your-random-string");
    expect((await challengesFor(RFC_VERIFIER)).plain).toBe(RFC_VERIFIER);
  });

  it.each([
    ["a NUL", "a\u0000b"],
    ["a space", "your random string"],
    ["a non-ASCII character", "verifié"],
    ["nothing", ""],
  ])("plain: a verifier with %s answers no plain challenge (none could be it)", async (_name, verifier) => {
    expect((await challengesFor(verifier)).plain).toBeNull();
    expect((await challengesFor(verifier)).S256).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("an S256 challenge in standard base64 names the same hash", () => {
    const standard = `${RFC_CHALLENGE.replaceAll("-", "+").replaceAll("_", "/")}=`;
    expect(normalizeS256Challenge(standard)).toBe(RFC_CHALLENGE);
  });

  it("codes are 256 random bits in base64url, different each time", () => {
    const codes = new Set(Array.from({ length: 100 }, generateAuthCode));
    expect(codes.size).toBe(100);
    for (const code of codes) expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe("callback URLs", () => {
  it.each([
    "https://app.example.com/oauth/callback",
    "https://app.example.com:8443/cb?state=abc",
    "http://localhost/cb",
    "http://localhost:3000/cb",
    "http://127.0.0.1:51234/",
    "http://[::1]:8080/callback",
    "HTTP://LOCALHOST:9/x",
  ])("accepts %s", (url) => {
    expect(checkCallbackUrl(url)).toMatchObject({ ok: true });
  });

  it.each([
    ["plain http elsewhere", "http://app.example.com/cb", /https/],
    ["http on a look-alike of localhost", "http://localhost.evil.example/cb", /https/],
    ["http on another loopback-looking name", "http://127.0.0.1.nip.io/cb", /https/],
    ["javascript:", "javascript:alert(document.cookie)", /https/],
    ["javascript: with tricks", " JavaScript:alert(1)//https://x", /https/],
    ["data:", "data:text/html,<script>alert(1)</script>", /https/],
    ["file:", "file:///etc/passwd", /https/],
    ["a custom scheme", "myapp://callback", /https/],
    ["a relative URL", "/callback", /absolute/],
    ["no URL at all", "not a url", /absolute/],
    ["user:password@", "https://app.example.com@evil.example/cb", /user name/],
    ["a fragment", "https://app.example.com/cb#frag", /fragment/],
    ["an empty fragment", "https://app.example.com/cb#", /fragment/],
    ["too long", `https://app.example.com/${"a".repeat(2100)}`, /longer/],
  ])("refuses %s", (_name, url, reason) => {
    const check = checkCallbackUrl(url);
    expect(check.ok).toBe(false);
    expect(check.ok ? "" : check.reason).toMatch(reason);
  });

  it("adds the code to the callback's query and keeps the rest", () => {
    const url = new URL("https://app.example.com/cb?state=x%20y&code=old&z=1");
    const sent = new URL(callbackWithCode(url, "abc_123"));
    expect(sent.origin + sent.pathname).toBe("https://app.example.com/cb");
    expect([...sent.searchParams]).toEqual([
      ["state", "x y"],
      ["code", "abc_123"],
      ["z", "1"],
    ]);
  });

  it("one user id per account", () => {
    expect(userIdOf("0b6a3f52-8d4c-4c35-9a8e-5f3b8b8a1c2d")).toBe(
      "user_0b6a3f52-8d4c-4c35-9a8e-5f3b8b8a1c2d",
    );
  });
});

describe("the flow's parameters", () => {
  const issues = (input: Record<string, unknown>) => {
    const result = authPageParamsSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("takes OpenRouter's three forms of link", () => {
    const callback_url = "https://app.example.com/cb";
    expect(issues({ callback_url })).toEqual([]);
    expect(issues({ callback_url, code_challenge: RFC_CHALLENGE, code_challenge_method: "S256" })).toEqual(
      [],
    );
    expect(
      issues({ callback_url, code_challenge: "your-random-string", code_challenge_method: "plain" }),
    ).toEqual([]);
  });

  it.each([
    [
      "an unknown method",
      { code_challenge: RFC_CHALLENGE, code_challenge_method: "S512" },
      /code_challenge_method/,
    ],
    [
      "a method without a challenge",
      { code_challenge_method: "S256" },
      /code_challenge_method: is given without/,
    ],
    [
      "an S256 challenge that is no SHA-256",
      { code_challenge: "abc", code_challenge_method: "S256" },
      /43-character/,
    ],
    ["a plain challenge with a space", { code_challenge: "a b" }, /printable/],
    [
      "a non-localhost http callback",
      { callback_url: "http://app.example.com/cb" },
      /callback_url: must use https/,
    ],
    ["a negative limit", { limit: "-1" }, /limit/],
    ["a limit that is no number", { limit: "ten" }, /limit/],
    ["a control character in the label", { key_label: "a\u0000b" }, /key_label/],
  ])("refuses %s", (_name, input, issue) => {
    expect(issues({ callback_url: "https://app.example.com/cb", ...input }).join("\n")).toMatch(issue);
  });

  it("headless (no callback) needs a challenge", () => {
    expect(issues({})).toEqual([
      expect.stringMatching(/^code_challenge: is required without a callback_url/),
    ]);
    expect(issues({ code_challenge: RFC_CHALLENGE, code_challenge_method: "S256" })).toEqual([]);
  });

  it("the API form needs a callback", () => {
    const result = createAuthCodeBodySchema.safeParse({ code_challenge: RFC_CHALLENGE });
    expect(result.success).toBe(false);
  });

  it("normalizes: plain by default, S256 in base64url, a trimmed label or the callback's host", () => {
    const standard = `${RFC_CHALLENGE.replaceAll("-", "+").replaceAll("_", "/")}=`;
    expect(
      toCodeRequest({
        callback_url: "http://localhost:3000/cb",
        code_challenge: standard,
        code_challenge_method: "S256",
      }),
    ).toMatchObject({
      challenge: { method: "S256", value: RFC_CHALLENGE },
      keyName: "OAuth: localhost:3000",
      limit: null,
    });
    expect(
      toCodeRequest({ callback_url: "https://a.example/cb", code_challenge: "v", key_label: "  My app  " }),
    ).toMatchObject({ challenge: { method: "plain", value: "v" }, keyName: "My app" });
  });
});
