ALTER TABLE "oauth_codes" ADD COLUMN "app_code_challenge" text;--> statement-breakpoint
ALTER TABLE "oauth_flows" ADD COLUMN "app_code_challenge" text;