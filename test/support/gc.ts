/**
 * A full garbage collection on demand, for tests that prove something is *not* kept alive
 * (a stream that lives for minutes must not hold the prompt that started it).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Lets pending promise jobs and timers of zero settle, then collects everything unreachable. */
export async function collectGarbage(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
}
