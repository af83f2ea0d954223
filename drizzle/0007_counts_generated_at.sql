-- Which generation of a day's rows its conversation counts were counted from (the day's generated_at
-- then): a rewrite that does not renew the counts leaves them behind, and the day reads as unmarked.
ALTER TABLE "analytics_activity_days" ADD COLUMN IF NOT EXISTS "counts_generated_at" timestamp with time zone;
--> statement-breakpoint
UPDATE "analytics_activity_days" SET "counts_generated_at" = "generated_at"
WHERE "conversation_counts" IS NOT NULL AND "counts_generated_at" IS NULL;
