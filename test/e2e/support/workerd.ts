/**
 * The gateway as it is self-hosted: the production bundle in plain workerd (no wrangler, no
 * miniflare), over real HTTP, for end-to-end tests with real client SDKs.
 *
 * - The bundle is built once per source tree (scripts/lib/bundle.ts: content-hashed, shared by
 *   every test file of a run, and by later runs while src/ is unchanged).
 * - Each gateway gets a free port, its own config and a log file (path in `logFile` and in every
 *   error message; kept after the test for debugging).
 * - workerd runs under a tiny `sh` watchdog holding our stdin: if this test process dies, even
 *   by SIGKILL, the pipe closes and the watchdog kills workerd. `stop()` and process exit kill
 *   the whole process group.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBundle } from "../../../scripts/lib/bundle.ts";
import {
  readWranglerSettings,
  renderWorkerdConfig,
  workerdBinary,
} from "../../../scripts/lib/workerd-config.ts";
import { generateByokSecret } from "../../../src/byok/crypto.ts";

export interface GatewayOptions {
  /** Postgres URL for the HYPERDRIVE binding (e.g. `inject("databaseUrl")` or a `freshDatabase`). */
  databaseUrl: string;
  /** Extra bindings (vars and secrets, e.g. OPENAI_API_KEY, CACHE_TTL_SECONDS); override wrangler.toml [vars]. */
  vars?: Record<string, string>;
  /** Names the log file; defaults to "gateway". */
  name?: string;
  /** Opens workerd's inspector (for heap snapshots): its URL is then in `inspectorUrl`. */
  inspect?: boolean;
}

export interface Gateway {
  /** `http://127.0.0.1:<port>/api/v1`, the base URL clients are given. */
  baseUrl: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** workerd's stdout and stderr. */
  logFile: string;
  /** The DevTools protocol URL of the gateway's isolate, with `inspect`. */
  inspectorUrl?: string | undefined;
  /** The log so far (for assertions or failure messages). */
  logs(): string;
  /** Kills workerd and waits until it is gone. Idempotent. */
  stop(): Promise<void>;
}

const LOG_DIR = join(tmpdir(), "switchyard-e2e-logs");
/** The BYOK secret of every gateway this test process starts (one process, one database per file). */
export const TEST_BYOK_SECRET = generateByokSecret();
const START_TIMEOUT_MS = 30_000;
const running = new Set<ChildProcess>();
let bundle: Promise<string> | undefined;

// Kill what is left when the test process exits (a failed test that never reached stop()).
process.once("exit", () => {
  for (const child of running) killGroup(child, "SIGKILL");
});

/** Starts the built gateway in plain workerd and resolves once `/health` answers. */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  bundle ??= ensureBundle();
  const bundleDir = await bundle.catch((e: unknown) => {
    bundle = undefined;
    throw e;
  });
  const settings = readWranglerSettings();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(
        opts,
        bundleDir,
        settings,
        await freePort(),
        opts.inspect ? await freePort() : undefined,
      );
    } catch (e) {
      lastError = e;
      // Another process may have taken the port between our probe and workerd's bind: retry.
      if (!String(e).includes("Address already in use")) throw e;
    }
  }
  throw lastError;
}

async function launch(
  opts: GatewayOptions,
  bundleDir: string,
  settings: ReturnType<typeof readWranglerSettings>,
  port: number,
  inspectorPort: number | undefined,
): Promise<Gateway> {
  mkdirSync(LOG_DIR, { recursive: true });
  const configDir = mkdtempSync(join(tmpdir(), "switchyard-gw-"));
  const configFile = join(configDir, "config.capnp");
  writeFileSync(
    configFile,
    renderWorkerdConfig({
      configDir,
      bundleDir,
      listen: `127.0.0.1:${port}`,
      databaseUrl: opts.databaseUrl,
      compatibilityDate: settings.compatibilityDate,
      compatibilityFlags: settings.compatibilityFlags,
      // BYOK on, as `npm start` has it; `vars: { BYOK_ENCRYPTION_KEY: "" }` turns it off.
      text: { BYOK_ENCRYPTION_KEY: TEST_BYOK_SECRET, ...settings.vars, ...opts.vars },
      fromEnvironment: [],
    }),
    { mode: 0o600 },
  );
  const logFile = join(LOG_DIR, `${opts.name ?? "gateway"}-${port}-${Date.now().toString(36)}.log`);
  const logFd = openSync(logFile, "a");
  const watchdog = [
    "exec 3<&0",
    '"$@" </dev/null &',
    "w=$!",
    "(read _ <&3; kill $w 2>/dev/null) &",
    "wait $w",
  ].join("\n");
  const child = spawn(
    "sh",
    [
      "-c",
      watchdog,
      "workerd-watchdog",
      workerdBinary(),
      "serve",
      configFile,
      "--verbose",
      ...(inspectorPort === undefined ? [] : [`--inspector-addr=127.0.0.1:${inspectorPort}`]),
    ],
    {
      detached: true,
      stdio: ["pipe", logFd, logFd],
    },
  );
  closeSync(logFd);
  running.add(child);
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const origin = `http://127.0.0.1:${port}`;
  const logs = () => readFileSync(logFile, "utf8");
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5_000);
      await exited;
      // The watchdog's reader subshell dies with the group; give it a moment (bounded: zombies count).
      for (let i = 0; i < 100 && groupAlive(child); i++) await sleep(20);
      clearTimeout(timer);
      running.delete(child);
      rmSync(configDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  let early = false;
  void exited.then(() => {
    early = true;
  });
  while (!early) {
    const ok = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(5_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) {
      const inspectorUrl = inspectorPort === undefined ? undefined : `ws://127.0.0.1:${inspectorPort}/main`;
      return { baseUrl: `${origin}/api/v1`, origin, logFile, inspectorUrl, logs, stop };
    }
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  await stop();
  const tail = logs().split("\n").slice(-30).join("\n");
  throw new Error(
    `workerd ${early ? "exited" : "did not answer /health"} on port ${port} (log: ${logFile}):\n${tail}`,
  );
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(child: ChildProcess): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A port nobody listens on right now (the OS picks it; there is a small race until it is bound). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
