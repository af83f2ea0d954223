-- Conversation marks: the row holding a conversation's first message of a day records the
-- conversation's previous message (-infinity when none), so a team-wide window counts each
-- conversation once, at its first row inside the window, without grouping rows by conversation.
ALTER TABLE "analytics_daily_activity" ADD COLUMN IF NOT EXISTS "previous_message_at" timestamp with time zone;
--> statement-breakpoint
-- When a day's stored closed_at values were last checked against conversations (null: written before
-- this migration, without marks).
ALTER TABLE "analytics_activity_days" ADD COLUMN IF NOT EXISTS "closures_checked_at" timestamp with time zone;
--> statement-breakpoint
-- The day's team-wide message sums, written with its rows: team-wide windows add these up.
ALTER TABLE "analytics_activity_days" ADD COLUMN IF NOT EXISTS "message_totals" jsonb;
--> statement-breakpoint
-- The rows whose conversation was open when written, which the nightly closure refresh checks.
CREATE INDEX IF NOT EXISTS "analytics_daily_activity_open_idx" ON "analytics_daily_activity" USING btree ("team_id") WHERE conversation_closed_at IS NULL;
