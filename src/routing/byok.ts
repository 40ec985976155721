/**
 * Bring-your-own-key routing (API.md b10 "BYOK endpoints are always tried first, even ahead of
 * `order`", b12 "BYOK"). Runs after `planRoute` on its ordered attempts, so the plan's filters
 * (data policy, price, context, …) have already chosen the endpoints: a credential adds attempts
 * only on endpoints the plan kept, and never changes how the plan sorts them.
 *
 * For each model's run of attempts:
 *   1. prioritized (non-fallback) credentials, one attempt each: endpoints in the plan's order,
 *      a provider's credentials in `sort_order`;
 *   2. the shared attempts, less those whose provider a credential makes BYOK-only
 *      (`is_required`: for the models it applies to; `is_byok_only`: for every model);
 *   3. fallback credentials, in the same order as 1.
 * A credential that does not apply to this caller (its key or user allowlist) changes nothing.
 */
import {
  appliesToCaller,
  appliesToModel,
  type ByokCredential,
  type ByokRequestContext,
} from "../byok/credential";
import type { Attempt } from "./plan";

export function withByokAttempts(
  attempts: readonly Attempt[],
  credentials: readonly ByokCredential[],
  ctx: ByokRequestContext,
): Attempt[] {
  const usable = credentials.filter((c) => appliesToCaller(c, ctx)).sort((a, b) => a.sortOrder - b.sortOrder);
  if (usable.length === 0) return [...attempts];
  const out: Attempt[] = [];
  let start = 0;
  while (start < attempts.length) {
    let end = start + 1;
    while (end < attempts.length && attempts[end]!.modelId === attempts[start]!.modelId) end++;
    out.push(...orderModelRun(attempts.slice(start, end), usable));
    start = end;
  }
  return out;
}

/** One model's consecutive attempts (with `partition: "none"` a model may have several runs). */
function orderModelRun(run: readonly Attempt[], usable: readonly ByokCredential[]): Attempt[] {
  const prioritized: Attempt[] = [];
  const shared: Attempt[] = [];
  const fallback: Attempt[] = [];
  for (const attempt of run) {
    const slug = attempt.provider.slug;
    let sharedRemoved = false;
    for (const credential of usable) {
      if (credential.provider !== slug) continue;
      const covers = appliesToModel(credential, attempt.modelId, attempt.model.id);
      if (credential.isByokOnly || (credential.isRequired && covers)) sharedRemoved = true;
      if (!covers) continue;
      (credential.isFallback ? fallback : prioritized).push({ ...attempt, byok: credential });
    }
    if (!sharedRemoved) shared.push(attempt);
  }
  return [...prioritized, ...shared, ...fallback];
}
