import { env, exports } from "cloudflare:workers";
import { inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey, hashApiKey, keyLabel } from "../../src/auth/api-key";
import { createDb } from "../../src/db/client";
import { insertKey } from "../../src/db/queries/keys";
import { accounts, apiKeys, endpoints, models, providers } from "../../src/db/schema";
import {
  modelCountResponseSchema,
  modelEndpointsResponseSchema,
  modelListResponseSchema,
  modelResponseSchema,
} from "../../src/schema/models";

// Rows of this file only: unique slugs, and a supported parameter no one else uses to filter by.
const run = `m${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const P = `param_${run}`;
const author = `${run}-lab`;
const A = `${author}/alpha`;
const B = `${author}/beta`;
const C = `${author}/painter`;
const cheap = `${run}-cheap`;
const pricey = `${run}-pricey`;
const db = () => createDb(env.HYPERDRIVE.connectionString);

const model = (id: string, released: string, contextLength: number, outputs = ["text"]) => ({
  id,
  canonicalSlug: `${id}-20240101`,
  name: `Lab: ${id.split("/")[1]}`,
  releasedAt: new Date(released),
  description: `The ${id} model`,
  contextLength,
  inputModalities: ["text", "image"],
  outputModalities: outputs,
  tokenizer: "GPT",
});

const endpoint = (
  modelId: string,
  providerSlug: string,
  prompt: string,
  completion: string,
  params: string[],
  extra: Partial<typeof endpoints.$inferInsert> = {},
) => ({
  modelId,
  providerSlug,
  providerModelId: modelId.split("/")[1]!,
  contextLength: 64_000,
  pricePrompt: prompt,
  priceCompletion: completion,
  supportedParameters: [P, ...params],
  ...extra,
});

beforeAll(async () => {
  const d = db();
  await d.insert(providers).values([
    {
      slug: cheap,
      name: "Cheap Co",
      adapter: "openai",
      baseUrl: "https://cheap.example/v1",
      dataPolicy: { training: false, retainsPrompts: false },
    },
    {
      slug: pricey,
      name: "Pricey Inc",
      adapter: "openai",
      baseUrl: "https://pricey.example/v1",
      dataPolicy: { training: false, retainsPrompts: true },
    },
  ]);
  await d
    .insert(models)
    .values([
      { ...model(A, "2024-01-01T00:00:00Z", 100_000), reasoning: { supported_efforts: ["low", "high"] } },
      model(B, "2025-01-01T00:00:00Z", 200_000),
      model(C, "2023-06-01T00:00:00Z", 8_000, ["image"]),
    ]);
  await d.insert(endpoints).values([
    endpoint(A, pricey, "0.000001", "0.000002", ["tools"], { maxCompletionTokens: 4096 }),
    endpoint(A, cheap, "0.0000005", "0.000001", ["seed"], {
      contextLength: 100_000,
      maxCompletionTokens: 8192,
      priceInputCacheRead: "0.00000005",
      quantization: "fp8",
      supportsImplicitCaching: true,
    }),
    endpoint(B, pricey, "0.00001", "0.00003", []),
    endpoint(B, cheap, "0", "0", [], { status: -1 }),
    endpoint(C, pricey, "0.000002", "0.000004", []),
  ]);
});

afterAll(async () => {
  await db()
    .delete(accounts)
    .where(
      inArray(
        accounts.id,
        db()
          .select({ id: apiKeys.accountId })
          .from(apiKeys)
          .where(inArray(apiKeys.name, [`${run}-user`, `${run}-admin`])),
      ),
    );
  await db().execute(sql`delete from endpoint_stats where model_id in (${A}, ${B}, ${C})`);
  await db()
    .delete(models)
    .where(inArray(models.id, [A, B, C]));
  await db()
    .delete(providers)
    .where(inArray(providers.slug, [cheap, pricey]));
});

const get = (path: string, key?: string) =>
  exports.default.fetch(`http://gateway/api/v1${path}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });

async function makeKey(name: string, management: boolean): Promise<string> {
  const secret = generateApiKey(management);
  await insertKey(db(), {
    hash: await hashApiKey(secret),
    label: keyLabel(secret),
    name,
    isManagement: management,
  });
  return secret;
}

async function list(query: string) {
  const res = await get(`/models?${query}`);
  expect(res.status).toBe(200);
  return modelListResponseSchema.parse(await res.json());
}

const ids = (body: { data: { id: string }[] }) => body.data.map((m) => m.id);

describe("GET /api/v1/models", () => {
  it("lists each model with a paid endpoint, plus its :free variant, newest first, without a key", async () => {
    const body = await list(`supported_parameters=${P}`);
    expect(ids(body)).toEqual([B, `${B}:free`, A]);
    expect(body.total_count).toBe(3);
    expect(body.links.next).toBeNull();
  });

  it("shows OpenRouter's fields, priced at the cheapest endpoint", async () => {
    const alpha = (await list(`supported_parameters=${P}`)).data.find((m) => m.id === A)!;
    expect(alpha).toEqual({
      id: A,
      canonical_slug: `${A}-20240101`,
      name: "Lab: alpha",
      created: Date.parse("2024-01-01T00:00:00Z") / 1000,
      description: `The ${A} model`,
      context_length: 100_000,
      architecture: {
        modality: "text+image->text",
        input_modalities: ["text", "image"],
        output_modalities: ["text"],
        tokenizer: "GPT",
        instruct_type: null,
      },
      pricing: {
        prompt: "0.0000005",
        completion: "0.000001",
        request: "0",
        image: "0",
        web_search: "0",
        internal_reasoning: "0",
        input_cache_read: "0.00000005",
      },
      top_provider: { context_length: 100_000, max_completion_tokens: 8192, is_moderated: false },
      per_request_limits: null,
      supported_parameters: [P, "seed", "tools"].sort(),
      default_parameters: null,
      expiration_date: null,
      reasoning: { supported_efforts: ["low", "high"], mandatory: false },
      supported_voices: null,
      links: { details: `/api/v1/models/${A}/endpoints` },
    });
    const free = (await list(`supported_parameters=${P}`)).data.find((m) => m.id === `${B}:free`)!;
    expect(free).toMatchObject({ name: "Lab: beta (free)", pricing: { prompt: "0", completion: "0" } });
  });

  it("keeps only models supporting every listed parameter", async () => {
    expect(ids(await list(`supported_parameters=${P},tools`))).toEqual([A]);
    expect(ids(await list(`supported_parameters=${P},tools,seed`))).toEqual([A]);
    expect(ids(await list(`supported_parameters=${P},nope`))).toEqual([]);
  });

  it("filters by output modality (text by default)", async () => {
    expect(ids(await list(`supported_parameters=${P}&output_modalities=image`))).toEqual([C]);
    expect(ids(await list(`supported_parameters=${P}&output_modalities=text,image`))).toEqual([
      B,
      `${B}:free`,
      A,
      C,
    ]);
    expect(ids(await list(`supported_parameters=${P}&output_modalities=all`))).toHaveLength(4);
  });

  it.each([
    ["pricing-low-to-high", [`${B}:free`, A, B]],
    ["pricing-high-to-low", [B, A, `${B}:free`]],
    ["context-high-to-low", [B, `${B}:free`, A]],
    ["context-low-to-high", [A, B, `${B}:free`]],
    ["newest", [B, `${B}:free`, A]],
    ["throughput-high-to-low", [B, `${B}:free`, A]],
  ])("sorts by %s", async (sort, expected) => {
    expect(ids(await list(`supported_parameters=${P}&sort=${sort}`))).toEqual(expected);
  });

  it("pages with offset and limit, linking the next page", async () => {
    const first = await list(`supported_parameters=${P}&limit=2`);
    expect(ids(first)).toEqual([B, `${B}:free`]);
    expect(first.total_count).toBe(3);
    expect(first.links.next).toMatch(/^\/api\/v1\/models\?/);
    const next = new URL(first.links.next!, "http://gateway");
    expect(next.searchParams.get("offset")).toBe("2");
    expect(next.searchParams.get("supported_parameters")).toBe(P);
    const second = await list(next.search.slice(1));
    expect(ids(second)).toEqual([A]);
    expect(second.links.next).toBeNull();
  });

  it.each([
    ["sort", "sort=cheapest"],
    ["limit", "limit=1001"],
    ["offset", "offset=-1"],
    ["output_modalities", "output_modalities=smell"],
  ])("refuses a bad %s with a 400 naming it", async (field, query) => {
    const res = await get(`/models?${query}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(400);
    expect(body.error.message).toContain(field);
  });
});

describe("GET /api/v1/models/count", () => {
  it("counts the models the filters match", async () => {
    const res = await get(`/models/count?supported_parameters=${P}`);
    expect(modelCountResponseSchema.parse(await res.json())).toEqual({ data: { count: 3 } });
    const all = modelCountResponseSchema.parse(await (await get("/models/count")).json());
    expect(all.data.count).toBeGreaterThanOrEqual(3);
  });
});

describe("GET /api/v1/models/:author/:slug/endpoints", () => {
  it("lists a model's paid endpoints, cheapest first", async () => {
    const res = await get(`/models/${A}/endpoints`);
    expect(res.status).toBe(200);
    const { data } = modelEndpointsResponseSchema.parse(await res.json());
    expect(data).toMatchObject({
      id: A,
      name: "Lab: alpha",
      created: 1704067200,
      description: `The ${A} model`,
    });
    expect(data.architecture.modality).toBe("text+image->text");
    expect(data.endpoints.map((e) => e.tag)).toEqual([cheap, pricey]);
    expect(data.endpoints[0]).toEqual({
      name: `Cheap Co | ${A}`,
      model_id: A,
      model_name: "Lab: alpha",
      provider_name: "Cheap Co",
      tag: cheap,
      context_length: 100_000,
      max_completion_tokens: 8192,
      max_prompt_tokens: null,
      pricing: {
        prompt: "0.0000005",
        completion: "0.000001",
        request: "0",
        image: "0",
        web_search: "0",
        internal_reasoning: "0",
        input_cache_read: "0.00000005",
      },
      quantization: "fp8",
      status: 0,
      supported_parameters: [P, "seed"],
      supports_implicit_caching: true,
      supports_tool_choice: { auto: false, function: false, none: false, required: false },
      uptime_last_5m: null,
      uptime_last_30m: null,
      uptime_last_1d: null,
      latency_last_30m: null,
      throughput_last_30m: null,
    });
    // `tools` without `tool_choice`: the provider's default ("auto") only.
    expect(data.endpoints[1]?.supports_tool_choice).toEqual({
      auto: true,
      function: false,
      none: false,
      required: false,
    });
  });

  it("shows each endpoint's measured uptime, latency and throughput (the endpoint_stats rollup)", async () => {
    // As the trigger on generations would leave them: Pricey served 9 of 10 attempts in the
    // current 5-minute bucket, 10 of 10 twenty minutes ago, none of 20 five hours ago.
    await db().execute(sql`
      insert into endpoint_stats (model_id, provider_slug, bucket, successes, failures, latency_ms, throughput)
      select ${A}, ${pricey}, to_timestamp(floor(extract(epoch from now() - ago) / 300) * 300), s, f,
        (select endpoint_stats_histogram(endpoint_stats_bin(ms)) from unnest(lat) ms),
        (select endpoint_stats_histogram(endpoint_stats_bin(tps)) from unnest(tput) tps)
      from (values
        (interval '0', 9, 1, array[200, 200, 200, 220, 1000]::float8[], array[50, 50, 50, 50]::float8[]),
        (interval '20 minutes', 10, 0, array[200, 200]::float8[], array[]::float8[]),
        (interval '5 hours', 0, 20, array[9000, 9000, 9000]::float8[], array[1]::float8[])
      ) v(ago, s, f, lat, tput)`);
    const { data } = modelEndpointsResponseSchema.parse(await (await get(`/models/${A}/endpoints`)).json());
    const [cheapest, measured] = data.endpoints;
    expect(measured).toMatchObject({
      tag: pricey,
      uptime_last_5m: 90,
      uptime_last_30m: 95,
      uptime_last_1d: 47.5,
      // Seven latencies in 30 minutes (5 hours ago is outside), read as their bins' midpoints,
      // within 9.05 %: 200 ms reads 197, 220 ms 235, 1000 ms 939; 50 tokens/s 49.4.
      latency_last_30m: { p50: 197, p75: 235, p90: 939, p99: 939 },
      throughput_last_30m: { p50: 49.4, p75: 49.4, p90: 49.4, p99: 49.4 },
    });
    // No attempts: unknown, not an outage.
    expect(cheapest).toMatchObject({ tag: cheap, uptime_last_5m: null, latency_last_30m: null });
  });

  it("lists the free endpoints of a :free variant", async () => {
    const { data } = modelEndpointsResponseSchema.parse(
      await (await get(`/models/${B}:free/endpoints`)).json(),
    );
    expect(data.id).toBe(`${B}:free`);
    expect(data.endpoints).toHaveLength(1);
    expect(data.endpoints[0]).toMatchObject({
      tag: cheap,
      status: -1,
      pricing: { prompt: "0", completion: "0" },
    });
  });

  it.each([`${author}/nope`, `${A}:free`, `${run}-nobody/alpha`])(
    "answers 404 naming the unknown model %s",
    async (id) => {
      const res = await get(`/models/${id}/endpoints`);
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { code: number; message: string; metadata: unknown } };
      expect(body.error).toMatchObject({ code: 404, metadata: { error_type: "not_found" } });
      expect(body.error.message).toContain(id);
    },
  );
});

describe("GET /api/v1/model/:author/:slug", () => {
  it("answers one model exactly as /models lists it, without a key", async () => {
    const listed = (await list(`supported_parameters=${P}`)).data.find((m) => m.id === A);
    const res = await get(`/model/${A}`);
    expect(res.status).toBe(200);
    expect(modelResponseSchema.parse(await res.json())).toEqual({ data: listed });
  });

  it.each([
    [`${B}:free`, `${B}:free`, "Lab: beta (free)"],
    // A percent-encoded colon, as OpenRouter's SDK sends it.
    [`${B}%3Afree`, `${B}:free`, "Lab: beta (free)"],
    [`${A}:nitro`, `${A}:nitro`, "Lab: alpha (nitro)"],
    [`${A}:thinking`, `${A}:thinking`, "Lab: alpha (thinking)"],
  ])("resolves the variant %s", async (path, id, name) => {
    const res = await get(`/model/${path}`);
    expect(res.status).toBe(200);
    const { data } = modelResponseSchema.parse(await res.json());
    expect(data).toMatchObject({ id, name });
  });

  it.each([
    [`${author}/nope`, "not found"],
    [`${A}:free`, "has no free endpoints"],
    [`${B}:thinking`, "does not reason"],
    [`${A}:online`, "no :online variant"],
  ])("answers 404 in the error shape for %s", async (id, why) => {
    const res = await get(`/model/${id}`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: number; message: string; metadata: unknown } };
    expect(body.error).toMatchObject({ code: 404, metadata: { error_type: "not_found", model: id } });
    expect(body.error.message).toContain(id);
    expect(body.error.message).toContain(why);
  });
});

describe("GET /api/v1/models/user", () => {
  it("lists what /models lists, with the same filters and pages, for an API key", async () => {
    const key = await makeKey(`${run}-user`, false);
    const res = await get(`/models/user?supported_parameters=${P}&limit=2`, key);
    expect(res.status).toBe(200);
    const body = modelListResponseSchema.parse(await res.json());
    expect(ids(body)).toEqual([B, `${B}:free`]);
    expect(body.total_count).toBe(3);
    expect(body.links.next).toMatch(/^\/api\/v1\/models\/user\?.*offset=2/);
  });

  it.each([
    ["no key", undefined],
    ["an unknown key", "sk-sy-v1-nope"],
  ])("refuses %s with 401", async (_name, key) => {
    const res = await get("/models/user", key);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      error: { code: 401, metadata: { error_type: "authentication" } },
    });
  });

  it("refuses a management key, which may use no model, with 403", async () => {
    const res = await get("/models/user", await makeKey(`${run}-admin`, true));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: { code: 403, metadata: { error_type: "permission_denied" } },
    });
  });

  it("refuses a bad query with a 400 naming it", async () => {
    const key = await makeKey(`${run}-user`, false);
    const res = await get("/models/user?limit=0", key);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("limit");
  });
});
