import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";

export type Db = ReturnType<typeof createDb>;

/**
 * A database handle for ONE request (or one queue batch): workerd refuses I/O on a socket
 * opened by another request, so clients are never module-global. Never call `sql.end()` in
 * the Worker (STACK-NOTES G5); workerd closes the sockets when the request ends.
 */
export function createDb(connectionString: string, opts: { maxConnections?: number } = {}) {
  const sql = postgres(connectionString, {
    max: opts.maxConnections ?? 5,
    fetch_types: false,
    connect_timeout: 5,
    onnotice: () => {},
  });
  // No relational schema: we use the query builder only, and registering a schema costs CPU per client.
  return drizzle(sql);
}
