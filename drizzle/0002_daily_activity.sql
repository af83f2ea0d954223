-- Day-level activity rows written with each Daily snapshot: one row per (team, local day, account,
-- conversation, contact, campaign) with the message counts every metric family needs. Windows of
-- whole days (dashboards) merge them exactly: sums add, distinct contacts and conversations are
-- distinct ids over the rows. analytics_activity_days records which (team, day) pairs are written.
CREATE TABLE IF NOT EXISTS "analytics_daily_activity" (
	"team_id" uuid NOT NULL,
	"date" date NOT NULL,
	"whatsapp_account_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"campaign_id" uuid,
	"total" integer NOT NULL,
	"inbound" integer NOT NULL,
	"outbound" integer NOT NULL,
	"sent" integer NOT NULL,
	"delivered" integer NOT NULL,
	"read" integer NOT NULL,
	"failed" integer NOT NULL,
	"replied" integer NOT NULL,
	"response_seconds" numeric NOT NULL,
	"answered_turns" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "analytics_daily_activity_team_date_idx" ON "analytics_daily_activity" USING btree ("team_id","date");
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "analytics_activity_days" (
	"team_id" uuid NOT NULL,
	"date" date NOT NULL,
	"generated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "analytics_activity_days_team_id_date_pk" PRIMARY KEY("team_id","date")
);
--> statement-breakpoint
-- Contact totals (created / blocked before a window's end) read from the index alone, without
-- visiting the team's whole address book in the heap.
CREATE INDEX IF NOT EXISTS "contacts_team_created_cover_idx" ON "contacts" USING btree ("team_id","created_at") INCLUDE ("whatsapp_account_id","blocked_at");
--> statement-breakpoint
-- A conversation's account and closed_at by (team, id) from the index alone: the distinct
-- conversations of a window are looked up inside their team's index range.
CREATE INDEX IF NOT EXISTS "conversations_team_id_cover_idx" ON "conversations" USING btree ("team_id","id") INCLUDE ("whatsapp_account_id","closed_at");
