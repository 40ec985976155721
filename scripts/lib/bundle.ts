/**
 * The production bundle: what `wrangler deploy` would upload, built offline with
 * `wrangler deploy --dry-run --outdir` (STACK-NOTES "Self-hosting on plain workerd").
 *
 * `ensureBundle()` keys bundles by a hash of their inputs (src/, wrangler.toml, the lockfile)
 * under `.wrangler/bundles/<hash>/`, so `npm run serve` and every end-to-end test file of a
 * run share one build, and an unchanged tree is never rebuilt. A finished bundle directory is
 * never modified (built beside it, then renamed into place), so a running workerd is safe from a
 * concurrent rebuild; concurrent builders of the same hash wait for the first one.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { PROJECT_ROOT } from "./paths.ts";

const BUNDLES_DIR = join(PROJECT_ROOT, ".wrangler", "bundles");
const KEEP_BUNDLES = 4;
const BUILD_TIMEOUT_MS = 180_000;

/** Env for every wrangler invocation: offline, silent about telemetry (STACK-NOTES G4). */
export const WRANGLER_ENV = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
} as const;

/** Builds into `outDir` (replacing it) with wrangler; rejects with wrangler's output on failure. */
export async function buildBundle(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  const wrangler = join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
  const args = [wrangler, "deploy", "--dry-run", "--outdir", outDir];
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...WRANGLER_ENV, CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d: Buffer) => output.push(d.toString()));
    child.stderr.on("data", (d: Buffer) => output.push(d.toString()));
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code !== 0 || !existsSync(join(outDir, "index.js"))) {
    throw new Error(`wrangler deploy --dry-run failed (exit ${code}):\n${output.join("")}`);
  }
  writeFileSync(join(outDir, ".source-hash"), `${sourceHash()}\n`);
}

/** The directory of a bundle built from the current sources, building it if needed. */
export async function ensureBundle(): Promise<string> {
  const hash = sourceHash();
  const dir = join(BUNDLES_DIR, hash);
  if (existsSync(join(dir, "index.js"))) return dir;
  mkdirSync(BUNDLES_DIR, { recursive: true });
  const lock = `${dir}.lock`;
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while (!tryLock(lock)) {
    if (existsSync(join(dir, "index.js"))) return dir;
    if (Date.now() > deadline) throw new Error(`timed out waiting for another build of ${dir} (${lock})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    if (existsSync(join(dir, "index.js"))) return dir;
    const tmp = `${dir}.tmp-${process.pid}`;
    try {
      await buildBundle(tmp);
      renameSync(tmp, dir);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    prune();
    return dir;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Copies the current bundle to `outDir` (what `npm run build` leaves in dist/). */
export async function writeBundle(outDir: string): Promise<string> {
  const dir = await ensureBundle();
  rmSync(outDir, { recursive: true, force: true });
  cpSync(dir, outDir, { recursive: true });
  return outDir;
}

/** sha256 over the bundle's inputs: every file under src/ (path and bytes), wrangler.toml, package-lock.json. */
export function sourceHash(): string {
  const h = createHash("sha256");
  const files = [...walk(join(PROJECT_ROOT, "src")), join(PROJECT_ROOT, "wrangler.toml")];
  const lock = join(PROJECT_ROOT, "package-lock.json");
  if (existsSync(lock)) files.push(lock);
  for (const f of files.sort()) {
    h.update(relative(PROJECT_ROOT, f));
    h.update("\0");
    h.update(readFileSync(f));
    h.update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(p);
    else if (entry.isFile()) yield p;
  }
}

/** mkdir is atomic: the one who creates the lock directory builds. A lock older than the build timeout is stale. */
function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch {
    try {
      if (Date.now() - statSync(lock).mtimeMs > BUILD_TIMEOUT_MS)
        rmSync(lock, { recursive: true, force: true });
    } catch {
      // removed meanwhile
    }
    return false;
  }
}

/** Keeps the most recent bundles; older ones only waste disk. */
function prune(): void {
  const dirs = readdirSync(BUNDLES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^[0-9a-f]{16}$/.test(e.name))
    .map((e) => ({ path: join(BUNDLES_DIR, e.name), mtime: statSync(join(BUNDLES_DIR, e.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of dirs.slice(KEEP_BUNDLES)) rmSync(old.path, { recursive: true, force: true });
}
