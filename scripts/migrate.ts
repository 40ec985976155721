/** `npm run db:migrate`: apply migrations to DATABASE_URL. */
import { operatorMessage } from "../src/db/errors.ts";
import { migrateDatabase } from "./lib/migrate.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set (e.g. postgres://user:pass@host:5432/switchyard)");
  process.exit(2);
}
try {
  await migrateDatabase(url);
} catch (error) {
  console.error(`migrations not applied: ${operatorMessage(error)}`);
  process.exit(1);
}
console.log("migrations applied");
