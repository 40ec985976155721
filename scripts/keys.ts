/**
 * `npm run keys -- <command>`: the key-management API from the shell, straight against the
 * database (`DATABASE_URL`, else the embedded one `npm start` created). The secret of a new
 * key is printed once and never stored. Exit codes: 0 ok, 1 failed, 2 bad arguments.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { describeZodError } from "../src/api/error-response.ts";
import { balanceUsd, toDecimalString, toKeyData } from "../src/api/keys.ts";
import { generateApiKey, hashApiKey, keyLabel } from "../src/auth/api-key.ts";
import { createDb, type Db } from "../src/db/client.ts";
import { operatorMessage } from "../src/db/errors.ts";
import { accountExists, deleteKey, insertKey, listKeyRecords, updateKey } from "../src/db/queries/keys.ts";
import { createKeyBodySchema } from "../src/schema/keys.ts";
import { databaseUrl } from "./lib/paths.ts";

export const USAGE = `Usage: npm run keys -- <command>

  create --name NAME [--credits USD] [--limit USD] [--limit-reset daily|weekly|monthly]
         [--expires-at ISO-DATE] [--account ACCOUNT-ID] [--management]
                      Create a key (with a new account holding --credits, or on --account)
                      and print it once. --management makes an admin token instead.
  list                List every key, disabled ones included.
  disable HASH        Disable a key (it is refused within seconds).
  enable HASH         Enable a disabled key again.
  delete HASH         Delete a key for good (admin tokens too, which /keys does not manage).

The database is DATABASE_URL, else the embedded one \`npm start\` created.`;

export interface CliIo {
  databaseUrl: () => string;
  out: (line: string) => void;
  err: (line: string) => void;
}

class UsageError extends Error {}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: "string" },
        credits: { type: "string" },
        limit: { type: "string" },
        "limit-reset": { type: "string" },
        "expires-at": { type: "string" },
        account: { type: "string" },
        management: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `--expires-at 2030-01-01` (the usage says ISO-DATE) means that day's start, UTC. */
const isoDateTime = (v: string | undefined) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);

const num = (v: string | undefined) =>
  v === undefined ? undefined : v.trim() === "" ? Number.NaN : Number(v);

async function create(db: Db, values: ReturnType<typeof parse>["values"], io: CliIo): Promise<number> {
  const parsed = createKeyBodySchema.safeParse({
    name: values.name,
    credits: num(values.credits),
    limit: num(values.limit),
    limit_reset: values["limit-reset"],
    expires_at: isoDateTime(values["expires-at"]),
    accountId: values.account,
  });
  if (!parsed.success) {
    throw new UsageError(
      describeZodError(parsed.error).replaceAll("accountId", "account").replaceAll("_", "-"),
    );
  }
  const body = parsed.data;
  if (body.accountId !== undefined && !(await accountExists(db, body.accountId))) {
    io.err(`No account with id ${body.accountId}`);
    return 1;
  }
  const management = values.management === true;
  const secret = generateApiKey(management);
  const hash = await hashApiKey(secret);
  const row = await insertKey(db, {
    hash,
    label: keyLabel(secret),
    name: body.name,
    isManagement: management,
    limit: body.limit == null ? null : toDecimalString(body.limit),
    limitReset: body.limit_reset ?? null,
    expiresAt: body.expires_at ? new Date(body.expires_at) : null,
    ...(body.accountId !== undefined
      ? { accountId: body.accountId }
      : { credits: toDecimalString(body.credits ?? 0) }),
  });
  io.out(`Created ${management ? "management key (admin token)" : "API key"} "${row.name}"`);
  io.out(`  key:     ${secret}`);
  io.out(`  hash:    ${hash}`);
  io.out(`  account: ${row.accountId}`);
  io.out("The key is shown only now: store it somewhere safe.");
  return 0;
}

async function list(db: Db, io: CliIo): Promise<number> {
  const rows = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await listKeyRecords(db, {
      offset,
      limit: 1000,
      includeDisabled: true,
      includeManagement: true,
    });
    rows.push(...page);
    if (page.length < 1000) break;
  }
  if (rows.length === 0) {
    io.out("No keys.");
    return 0;
  }
  const table = rows.map((r) => {
    const k = toKeyData(r);
    return [
      k.hash,
      k.name,
      k.label,
      k.is_management_key ? "management" : "api",
      k.disabled ? "disabled" : "enabled",
      k.limit === null ? "-" : `${k.limit}${k.limit_reset ? `/${k.limit_reset}` : ""}`,
      String(k.usage),
      String(balanceUsd(r)),
      k.created_at,
    ];
  });
  const header = ["HASH", "NAME", "LABEL", "KIND", "STATE", "LIMIT", "USAGE", "BALANCE", "CREATED"];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  for (const row of [header, ...table])
    io.out(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    );
  return 0;
}

async function setDisabled(db: Db, hash: string | undefined, disabled: boolean, io: CliIo): Promise<number> {
  if (!hash) throw new UsageError(`${disabled ? "disable" : "enable"} needs a key hash`);
  const row = await updateKey(db, hash, { disabled });
  if (!row) {
    io.err(`No key with hash ${hash}`);
    return 1;
  }
  io.out(`${disabled ? "Disabled" : "Enabled"} key "${row.name}" (${row.label}) ${hash}`);
  if (disabled) io.out("Running Workers refuse it within seconds, when their key cache refreshes.");
  return 0;
}

async function remove(db: Db, hash: string | undefined, io: CliIo): Promise<number> {
  if (!hash) throw new UsageError("delete needs a key hash");
  if (!(await deleteKey(db, hash))) {
    io.err(`No key with hash ${hash}`);
    return 1;
  }
  io.out(`Deleted key ${hash}`);
  io.out("Running Workers refuse it within seconds, when their key cache refreshes.");
  return 0;
}

/** Runs one command; returns the exit code. */
export async function runKeysCli(args: string[], io: CliIo): Promise<number> {
  let db: Db | undefined;
  try {
    const { values, positionals } = parse(args);
    const [command, ...rest] = positionals;
    if (values.help || command === "help") {
      io.out(USAGE);
      return 0;
    }
    if (!command) throw new UsageError("missing command");
    const expected = command === "disable" || command === "enable" || command === "delete" ? 1 : 0;
    if (rest.length > expected) throw new UsageError(`unexpected argument: ${rest[expected]}`);
    const known = ["create", "list", "disable", "enable", "delete"];
    if (!known.includes(command)) throw new UsageError(`unknown command: ${command}`);
    if (command !== "create" && Object.keys(values).length > 0) {
      throw new UsageError(`${command} takes no options`);
    }
    db = createDb(io.databaseUrl());
    switch (command) {
      case "create":
        return await create(db, values, io);
      case "list":
        return await list(db, io);
      case "delete":
        return await remove(db, rest[0], io);
      default:
        return await setDisabled(db, rest[0], command === "disable", io);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`error: ${operatorMessage(error)}`);
    return 1;
  } finally {
    await db?.$client.end({ timeout: 5 });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await runKeysCli(process.argv.slice(2), {
    databaseUrl,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
  process.exit(code);
}
