/**
 * Plain workerd, two ways: `npm run serve` (the self-hosting command: bundle, database setup,
 * generated config) and `startGateway` (the helper the other end-to-end tests use). Each gets a
 * database of its own, so loading the default catalog never touches other files' rows.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/paths.ts";
import { freshDatabase } from "./support/fresh-database";
import { freePort, startGateway } from "./support/workerd";

const defaultModelIds = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, "catalog", "default.json"), "utf8")) as {
    models: { id: string }[];
  }
).models.map((m) => m.id);

/**
 * A fresh database, held open by one idle connection: a concurrent vitest run's global setup
 * drops `switchyard_test_%` databases that nobody is connected to, which would include ours
 * between its creation and the gateway's first query.
 */
async function heldDatabase(suffix: string) {
  const db = await freshDatabase(suffix);
  const holder = postgres(db.url, { max: 1, onnotice: () => {} });
  await holder`select 1`;
  return {
    url: db.url,
    drop: async () => {
      await holder.end();
      await db.drop();
    },
  };
}

describe("npm run serve", () => {
  let db: Awaited<ReturnType<typeof heldDatabase>>;
  let dataDir: string;
  let child: ChildProcess;
  let output = "";
  let origin: string;

  beforeAll(async () => {
    db = await heldDatabase("serve");
    dataDir = mkdtempSync(join(tmpdir(), "switchyard-serve-"));
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    // Through npm, as users and process managers run it: a signal goes to npm's pid.
    child = spawn("npm", ["run", "--silent", "serve"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), SWITCHYARD_DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    await waitFor(
      () => output.includes("Switchyard is running") || child.exitCode !== null,
      120_000,
      () => output,
    );
    if (child.exitCode !== null) throw new Error(`npm run serve exited (${child.exitCode}):\n${output}`);
  }, 150_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGINT");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    await db?.drop();
  });

  it("prints the base URL and the admin token, and keeps secrets out of the config file", () => {
    expect(output).toContain(`${origin}/api/v1`);
    expect(output).toMatch(/admin token: +sk-sy-mgmt-v1-[0-9a-f]{64}/);
    const config = readFileSync(join(dataDir, "workerd", "config.capnp"), "utf8");
    expect(config).toContain("hyperdrive = (");
    expect(config).not.toMatch(/sk-sy-/);
  });

  it("binds the BYOK secret kept for the database from the environment, never into the config file", async () => {
    const state = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8")) as {
      otherDatabases?: Record<string, { byokEncryptionKey?: string }>;
    };
    const secret = Object.values(state.otherDatabases ?? {})[0]?.byokEncryptionKey;
    expect(secret).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(readFileSync(join(dataDir, "workerd", "config.capnp"), "utf8")).not.toContain(secret);
    const admin = /admin token: +(sk-sy-mgmt-v1-[0-9a-f]{64})/.exec(output)?.[1];
    const res = await fetch(`${origin}/api/v1/byok`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ provider: "openai", key: "sk-proj-serve-0123456789" }),
    });
    expect(res.status).toBe(201);
  });

  it("serves /health", async () => {
    const res = await fetch(`${origin}/health`);
    expect(res.status).toBe(200);
  });

  it("serves /api/v1/models from the default catalog it loaded", async () => {
    const res = await fetch(`${origin}/api/v1/models`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { id: string }[] };
    const ids = body.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(defaultModelIds));
  });

  it("stops workerd when npm alone is sent SIGTERM (docker stop, systemd), leaving nothing behind", async () => {
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    await exited;
    // npm waits for its script, and the script stops workerd before it exits: the port is closed.
    await expect(fetch(`${origin}/health`)).rejects.toThrow();
  });
});

describe("startGateway (plain workerd for end-to-end tests)", () => {
  it("answers /health and the API, passes vars through, and stop() kills it", async () => {
    const db = await heldDatabase("gateway");
    const gateway = await startGateway({
      databaseUrl: db.url,
      vars: { CACHE_TTL_SECONDS: "0", OPENAI_API_KEY: "sk-test" },
      name: "serve-test",
    });
    try {
      expect(gateway.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
      expect((await fetch(`${gateway.origin}/health`)).status).toBe(200);
      const models = await fetch(`${gateway.baseUrl}/models`);
      expect(models.status).toBe(200);
      expect(((await models.json()) as { data: unknown[] }).data).toEqual([]);
    } finally {
      await gateway.stop();
      await db.drop();
    }
    await expect(fetch(`${gateway.origin}/health`)).rejects.toThrow();
  }, 120_000);
});

async function waitFor(check: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
