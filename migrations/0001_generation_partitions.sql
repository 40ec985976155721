-- Monthly partitions of "generations". A default partition catches anything outside the
-- created ranges so an insert never fails; `ensure_generation_partitions` is idempotent and
-- is called by every `npm run db:migrate` (and can run from cron) to keep months ahead ready.
-- Retention is `DROP TABLE generations_yYYYYmMM` on an old month: no DELETE, no bloat, no VACUUM.
CREATE TABLE IF NOT EXISTS "generations_default" PARTITION OF "generations" DEFAULT;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION ensure_generation_partitions(months_ahead integer DEFAULT 3)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  month_start date := date_trunc('month', now() - interval '1 month')::date;
  part_name text;
BEGIN
  FOR i IN 0..(months_ahead + 1) LOOP
    part_name := format('generations_y%sm%s', to_char(month_start, 'YYYY'), to_char(month_start, 'MM'));
    IF to_regclass(part_name) IS NULL THEN
      EXECUTE format(
        'CREATE TABLE %I PARTITION OF generations FOR VALUES FROM (%L) TO (%L)',
        part_name, month_start, (month_start + interval '1 month')::date
      );
    END IF;
    month_start := (month_start + interval '1 month')::date;
  END LOOP;
END $$;
--> statement-breakpoint
SELECT ensure_generation_partitions(3);
