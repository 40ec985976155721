import { describe, expect, it } from "vitest";
import { renderCodePage, renderConsentPage, renderInvalidLinkPage } from "../../../src/api/auth-page-view";
import { authPageParamsSchema, toCodeRequest } from "../../../src/schema/auth";

describe("the consent page", () => {
  it("escapes every parameter, in text and in attributes", () => {
    const params = authPageParamsSchema.parse({
      callback_url: `https://app.example.com/cb?x="><script>alert(1)</script>&y='onmouseover='alert(2)`,
      key_label: `<script>alert(3)</script>"'><img src=x onerror=alert(4)>`,
    });
    const html = renderConsentPage(params, toCodeRequest(params), `<b>error</b>`);
    expect(html).not.toMatch(/<script>alert|<img src=x|<b>error|'onmouseover='/);
    expect(html).toContain(
      "&lt;script&gt;alert(3)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(4)&gt;",
    );
    expect(html).toContain("&lt;b&gt;error&lt;/b&gt;");
    // The only tags are the page's own.
    const tags = new Set([...html.matchAll(/<([a-z][a-z0-9]*)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual(
      [
        "bdi",
        "body",
        "button",
        "code",
        "dd",
        "dl",
        "dt",
        "em",
        "form",
        "h1",
        "head",
        "html",
        "input",
        "label",
        "meta",
        "p",
        "strong",
        "style",
        "title",
      ].sort(),
    );
  });

  it("names the callback's origin and carries the parameters as hidden fields, for the POST to check again", () => {
    const params = authPageParamsSchema.parse({
      callback_url: "http://localhost:3000/cb?state=1",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      limit: "5",
    });
    const html = renderConsentPage(params, toCodeRequest(params));
    expect(html).toContain(
      "<strong>http://localhost:3000</strong> (an app on this computer) wants an API key",
    );
    expect(html).toContain('<form method="post" action="/auth">');
    for (const [name, value] of [
      ["callback_url", "http://localhost:3000/cb?state=1"],
      ["code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"],
      ["code_challenge_method", "S256"],
      ["limit", "5"],
    ]) {
      expect(html).toContain(`<input type="hidden" name="${name}" value="${value}">`);
    }
    expect(html).not.toContain('name="key_label"');
    expect(html).toContain("<dt>Key name</dt><dd><bdi>OAuth: localhost:3000</bdi></dd>");
    expect(html).toContain("<dt>Spending limit</dt><dd>$5</dd>");
    expect(html).toContain('<input type="password" id="api_key" name="api_key"');
  });

  it("the headless page says the code will be shown, and shows it escaped", () => {
    const params = authPageParamsSchema.parse({ code_challenge: "abc" });
    expect(renderConsentPage(params, toCodeRequest(params))).toContain("An application wants an API key");
    expect(renderCodePage("<i>code</i>")).toContain('<code class="code">&lt;i&gt;code&lt;/i&gt;</code>');
  });

  it("the invalid-link page escapes its message and has no form", () => {
    const html = renderInvalidLinkPage(`callback_url: <script>alert(1)</script>`);
    expect(html).toContain("callback_url: &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<form");
    expect(html).not.toContain("<script");
  });
});
