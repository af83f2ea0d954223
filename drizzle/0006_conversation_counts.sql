-- Each stored day's conversations at their marked rows, counted by the local dates of the previous
-- message (p) and of the stored closed_at (c): team-wide windows add these up instead of reading rows.
ALTER TABLE "analytics_activity_days" ADD COLUMN IF NOT EXISTS "conversation_counts" jsonb;
--> statement-breakpoint
-- The days already stored with marks, counted from their rows (in the team's zone, as they were written).
UPDATE "analytics_activity_days" d SET "conversation_counts" = (
  SELECT coalesce(jsonb_agg(jsonb_build_object('p', k.p, 'c', k.c, 'n', k.n)), '[]'::jsonb)
  FROM (
    SELECT (a.previous_message_at AT TIME ZONE t.timezone)::date AS p,
           (a.conversation_closed_at AT TIME ZONE t.timezone)::date AS c, count(*)::int AS n
    FROM "analytics_daily_activity" a
    WHERE a.team_id = d.team_id AND a.date = d.date AND a.previous_message_at IS NOT NULL
    GROUP BY 1, 2
  ) k
)
FROM "teams" t
WHERE t.id = d.team_id AND d.message_totals IS NOT NULL AND d.conversation_counts IS NULL;
