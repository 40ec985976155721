/**
 * `npm start`: the gateway under `wrangler dev` on http://127.0.0.1:$PORT (8787), with the
 * embedded Postgres (or DATABASE_URL), migrated, the default catalog loaded when empty, and a
 * development key plus the admin token created on first start. Ctrl-C stops wrangler, then
 * Postgres, and exits 0. Provider secrets come from `.dev.vars`, which wrangler reads itself.
 */
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BYOK_SECRET_NAME } from "../src/byok/crypto.ts";
import { exitWithError, prepareLocalSetup, superviseGateway } from "./lib/bootstrap.ts";
import { WRANGLER_ENV } from "./lib/bundle.ts";
import { DATA_DIR, PROJECT_ROOT } from "./lib/paths.ts";

const note = (message: string) => console.log(`switchyard: ${message}`);
const port = Number(process.env.PORT ?? 8787);

const setup = await prepareLocalSetup({ devKey: true, note }).catch(exitWithError);
note(`starting wrangler dev on 127.0.0.1:${port}`);
const wrangler = join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
// BYOK's secret reaches wrangler through an env file (owner-only, never argv, which `ps` shows).
// Given --env-file, wrangler skips its own .dev.vars lookup, so that file is passed after ours:
// later files win, and an operator's own BYOK_ENCRYPTION_KEY there is kept.
const byokEnv = join(DATA_DIR, "byok.env");
writeFileSync(byokEnv, `${BYOK_SECRET_NAME}=${setup.byokSecret}\n`, { mode: 0o600 });
const devVars = join(PROJECT_ROOT, ".dev.vars");
const envFiles = [byokEnv, ...(existsSync(devVars) ? [devVars] : [])].flatMap((f) => ["--env-file", f]);
const child = spawn(
  process.execPath,
  [
    wrangler,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    join(DATA_DIR, "wrangler"),
    ...envFiles,
  ],
  {
    cwd: PROJECT_ROOT,
    stdio: "inherit",
    env: {
      ...process.env,
      ...WRANGLER_ENV,
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: setup.databaseUrl,
    },
  },
);
superviseGateway({ child, setup, baseUrl: `http://127.0.0.1:${port}/api/v1` });
