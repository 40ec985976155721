CREATE TABLE "auth_codes" (
	"code_hash" text PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"approved_by_key_hash" text NOT NULL,
	"callback_url" text,
	"code_challenge" text,
	"code_challenge_method" text,
	"key_name" text NOT NULL,
	"key_limit" numeric(38, 12),
	"key_limit_reset" text,
	"key_expires_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "auth_codes" ADD CONSTRAINT "auth_codes_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "auth_codes" ADD CONSTRAINT "auth_codes_approved_by_key_hash_api_keys_hash_fk" FOREIGN KEY ("approved_by_key_hash") REFERENCES "public"."api_keys"("hash") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "auth_codes_expires_at_idx" ON "auth_codes" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "auth_codes_approved_by_idx" ON "auth_codes" USING btree ("approved_by_key_hash");