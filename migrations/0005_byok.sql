CREATE TABLE "byok_credentials" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"key_ciphertext" text NOT NULL,
	"label" text NOT NULL,
	"name" text,
	"is_fallback" boolean DEFAULT false NOT NULL,
	"is_required" boolean DEFAULT false NOT NULL,
	"is_byok_only" boolean DEFAULT false NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"allowed_models" text[],
	"allowed_api_key_hashes" text[],
	"allowed_user_ids" text[],
	"declared_zdr" boolean,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "byok_usage" numeric(38, 12) DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "generations" ADD COLUMN "is_byok" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "generations" ADD COLUMN "upstream_inference_cost" numeric(38, 12);--> statement-breakpoint
ALTER TABLE "key_usage_daily" ADD COLUMN "byok_usage" numeric(38, 12) DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "byok_credentials" ADD CONSTRAINT "byok_credentials_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "byok_credentials_account_idx" ON "byok_credentials" USING btree ("account_id","provider","sort_order");