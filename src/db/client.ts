import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type SocketTarget, workerdSocket } from "./socket";

export type Db = ReturnType<typeof createDb>;

/**
 * Seconds an idle connection stays open. In workerd a client closes its own connections instead
 * of waiting for its request to end: a long stream or `waitUntil` would otherwise hold a Postgres
 * connection it used once at the start, and a request whose context never ends would hold it forever.
 * Short, because every request has its own client, so a connection is never reused by the next
 * request: for 2 s, a burst of management requests (the OAuth suite: 90 at once) held that many
 * connections open for nothing, near Postgres's default limit of 100; for 0.5 s, 40.
 */
const IDLE_TIMEOUT_S = 0.5;

/**
 * A database handle for ONE request (or one queue batch): workerd refuses I/O on a socket
 * opened by another request, so clients are never module-global. Never call `sql.end()`: with
 * the library's own socket it raises an unhandled rejection (STACK-NOTES G5); idle connections
 * close themselves through our socket (./socket.ts) instead.
 */
export function createDb(connectionString: string, opts: { maxConnections?: number } = {}) {
  const options: postgres.Options<Record<string, never>> & {
    // An option postgres.js reads but does not declare: a factory for its TCP socket.
    socket?: (target: SocketTarget) => ReturnType<typeof workerdSocket>;
  } = {
    max: opts.maxConnections ?? 5,
    fetch_types: false,
    connect_timeout: 5,
    onnotice: () => {},
  };
  // Node (scripts, tests) has real sockets and no request contexts: nothing to change there.
  if (inWorkerd() && !wantsTls(connectionString)) {
    options.socket = workerdSocket;
    options.idle_timeout = IDLE_TIMEOUT_S;
  }
  const sql = postgres(connectionString, options);
  // No relational schema: we use the query builder only, and registering a schema costs CPU per client.
  return drizzle(sql);
}

function inWorkerd(): boolean {
  // The global postgres.js itself tests for its Workers defaults.
  return typeof Cloudflare !== "undefined";
}

let tlsMemo: { url: string; tls: boolean } | undefined;

/**
 * Whether postgres.js will negotiate TLS for this URL (`sslmode`/`ssl` other than disable/false).
 * Hyperdrive's URL says `sslmode=disable`; it is the same string for the isolate, hence the memo.
 */
function wantsTls(url: string): boolean {
  if (tlsMemo?.url === url) return tlsMemo.tls;
  let tls = false;
  try {
    const params = new URL(url).searchParams;
    const mode = params.get("sslmode") ?? params.get("ssl");
    tls = mode !== null && mode !== "disable" && mode !== "false";
  } catch {
    // postgres.js reports the malformed URL itself.
  }
  tlsMemo = { url, tls };
  return tls;
}
