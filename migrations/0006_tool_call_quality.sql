-- Tool-call quality per endpoint (API.md b4, Auto Exacto). drizzle-kit wrote the columns and the
-- index above; the function below is by hand: 0004's rollup, now also summing the served attempt's
-- tool calls and broken tool calls (generations.tool_calls / tool_call_errors, counted by the
-- Worker when it settles a request that offered tools) into the endpoint's bucket. Still once per
-- INSERT statement over its transition table, so a redelivered batch (ON CONFLICT DO NOTHING)
-- counts nothing twice. The trigger itself is unchanged: it calls the function by name.
ALTER TABLE "endpoint_stats" ADD COLUMN "tool_calls" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "endpoint_stats" ADD COLUMN "tool_call_errors" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "generations" ADD COLUMN "tool_calls" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "generations" ADD COLUMN "tool_call_errors" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "endpoint_stats_tool_calls_idx" ON "endpoint_stats" USING btree ("bucket") WHERE "endpoint_stats"."tool_calls" > 0;--> statement-breakpoint
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

    INSERT INTO endpoint_stats AS s (model_id, provider_slug, bucket, successes, failures, latency_ms, throughput,
                                     tool_calls, tool_call_errors)
    SELECT model_id, provider_slug, bucket,
           count(*) FILTER (WHERE served),
           count(*) FILTER (WHERE failed),
           endpoint_stats_histogram(endpoint_stats_bin(ttft_ms)),
           endpoint_stats_histogram(endpoint_stats_bin(tokens_per_second)),
           coalesce(sum(tool_calls), 0),
           coalesce(sum(tool_call_errors), 0)
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
             END AS tokens_per_second,
             CASE WHEN st.status BETWEEN 200 AND 299 AND a.value->>'provider' = g.provider_slug
                  THEN g.tool_calls END AS tool_calls,
             CASE WHEN st.status BETWEEN 200 AND 299 AND a.value->>'provider' = g.provider_slug
                  THEN g.tool_call_errors END AS tool_call_errors
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
      throughput = endpoint_stats_add(s.throughput, excluded.throughput),
      tool_calls = s.tool_calls + excluded.tool_calls,
      tool_call_errors = s.tool_call_errors + excluded.tool_call_errors;
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'endpoint_stats not updated for this batch: % (%)', SQLERRM, SQLSTATE;
  END;
  RETURN NULL;
END $$;
