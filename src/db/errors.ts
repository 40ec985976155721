/**
 * What may be logged of a database error: its kind, its SQLSTATE or network code, and the names
 * of the table, column or constraint involved — never its text. drizzle's DrizzleQueryError
 * carries the whole statement and its parameters in its message (for a usage batch: every row,
 * with user agents, user ids and app names), and Postgres quotes the values it refuses in its
 * message and `where`.
 */
interface Described {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  table_name?: unknown;
  column_name?: unknown;
  constraint_name?: unknown;
}

/** A wrapper whose own message carries the statement (drizzle: "Failed query: … params: …"). */
function wrapsQuery(error: Described): boolean {
  return typeof error.message === "string" && error.message.startsWith("Failed query:");
}

/** The error at the end of the `cause` chain: the driver's or the socket's, under drizzle's wrapper. */
function rootCause(error: unknown): Described | undefined {
  let root = error;
  while (typeof root === "object" && root !== null && (root as Described).cause != null) {
    root = (root as Described).cause;
  }
  return typeof root === "object" && root !== null ? (root as Described) : undefined;
}

export function describeDbError(error: unknown): string {
  const root = rootCause(error);
  if (!root) return "error";
  const name = typeof root.name === "string" ? root.name : "Error";
  if (typeof root.code === "string") {
    const where = [root.table_name, root.column_name, root.constraint_name].filter(
      (part): part is string => typeof part === "string",
    );
    return `${name} ${root.code}${where.length > 0 ? ` (${where.join(", ")})` : ""}`;
  }
  // Without a code, the root is the socket's or a timeout's error (Postgres's own always carry one).
  if (wrapsQuery(root) || typeof root.message !== "string") return `${name}: query failed`;
  return `${name}: ${root.message}`;
}

/**
 * The database refused the rows themselves (SQLSTATE class 22, a data exception, or 23, a
 * constraint), not the connection or the statement: the same rows would be refused again.
 */
export function isDataRefusal(error: unknown): boolean {
  return sqlStateMatches(error, /^2[23][0-9A-Z]{3}$/);
}

/**
 * The database refused a value as such (SQLSTATE class 22: a NUL in text, a number out of range,
 * a malformed uuid): what a request carried past validation, not a fault of the statement.
 */
export function isDataException(error: unknown): boolean {
  return sqlStateMatches(error, /^22[0-9A-Z]{3}$/);
}

/** postgres.js's own codes for a connection it lost or could not open, and the socket's. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EPIPE",
]);

/**
 * The database could not be reached or would not take the connection (SQLSTATE class 08, a
 * server shutting down or starting, too many connections): the request may succeed later, and
 * the client is told so (a 503), not that the gateway is broken.
 */
export function isConnectionFailure(error: unknown): boolean {
  const code = rootCause(error)?.code;
  if (typeof code !== "string") return false;
  return CONNECTION_CODES.has(code) || /^08[0-9A-Z]{3}$|^57P0[123]$|^53300$/.test(code);
}

function sqlStateMatches(error: unknown, sqlState: RegExp): boolean {
  const code = rootCause(error)?.code;
  return typeof code === "string" && sqlState.test(code);
}

/**
 * For an operator at a terminal (the CLIs): what went wrong in the driver's or the socket's own
 * words ("connect ECONNREFUSED 127.0.0.1:54329", 'relation "api_keys" does not exist'), not
 * drizzle's wrapper, whose message is the statement and its parameters.
 */
export function operatorMessage(error: unknown): string {
  const root = rootCause(error);
  if (!root || typeof root.message !== "string" || wrapsQuery(root)) return describeDbError(error);
  const refused = typeof root.code === "string" && root.code === "ECONNREFUSED";
  return refused ? `${root.message} (is the database running?)` : root.message;
}
