/**
 * Loads a validated catalog into Postgres: an idempotent upsert of every provider, model and
 * endpoint in one transaction (a failure writes nothing). A row counts as "changed" only when
 * a stored value really differs (decimals compared numerically, arrays and jsonb by value), and
 * only changed rows get `updated_at = now()`. Rows absent from the file are left alone unless
 * `prune` is set, which deletes them.
 */
import { eq, inArray, notInArray, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { endpoints, models, providers } from "../db/schema";
import type { Catalog, CatalogEndpoint, CatalogModel, CatalogProvider } from "./schema";

export interface Counts {
  added: number;
  changed: number;
  unchanged: number;
}

export interface LoadReport {
  providers: Counts;
  models: Counts;
  endpoints: Counts;
  /** Rows in the database but not in the file: left alone, or deleted when `pruned`. */
  absent: { providers: number; models: number; endpoints: number };
  pruned: boolean;
}

export interface LoadOptions {
  /** Delete providers, models and endpoints that the file does not list. */
  prune?: boolean;
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type ProviderValues = Omit<typeof providers.$inferInsert, "createdAt" | "updatedAt">;
type ModelValues = Omit<typeof models.$inferInsert, "createdAt" | "updatedAt">;
type EndpointValues = Omit<typeof endpoints.$inferInsert, "id" | "createdAt" | "updatedAt">;

/** Columns whose values are `numeric` (compared as decimals, not as strings). */
const DECIMAL_COLUMNS = new Set<string>([
  "pricePrompt",
  "priceCompletion",
  "priceRequest",
  "priceImage",
  "priceInputCacheRead",
  "priceInputCacheWrite",
  "priceInternalReasoning",
]);

/** Upserts `catalog` (already validated by `parseCatalog`) in a single transaction. */
export async function loadCatalog(db: Db, catalog: Catalog, options: LoadOptions = {}): Promise<LoadReport> {
  return db.transaction(async (tx) => {
    const providerRows = catalog.providers.map(providerValues);
    const modelRows = catalog.models.map(modelValues);
    const endpointRows = catalog.endpoints.map(endpointValues);

    const report: LoadReport = {
      providers: await upsertProviders(tx, providerRows),
      models: await upsertModels(tx, modelRows),
      endpoints: await upsertEndpoints(tx, endpointRows),
      absent: await countAbsent(tx, catalog),
      pruned: options.prune === true,
    };
    if (options.prune) await prune(tx, catalog);
    return report;
  });
}

/** File fields → `providers` columns, with absent optionals as null / defaults. */
export function providerValues(p: CatalogProvider): ProviderValues {
  return {
    slug: p.slug,
    name: p.name,
    adapter: p.adapter,
    baseUrl: p.baseUrl,
    apiKeyEnv: p.apiKeyEnv ?? null,
    config: p.config ?? {},
    dataPolicy: dropUndefined(p.dataPolicy),
    privacyPolicyUrl: p.privacyPolicyUrl ?? null,
    termsOfServiceUrl: p.termsOfServiceUrl ?? null,
    statusPageUrl: p.statusPageUrl ?? null,
    headquarters: p.headquarters ?? null,
  };
}

/** File fields → `models` columns: `created` is the release date, `canonicalSlug` the id. */
export function modelValues(m: CatalogModel): ModelValues {
  return {
    id: m.id,
    canonicalSlug: m.id,
    name: m.name,
    releasedAt: new Date(`${m.created}T00:00:00Z`),
    description: m.description,
    contextLength: m.contextLength,
    inputModalities: m.inputModalities,
    outputModalities: m.outputModalities,
    tokenizer: m.tokenizer ?? "Other",
    instructType: m.instructType ?? null,
    reasoning: m.reasoning ? dropUndefined(m.reasoning) : null,
    expirationDate: m.expirationDate ?? null,
  };
}

/** File fields → `endpoints` columns: `pricing.*` → `price_*`, absent prices → "0" or null. */
export function endpointValues(e: CatalogEndpoint): EndpointValues {
  return {
    modelId: e.model,
    providerSlug: e.provider,
    providerModelId: e.providerModelId,
    contextLength: e.contextLength,
    maxCompletionTokens: e.maxCompletionTokens ?? null,
    maxPromptTokens: e.maxPromptTokens ?? null,
    pricePrompt: e.pricing.prompt,
    priceCompletion: e.pricing.completion,
    priceRequest: e.pricing.request ?? "0",
    priceImage: e.pricing.image ?? "0",
    priceInputCacheRead: e.pricing.inputCacheRead ?? null,
    priceInputCacheWrite: e.pricing.inputCacheWrite ?? null,
    priceInternalReasoning: e.pricing.internalReasoning ?? null,
    supportedParameters: e.supportedParameters,
    quantization: e.quantization,
    status: e.status ?? 0,
    supportsImplicitCaching: e.supportsImplicitCaching ?? false,
    maxMessages: e.maxMessages ?? null,
  };
}

async function upsertProviders(tx: Tx, rows: ProviderValues[]): Promise<Counts> {
  const stored = await tx.select().from(providers);
  const bySlug = new Map(stored.map((r) => [r.slug, r]));
  const counts = emptyCounts();
  const fresh: ProviderValues[] = [];
  for (const row of rows) {
    const old = bySlug.get(row.slug);
    if (!old) fresh.push(row);
    else if (differs(row, old)) {
      await tx
        .update(providers)
        .set({ ...row, updatedAt: sql`now()` })
        .where(eq(providers.slug, row.slug));
      counts.changed++;
    } else counts.unchanged++;
  }
  if (fresh.length > 0) await tx.insert(providers).values(fresh);
  counts.added = fresh.length;
  return counts;
}

async function upsertModels(tx: Tx, rows: ModelValues[]): Promise<Counts> {
  const stored = await tx.select().from(models);
  const byId = new Map(stored.map((r) => [r.id, r]));
  const counts = emptyCounts();
  const fresh: ModelValues[] = [];
  for (const row of rows) {
    const old = byId.get(row.id);
    if (!old) fresh.push(row);
    else if (differs(row, old)) {
      await tx
        .update(models)
        .set({ ...row, updatedAt: sql`now()` })
        .where(eq(models.id, row.id));
      counts.changed++;
    } else counts.unchanged++;
  }
  if (fresh.length > 0) await tx.insert(models).values(fresh);
  counts.added = fresh.length;
  return counts;
}

async function upsertEndpoints(tx: Tx, rows: EndpointValues[]): Promise<Counts> {
  const stored = await tx.select().from(endpoints);
  const byKey = new Map(stored.map((r) => [endpointKey(r), r]));
  const counts = emptyCounts();
  const fresh: EndpointValues[] = [];
  for (const row of rows) {
    const old = byKey.get(endpointKey(row));
    if (!old) fresh.push(row);
    else if (differs(row, old)) {
      await tx
        .update(endpoints)
        .set({ ...row, updatedAt: sql`now()` })
        .where(eq(endpoints.id, old.id));
      counts.changed++;
    } else counts.unchanged++;
  }
  if (fresh.length > 0) await tx.insert(endpoints).values(fresh);
  counts.added = fresh.length;
  return counts;
}

async function countAbsent(tx: Tx, catalog: Catalog): Promise<LoadReport["absent"]> {
  const [p, m, e] = await Promise.all([
    tx.select({ slug: providers.slug }).from(providers),
    tx.select({ id: models.id }).from(models),
    tx.select({ modelId: endpoints.modelId, providerSlug: endpoints.providerSlug }).from(endpoints),
  ]);
  const slugs = new Set(catalog.providers.map((x) => x.slug));
  const ids = new Set(catalog.models.map((x) => x.id));
  const keys = new Set(
    catalog.endpoints.map((x) => endpointKey({ modelId: x.model, providerSlug: x.provider })),
  );
  return {
    providers: p.filter((r) => !slugs.has(r.slug)).length,
    models: m.filter((r) => !ids.has(r.id)).length,
    endpoints: e.filter((r) => !keys.has(endpointKey(r))).length,
  };
}

/** Deletes what the file does not list: endpoints first, then models and providers. */
async function prune(tx: Tx, catalog: Catalog): Promise<void> {
  const stored = await tx
    .select({ id: endpoints.id, modelId: endpoints.modelId, providerSlug: endpoints.providerSlug })
    .from(endpoints);
  const keys = new Set(
    catalog.endpoints.map((x) => endpointKey({ modelId: x.model, providerSlug: x.provider })),
  );
  const doomed = stored.filter((r) => !keys.has(endpointKey(r))).map((r) => r.id);
  if (doomed.length > 0) await tx.delete(endpoints).where(inArray(endpoints.id, doomed));
  const modelIds = catalog.models.map((m) => m.id);
  await tx.delete(models).where(modelIds.length > 0 ? notInArray(models.id, modelIds) : undefined);
  const slugs = catalog.providers.map((p) => p.slug);
  await tx.delete(providers).where(slugs.length > 0 ? notInArray(providers.slug, slugs) : undefined);
}

function endpointKey(r: { modelId: string; providerSlug: string }): string {
  return `${r.modelId}\u0000${r.providerSlug}`;
}

function emptyCounts(): Counts {
  return { added: 0, changed: 0, unchanged: 0 };
}

/** True when any column the file sets differs from the stored row. */
function differs(next: Record<string, unknown>, stored: Record<string, unknown>): boolean {
  return Object.entries(next).some(([column, value]) => !sameValue(column, value, stored[column]));
}

function sameValue(column: string, a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a == null && b == null;
  if (DECIMAL_COLUMNS.has(column)) return normaliseDecimal(String(a)) === normaliseDecimal(String(b));
  if (a instanceof Date || b instanceof Date)
    return new Date(a as Date).getTime() === new Date(b as Date).getTime();
  return canonicalJson(a) === canonicalJson(b);
}

/** "0.000000150000" and "0.00000015" and "00.00000015" → "0.00000015". */
export function normaliseDecimal(value: string): string {
  const [intPart = "0", frac = ""] = value.trim().split(".");
  const int = intPart.replace(/^0+(?=\d)/, "");
  const f = frac.replace(/0+$/, "");
  return f ? `${int}.${f}` : int;
}

/** JSON with object keys sorted, so jsonb values compare by content, not key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  );
}

function dropUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}
