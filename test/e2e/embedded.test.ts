/**
 * `npm start` on a machine with no database configured: the embedded Postgres under a fresh
 * SWITCHYARD_DATA_DIR, `wrangler dev`, the default catalog, a dev key and the admin token.
 * It is stopped the way a terminal does it (SIGINT to the whole process group) and started
 * again: same key, same data, and nothing left running in between.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/paths.ts";
import { freePort } from "./support/workerd";

const START_TIMEOUT_MS = 150_000;
const defaultModelIds = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, "catalog", "default.json"), "utf8")) as {
    models: { id: string }[];
  }
).models.map((m) => m.id);

interface Started {
  child: ChildProcess;
  output: () => string;
  baseUrl: string;
  key: string;
  adminToken: string;
}

describe("npm start with the embedded Postgres", () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let pgPort: number;
  let current: Started | undefined;
  let first: Started;
  let createdHash: string;
  let byokSecret: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "switchyard-start-"));
    pgPort = await freePort();
    env = {
      ...process.env,
      SWITCHYARD_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      SWITCHYARD_PG_PORT: String(pgPort),
    };
    delete env.DATABASE_URL;
    delete env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE;
  });

  afterAll(async () => {
    if (current) killGroup(current.child, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    "prints the base URL, a dev key and the admin token, then serves the default catalog",
    async () => {
      first = await start(env);
      current = first;
      expect(first.output()).toContain("initialising the embedded Postgres");
      expect(first.output()).toContain("loaded the default catalog");
      expect(first.output()).toMatch(/curl http:\/\/127\.0\.0\.1:\d+\/api\/v1\/chat\/completions/);

      const models = await fetch(`${first.baseUrl}/models`);
      expect(models.status).toBe(200);
      const ids = ((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id);
      expect(ids).toEqual(expect.arrayContaining(defaultModelIds));

      const key = await fetch(`${first.baseUrl}/key`, { headers: { Authorization: `Bearer ${first.key}` } });
      expect(key.status).toBe(200);

      const created = await fetch(`${first.baseUrl}/keys`, {
        method: "POST",
        headers: { Authorization: `Bearer ${first.adminToken}`, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "survives-restart", credits: 1 }),
      });
      expect(created.status).toBe(201);
      createdHash = ((await created.json()) as { data: { hash: string } }).data.hash;

      // BYOK works out of the box: the generated secret reached wrangler dev (via an owner-only env file).
      const listed = (await (
        await fetch(`${first.baseUrl}/keys`, { headers: { Authorization: `Bearer ${first.adminToken}` } })
      ).json()) as { data: { name: string; workspace_id: string }[] };
      const devAccount = listed.data.find((k) => k.name === "dev")?.workspace_id;
      const byok = await fetch(`${first.baseUrl}/byok`, {
        method: "POST",
        headers: { Authorization: `Bearer ${first.adminToken}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          provider: "openai",
          key: "sk-proj-embedded-0123456789",
          workspace_id: devAccount,
        }),
      });
      expect(byok.status).toBe(201);

      const state = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8")) as Record<string, string>;
      expect(state).toMatchObject({ devKey: first.key, adminToken: first.adminToken });
      expect(state.byokEncryptionKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      byokSecret = state.byokEncryptionKey ?? "";
      expect(statSync(join(dataDir, "state.json")).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, "byok.env")).mode & 0o777).toBe(0o600);
    },
    START_TIMEOUT_MS,
  );

  it("stops everything on Ctrl-C (SIGINT to the process group) and exits 0", async () => {
    const code = await interrupt(first);
    current = undefined;
    expect(code).toBe(0);
    expect(groupAlive(first.child)).toBe(false);
    expect(existsSync(join(dataDir, "pg", "postmaster.pid"))).toBe(false);
    expect(await listening(pgPort)).toBe(false);
    expect(await listening(Number(env.PORT))).toBe(false);
  }, 60_000);

  it(
    "starts again with the same key and the data of the first run",
    async () => {
      const second = await start(env);
      current = second;
      expect(second.key).toBe(first.key);
      expect(second.adminToken).toBe(first.adminToken);
      const state = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8")) as Record<string, string>;
      expect(state.byokEncryptionKey).toBe(byokSecret);
      expect(second.output()).not.toContain("initialising the embedded Postgres");
      expect(second.output()).not.toContain("loaded the default catalog");

      const kept = await fetch(`${second.baseUrl}/keys/${createdHash}`, {
        headers: { Authorization: `Bearer ${second.adminToken}` },
      });
      expect(kept.status).toBe(200);
      const key = await fetch(`${second.baseUrl}/key`, {
        headers: { Authorization: `Bearer ${second.key}` },
      });
      expect(key.status).toBe(200);

      expect(await interrupt(second)).toBe(0);
      current = undefined;
      expect(groupAlive(second.child)).toBe(false);
    },
    START_TIMEOUT_MS,
  );
});

/** `npm start` as a terminal job: its own process group, so SIGINT can go to all of it like Ctrl-C. */
async function start(env: NodeJS.ProcessEnv): Promise<Started> {
  const tsx = join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
  const child = spawn(process.execPath, [tsx, "scripts/start.ts"], {
    cwd: PROJECT_ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const deadline = Date.now() + START_TIMEOUT_MS - 10_000;
  while (!out.includes("Ctrl-C stops it")) {
    if (child.exitCode !== null || Date.now() > deadline) {
      killGroup(child, "SIGKILL");
      throw new Error(`npm start did not come up (exit ${child.exitCode}):\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const field = (re: RegExp) => {
    const m = re.exec(out);
    if (!m?.[1]) throw new Error(`${re} not found in:\n${out}`);
    return m[1];
  };
  return {
    child,
    output: () => out,
    baseUrl: field(/Switchyard is running: (http:\/\/\S+\/api\/v1)/),
    key: field(/API key: +(sk-sy-v1-[0-9a-f]+)/),
    adminToken: field(/admin token: +(sk-sy-mgmt-v1-[0-9a-f]+)/),
  };
}

/** Ctrl-C, then wait (bounded) until the whole group is gone; returns the exit code. */
async function interrupt(s: Started): Promise<number | null> {
  const exited = new Promise<number | null>((r) => {
    if (s.child.exitCode !== null) r(s.child.exitCode);
    else s.child.once("exit", (code) => r(code));
  });
  killGroup(s.child, "SIGINT");
  const code = await exited;
  for (let i = 0; i < 100 && groupAlive(s.child); i++) await new Promise((r) => setTimeout(r, 50));
  return code;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // gone
  }
}

function groupAlive(child: ChildProcess): boolean {
  try {
    if (child.pid) process.kill(-child.pid, 0);
    return Boolean(child.pid);
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
