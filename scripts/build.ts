/** `npm run build`: the production bundle in dist/ (`wrangler deploy --dry-run`, offline). */
import { join } from "node:path";
import { writeBundle } from "./lib/bundle.ts";
import { PROJECT_ROOT } from "./lib/paths.ts";

const out = await writeBundle(join(PROJECT_ROOT, "dist"));
console.log(`bundle written to ${out}`);
