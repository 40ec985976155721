import { defineConfig } from "drizzle-kit";

// The only file that reads process.env for the database: migrations run in Node, never in the Worker.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./migrations",
  dbCredentials: {
    url: process.env.DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/switchyard",
  },
});
