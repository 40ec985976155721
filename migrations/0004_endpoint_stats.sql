-- Per-endpoint health (API.md b10: "uptime is tracked per endpoint"; latency and throughput
-- percentiles over the last 30 minutes). The table is drizzle-kit's; everything after it was
-- written by hand: a statement-level trigger on "generations" keeps the 5-minute buckets up to
-- date from the rows a batch actually inserted, and a few functions read percentiles back.
CREATE TABLE "endpoint_stats" (
	"model_id" text NOT NULL,
	"provider_slug" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"successes" integer DEFAULT 0 NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"latency_ms" integer[],
	"throughput" integer[],
	CONSTRAINT "endpoint_stats_model_id_provider_slug_bucket_pk" PRIMARY KEY("model_id","provider_slug","bucket")
);
--> statement-breakpoint
CREATE INDEX "endpoint_stats_bucket_idx" ON "endpoint_stats" USING btree ("bucket");
--> statement-breakpoint
-- Histogram bin of a value: 64 log-spaced bins, 4 per doubling. Bin i holds [2^(i/4), 2^((i+1)/4));
-- bin 0 also everything below 1, bin 63 everything from 2^15.75 (≈ 55 s, or 55k tokens/s) up.
-- Clamped before the cast, so no input (∞, NaN) can raise.
CREATE OR REPLACE FUNCTION endpoint_stats_bin(v double precision) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT least(63, greatest(0, floor(4 * ln(greatest(v, 1)) / ln(2))))::integer
$$;
--> statement-breakpoint
-- The histogram with one more count in `bin` (a null bin counts nothing): the step of
-- endpoint_stats_histogram(bin), which is null over no samples at all.
CREATE OR REPLACE FUNCTION endpoint_stats_count(hist integer[], bin integer) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF bin IS NULL THEN RETURN hist; END IF;
  IF hist IS NULL THEN hist := array_fill(0, ARRAY[64]); END IF;
  hist[bin + 1] := hist[bin + 1] + 1;
  RETURN hist;
END $$;
--> statement-breakpoint
CREATE OR REPLACE AGGREGATE endpoint_stats_histogram(integer) (SFUNC = endpoint_stats_count, STYPE = integer[]);
--> statement-breakpoint
-- Element-wise sum of two histograms; null is "no samples".
CREATE OR REPLACE FUNCTION endpoint_stats_add(a integer[], b integer[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN a IS NULL THEN b
    WHEN b IS NULL THEN a
    ELSE ARRAY(SELECT x + y FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i) ORDER BY i)
  END
$$;
--> statement-breakpoint
CREATE OR REPLACE AGGREGATE endpoint_stats_sum(integer[]) (SFUNC = endpoint_stats_add, STYPE = integer[]);
--> statement-breakpoint
-- The q-quantile (nearest rank) of a histogram, as its bin's geometric midpoint 2^((i + 0.5)/4):
-- within 2^(1/8) − 1 ≈ 9.05 % of the exact sample quantile for values from 1 to 2^15.75; below 1
-- it reads ≈ 1.09, above the top bin ≈ 57,000. Null without samples.
CREATE OR REPLACE FUNCTION endpoint_stats_quantile(hist integer[], q double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT power(2, (bin + 0.5) / 4)
  FROM (
    SELECT i - 1 AS bin, sum(n) OVER (ORDER BY i) AS upto, sum(n) OVER () AS total
    FROM unnest(hist) WITH ORDINALITY AS h(n, i)
  ) c
  WHERE total > 0 AND upto >= greatest(1, ceil(q * total))
  ORDER BY bin
  LIMIT 1
$$;
--> statement-breakpoint
-- The rollup step, once per INSERT statement on generations, over the rows it inserted: a
-- redelivered batch (ON CONFLICT DO NOTHING) brings an empty transition table and counts nothing.
-- Each attempt of a generation counts for its endpoint (provider slug, model id without the
-- `:variant`): served (2xx), or failed for availability (≥ 500, 408, 429). A refusal of the
-- request itself (other 4xx) and a client that went away (499) say nothing about the endpoint.
-- The served attempt adds its time to first token, from the attempt's own start (latency_ms −
-- generation_time_ms is when it was sent), if streamed (a non-streamed "first token" is the whole
-- answer), and its completion tokens per second of generation time, if it ran to its end.
--
-- Rows are upserted in key order, so concurrent batches lock them in the same order. Any error
-- here is turned into a warning: the insert it rides on carries the batch's charges, and stats
-- must never cost a charge. Once per 5-minute bucket (the first batch to write into a new one),
-- buckets older than 2 days are deleted: an index range delete of one bucket's rows, as a rule.
CREATE OR REPLACE FUNCTION endpoint_stats_collect() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    IF NOT EXISTS (
      SELECT 1 FROM endpoint_stats
      WHERE bucket = to_timestamp(floor(extract(epoch FROM now()) / 300) * 300)
    ) THEN
      DELETE FROM endpoint_stats WHERE bucket < now() - interval '2 days';
    END IF;

    INSERT INTO endpoint_stats AS s (model_id, provider_slug, bucket, successes, failures, latency_ms, throughput)
    SELECT model_id, provider_slug, bucket,
           count(*) FILTER (WHERE served),
           count(*) FILTER (WHERE failed),
           endpoint_stats_histogram(endpoint_stats_bin(ttft_ms)),
           endpoint_stats_histogram(endpoint_stats_bin(tokens_per_second))
    FROM (
      SELECT regexp_replace(a.value->>'model', ':(free|floor|nitro|online|thinking|extended|exacto)$', '')
               AS model_id,
             a.value->>'provider' AS provider_slug,
             to_timestamp(floor(extract(epoch FROM g.created_at) / 300) * 300) AS bucket,
             st.status BETWEEN 200 AND 299 AS served,
             st.status >= 500 OR st.status IN (408, 429) AS failed,
             CASE WHEN st.status BETWEEN 200 AND 299 AND a.value->>'provider' = g.provider_slug
                       AND g.streamed AND g.time_to_first_token_ms IS NOT NULL
                  THEN greatest(0, g.time_to_first_token_ms
                                   - coalesce(g.latency_ms - g.generation_time_ms, 0))::double precision
             END AS ttft_ms,
             CASE WHEN st.status BETWEEN 200 AND 299 AND a.value->>'provider' = g.provider_slug
                       AND NOT g.cancelled AND g.error IS NULL
                       AND g.tokens_completion > 0 AND g.generation_time_ms > 0
                  THEN g.tokens_completion * 1000.0 / g.generation_time_ms
             END AS tokens_per_second
      FROM new_generations g
      CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(g.attempts) = 'array' THEN g.attempts ELSE '[]'::jsonb END
      ) AS a
      CROSS JOIN LATERAL (
        SELECT CASE WHEN jsonb_typeof(a.value->'status') = 'number' THEN (a.value->>'status')::numeric END
      ) AS st(status)
      -- Rows written long after the fact (an outbox drained after an outage) land in buckets
      -- that pruning would delete at once.
      WHERE g.created_at > now() - interval '2 days'
    ) attempt
    WHERE model_id IS NOT NULL AND provider_slug IS NOT NULL AND (served OR failed)
    GROUP BY model_id, provider_slug, bucket
    ORDER BY model_id, provider_slug, bucket
    ON CONFLICT (model_id, provider_slug, bucket) DO UPDATE SET
      successes = s.successes + excluded.successes,
      failures = s.failures + excluded.failures,
      latency_ms = endpoint_stats_add(s.latency_ms, excluded.latency_ms),
      throughput = endpoint_stats_add(s.throughput, excluded.throughput);
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'endpoint_stats not updated for this batch: % (%)', SQLERRM, SQLSTATE;
  END;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER generations_endpoint_stats
AFTER INSERT ON generations
REFERENCING NEW TABLE AS new_generations
FOR EACH STATEMENT EXECUTE FUNCTION endpoint_stats_collect();
