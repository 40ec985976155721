// Types `env` and `exports` from "cloudflare:workers" inside the workerd test pool.
import type { Bindings } from "../src/env";
import type worker from "../src/index";

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {}
    interface GlobalProps {
      mainModule: { default: typeof worker };
    }
  }
}
