/**
 * Where local state lives. `.data/` (or SWITCHYARD_DATA_DIR) holds the embedded Postgres data
 * directory and `state.json`: the embedded server's URL, the dev key and the admin token.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const DATA_DIR = resolve(process.env.SWITCHYARD_DATA_DIR ?? join(PROJECT_ROOT, ".data"));
export const STATE_FILE = join(DATA_DIR, "state.json");

/** The keys `npm start` / `npm run serve` made in one database, printed again on later starts. */
export interface LocalKeys {
  devKey?: string;
  adminToken?: string;
  /**
   * BYOK_ENCRYPTION_KEY for this database's users' provider keys: generated once, because the
   * stored keys can only be read back under the secret they were sealed with.
   */
  byokEncryptionKey?: string;
}

export interface LocalState extends LocalKeys {
  /** URL of the embedded Postgres (absent when DATABASE_URL is used). Its keys are the top-level ones. */
  embeddedDatabaseUrl?: string;
  /** Keys made in databases named by DATABASE_URL, by that URL with its password redacted. */
  otherDatabases?: Record<string, LocalKeys>;
}

export function readState(): LocalState {
  if (!existsSync(STATE_FILE)) return {};
  return JSON.parse(readFileSync(STATE_FILE, "utf8")) as LocalState;
}

/** DATABASE_URL if set, else the embedded database `npm start` created (it must be running). */
export function databaseUrl(): string {
  const url = process.env.DATABASE_URL ?? readState().embeddedDatabaseUrl;
  if (!url) {
    throw new Error(
      "No database: set DATABASE_URL=postgres://… or run `npm start` once to create the embedded one",
    );
  }
  return url;
}
