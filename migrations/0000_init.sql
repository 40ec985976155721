CREATE TABLE "accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"credits" numeric(38, 12) DEFAULT '0' NOT NULL,
	"usage" numeric(38, 12) DEFAULT '0' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"hash" text PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"label" text NOT NULL,
	"is_management" boolean DEFAULT false NOT NULL,
	"limit" numeric(38, 12),
	"limit_reset" text,
	"include_byok_in_limit" boolean DEFAULT false NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"expires_at" timestamp with time zone,
	"usage" numeric(38, 12) DEFAULT '0' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "endpoints" (
	"id" serial PRIMARY KEY NOT NULL,
	"model_id" text NOT NULL,
	"provider_slug" text NOT NULL,
	"provider_model_id" text NOT NULL,
	"context_length" integer NOT NULL,
	"max_completion_tokens" integer,
	"max_prompt_tokens" integer,
	"price_prompt" numeric(38, 12) NOT NULL,
	"price_completion" numeric(38, 12) NOT NULL,
	"price_request" numeric(38, 12) DEFAULT '0' NOT NULL,
	"price_image" numeric(38, 12) DEFAULT '0' NOT NULL,
	"price_input_cache_read" numeric(38, 12),
	"price_input_cache_write" numeric(38, 12),
	"price_internal_reasoning" numeric(38, 12),
	"supported_parameters" text[] NOT NULL,
	"quantization" text DEFAULT 'unknown' NOT NULL,
	"status" integer DEFAULT 0 NOT NULL,
	"supports_implicit_caching" boolean DEFAULT false NOT NULL,
	"max_messages" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Edited by hand after drizzle-kit generate: generations is partitioned by month (drizzle-kit cannot declare it).
CREATE TABLE "generations" (
	"id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"account_id" uuid NOT NULL,
	"key_hash" text NOT NULL,
	"requested_model" text NOT NULL,
	"model" text,
	"provider_slug" text,
	"provider_name" text,
	"upstream_id" text,
	"streamed" boolean NOT NULL,
	"cancelled" boolean DEFAULT false NOT NULL,
	"status" integer NOT NULL,
	"finish_reason" text,
	"native_finish_reason" text,
	"tokens_prompt" integer DEFAULT 0 NOT NULL,
	"tokens_completion" integer DEFAULT 0 NOT NULL,
	"tokens_reasoning" integer DEFAULT 0 NOT NULL,
	"tokens_cached" integer DEFAULT 0 NOT NULL,
	"tokens_cache_write" integer DEFAULT 0 NOT NULL,
	"usage_estimated" boolean DEFAULT false NOT NULL,
	"total_cost" numeric(38, 12) DEFAULT '0' NOT NULL,
	"latency_ms" integer,
	"generation_time_ms" integer,
	"time_to_first_token_ms" integer,
	"attempts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"compression" jsonb,
	"raw_usage" jsonb,
	"error" jsonb,
	"http_referer" text,
	"app_title" text,
	"user_agent" text,
	"external_user" text,
	"session_id" text,
	CONSTRAINT "generations_id_created_at_pk" PRIMARY KEY("id","created_at")
) PARTITION BY RANGE ("created_at");
--> statement-breakpoint
CREATE TABLE "key_usage_daily" (
	"key_hash" text NOT NULL,
	"day" date NOT NULL,
	"usage" numeric(38, 12) DEFAULT '0' NOT NULL,
	"requests" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "key_usage_daily_key_hash_day_pk" PRIMARY KEY("key_hash","day")
);
--> statement-breakpoint
CREATE TABLE "models" (
	"id" text PRIMARY KEY NOT NULL,
	"canonical_slug" text NOT NULL,
	"name" text NOT NULL,
	"released_at" timestamp with time zone NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"context_length" integer NOT NULL,
	"input_modalities" text[] NOT NULL,
	"output_modalities" text[] NOT NULL,
	"tokenizer" text DEFAULT 'Other' NOT NULL,
	"instruct_type" text,
	"reasoning" jsonb,
	"default_parameters" jsonb,
	"expiration_date" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "providers" (
	"slug" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"adapter" text NOT NULL,
	"base_url" text NOT NULL,
	"api_key_env" text,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"data_policy" jsonb NOT NULL,
	"privacy_policy_url" text,
	"terms_of_service_url" text,
	"status_page_url" text,
	"headquarters" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "endpoints" ADD CONSTRAINT "endpoints_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "endpoints" ADD CONSTRAINT "endpoints_provider_slug_providers_slug_fk" FOREIGN KEY ("provider_slug") REFERENCES "public"."providers"("slug") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_usage_daily" ADD CONSTRAINT "key_usage_daily_key_hash_api_keys_hash_fk" FOREIGN KEY ("key_hash") REFERENCES "public"."api_keys"("hash") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_account_idx" ON "api_keys" USING btree ("account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "endpoints_model_provider_uq" ON "endpoints" USING btree ("model_id","provider_slug");--> statement-breakpoint
CREATE INDEX "endpoints_provider_idx" ON "endpoints" USING btree ("provider_slug");--> statement-breakpoint
CREATE INDEX "generations_key_time_idx" ON "generations" USING btree ("key_hash","created_at");--> statement-breakpoint
CREATE INDEX "generations_account_time_idx" ON "generations" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE INDEX "generations_model_time_idx" ON "generations" USING btree ("model","created_at") WHERE "generations"."model" is not null;--> statement-breakpoint
CREATE INDEX "models_released_at_idx" ON "models" USING btree ("released_at");