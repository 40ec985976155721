import { env, exports } from "cloudflare:workers";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { providers } from "../../src/db/schema";
import { providerListResponseSchema } from "../../src/schema/models";

const run = `p${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const db = () => createDb(env.HYPERDRIVE.connectionString);

beforeAll(async () => {
  await db()
    .insert(providers)
    .values([
      {
        slug: `${run}-zed`,
        name: `ZZ ${run}`,
        adapter: "anthropic",
        baseUrl: "https://zed.example",
        dataPolicy: { training: false, retainsPrompts: true, retentionDays: 30 },
        privacyPolicyUrl: "https://zed.example/privacy",
        termsOfServiceUrl: "https://zed.example/terms",
        statusPageUrl: "https://status.zed.example",
        headquarters: "US",
      },
      {
        slug: `${run}-ace`,
        name: `AA ${run}`,
        adapter: "openai",
        baseUrl: "http://127.0.0.1:11434/v1",
        dataPolicy: { training: false, retainsPrompts: false },
      },
    ]);
});

afterAll(async () => {
  await db()
    .delete(providers)
    .where(inArray(providers.slug, [`${run}-zed`, `${run}-ace`]));
});

describe("GET /api/v1/providers", () => {
  it("lists providers in OpenRouter's shape, by name, without a key", async () => {
    const res = await exports.default.fetch("http://gateway/api/v1/providers");
    expect(res.status).toBe(200);
    const { data } = providerListResponseSchema.parse(await res.json());
    const mine = data.filter((p) => p.slug.startsWith(run));
    expect(mine).toEqual([
      {
        name: `AA ${run}`,
        slug: `${run}-ace`,
        privacy_policy_url: null,
        terms_of_service_url: null,
        status_page_url: null,
        headquarters: null,
        datacenters: [],
      },
      {
        name: `ZZ ${run}`,
        slug: `${run}-zed`,
        privacy_policy_url: "https://zed.example/privacy",
        terms_of_service_url: "https://zed.example/terms",
        status_page_url: "https://status.zed.example",
        headquarters: "US",
        datacenters: [],
      },
    ]);
    const names = data.map((p) => p.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    // Nothing internal leaks: no base URLs, adapters or secret names.
    expect(JSON.stringify(data)).not.toMatch(/baseUrl|base_url|adapter|api_key/);
  });
});
