import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/**
 * Three layers:
 * - unit: pure code in Node (adapters against recorded fixtures, routing plan, middle-out, catalog schema);
 * - workers: routes inside workerd (@cloudflare/vitest-pool-workers) against a real Postgres;
 * - e2e: the built bundle in plain workerd, real HTTP, real client SDKs, mock providers; and `npm start`.
 *
 * Each run gets its own database on the local Postgres (created and dropped by test/setup/database.ts),
 * so parallel runs never see each other's rows.
 */
const base = process.env.TEST_DATABASE_BASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432";
process.env.SWITCHYARD_TEST_DATABASE_URL ??= `${base}/switchyard_test_${process.pid}_${Date.now().toString(36)}`;
process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE =
  process.env.SWITCHYARD_TEST_DATABASE_URL;
process.env.WRANGLER_SEND_METRICS = "false";
process.env.WRANGLER_SEND_ERROR_REPORTS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

export default defineConfig({
  test: {
    globalSetup: ["./test/setup/database.ts", "./test/setup/mock-providers.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          environment: "node",
          include: ["src/**/*.test.ts", "test/unit/**/*.test.ts", "test/support/**/*.test.ts"],
        },
      },
      {
        extends: true,
        plugins: [
          cloudflareTest({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { CACHE_TTL_SECONDS: "0" } },
          }),
        ],
        // The first request in a fresh workerd isolate imports the whole app: seconds on a busy machine.
        test: { name: "workers", include: ["test/integration/**/*.test.ts"], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          // The global WebSocket, for the DevTools protocol (heap snapshots of the gateway).
          execArgv: ["--experimental-websocket"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
