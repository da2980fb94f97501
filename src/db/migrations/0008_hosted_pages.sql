ALTER TABLE "outbox_messages" ADD COLUMN "html" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "browser_secret_hash" text;