/**
 * `npm run serve`: Switchyard on plain workerd, the way to self-host it without a Cloudflare
 * account (and the runtime of the benchmark and end-to-end tests). Builds the production
 * bundle if the sources changed, prepares the database like `npm start` (DATABASE_URL or the
 * embedded Postgres), writes a workerd config under DATA_DIR/workerd and runs `workerd serve`.
 *
 * Env: PORT (8787), HOST (127.0.0.1), DATABASE_URL, provider secrets (`*_API_KEY`, `AWS_*`,
 * the catalog's `apiKeyEnv` names) from the environment or `.dev.vars`; BYOK_ENCRYPTION_KEY from
 * there too, else the one `.data/state.json` keeps for the database.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BYOK_SECRET_NAME } from "../src/byok/crypto.ts";
import { exitWithError, prepareLocalSetup, superviseGateway } from "./lib/bootstrap.ts";
import { ensureBundle } from "./lib/bundle.ts";
import { DATA_DIR } from "./lib/paths.ts";
import {
  isProviderSecretName,
  readDevVars,
  readWranglerSettings,
  renderWorkerdConfig,
  workerdBinary,
} from "./lib/workerd-config.ts";

const note = (message: string) => console.log(`switchyard: ${message}`);
const port = Number(process.env.PORT ?? 8787);
const host = process.env.HOST ?? "127.0.0.1";

note("building the bundle (if the sources changed)");
const bundleDir = await ensureBundle().catch(exitWithError);
const setup = await prepareLocalSetup({ devKey: !process.env.DATABASE_URL, note }).catch(exitWithError);

const settings = readWranglerSettings();
const devVars = readDevVars();
const text: Record<string, string> = { ...settings.vars };
const secrets: Record<string, string> = {};
// BYOK works out of the box: the secret kept for this database, unless the operator set one.
secrets[BYOK_SECRET_NAME] = setup.byokSecret;
const isSecret = (name: string) =>
  name === BYOK_SECRET_NAME || isProviderSecretName(name, setup.apiKeyEnvNames);
for (const [name, value] of Object.entries(devVars)) {
  if (isSecret(name)) secrets[name] = value;
  else text[name] = value;
}
for (const [name, value] of Object.entries(process.env)) {
  if (value === undefined) continue;
  if (isSecret(name)) secrets[name] = value;
  else if (name in settings.vars) text[name] = value;
}

const configDir = join(DATA_DIR, "workerd");
mkdirSync(configDir, { recursive: true, mode: 0o700 });
const configFile = join(configDir, "config.capnp");
writeFileSync(
  configFile,
  renderWorkerdConfig({
    configDir,
    bundleDir,
    listen: `${host}:${port}`,
    databaseUrl: setup.databaseUrl,
    compatibilityDate: settings.compatibilityDate,
    compatibilityFlags: settings.compatibilityFlags,
    text,
    fromEnvironment: Object.keys(secrets).sort(),
  }),
  { mode: 0o600 },
);
note(`provider secrets bound: ${Object.keys(secrets).sort().join(", ") || "none"}`);

const child = spawn(workerdBinary(), ["serve", configFile], {
  stdio: "inherit",
  env: { ...process.env, ...secrets },
});
const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
superviseGateway({ child, setup, baseUrl: `http://${shownHost}:${port}/api/v1` });
