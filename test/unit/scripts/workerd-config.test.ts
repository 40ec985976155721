/**
 * The self-hosting config (`npm run serve`, the bench, the end-to-end tests): its V8 flags. Whether
 * workerd accepts the rendered file is test/e2e/serve.test.ts's job.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderWorkerdConfig, SELF_HOST_V8_FLAGS } from "../../../scripts/lib/workerd-config";

const root = mkdtempSync(join(tmpdir(), "switchyard-config-"));
const bundleDir = join(root, "bundle");
mkdirSync(bundleDir);
writeFileSync(join(bundleDir, "index.js"), "export default {};\n");
afterAll(() => rmSync(root, { recursive: true, force: true }));

function render(v8Flags?: readonly string[]): string {
  return renderWorkerdConfig({
    configDir: root,
    bundleDir,
    listen: "127.0.0.1:8787",
    databaseUrl: "postgres://postgres:secret@127.0.0.1:5432/switchyard",
    compatibilityDate: "2026-04-01",
    compatibilityFlags: ["nodejs_compat"],
    text: {},
    fromEnvironment: [],
    ...(v8Flags ? { v8Flags } : {}),
  });
}

describe("renderWorkerdConfig's V8 flags", () => {
  it("caps the young generation by default, as npm run serve runs", () => {
    expect(SELF_HOST_V8_FLAGS).toContain("--max-semi-space-size=4");
    expect(render()).toContain('  v8Flags = ["--max-semi-space-size=4"],\n');
  });

  it("takes other flags instead, or none for V8's defaults", () => {
    const custom = render(["--trace-gc", "--max-semi-space-size=2"]);
    expect(custom).toContain('  v8Flags = ["--trace-gc", "--max-semi-space-size=2"],\n');
    expect(custom).not.toContain("=4");
    expect(render([])).toContain("  v8Flags = [],\n");
  });

  it("puts them in the Workerd.Config, not in the Worker", () => {
    const text = render();
    const config = text.slice(text.indexOf("const config :Workerd.Config"), text.indexOf("const gateway"));
    expect(config).toContain("v8Flags");
  });
});
