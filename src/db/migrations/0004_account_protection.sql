CREATE TABLE "blacklisted_devices" (
	"device_id" text PRIMARY KEY NOT NULL,
	"reason" text,
	"created_by_user_id" integer,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "device_fingerprints" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"device_key" text NOT NULL,
	"fingerprint_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "login_throttles" (
	"key" text PRIMARY KEY NOT NULL,
	"failures" integer NOT NULL,
	"lockouts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "login_events" ADD COLUMN "latitude" double precision;--> statement-breakpoint
ALTER TABLE "login_events" ADD COLUMN "longitude" double precision;--> statement-breakpoint
ALTER TABLE "device_fingerprints" ADD CONSTRAINT "device_fingerprints_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "device_fingerprints_user_id_device_key_index" ON "device_fingerprints" USING btree ("user_id","device_key");--> statement-breakpoint
CREATE INDEX "device_fingerprints_user_id_fingerprint_hash_index" ON "device_fingerprints" USING btree ("user_id","fingerprint_hash");