/** `npm run db:migrate`: apply migrations to DATABASE_URL. */
import { migrateDatabase } from "./lib/migrate.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set (e.g. postgres://user:pass@host:5432/switchyard)");
  process.exit(2);
}
await migrateDatabase(url);
console.log("migrations applied");
