-- Each activity row also records its conversation's closed_at as it was when the row was written: a
-- team-wide dashboard window reads a closed conversation's state from its rows and looks up live only
-- the conversations that were still open then (or whose rows predate this column).
ALTER TABLE "analytics_daily_activity" ADD COLUMN IF NOT EXISTS "conversation_closed_at" timestamp with time zone;
