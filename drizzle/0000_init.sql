-- Hand-edited from drizzle-kit output so that it runs unchanged over an existing CRM database:
-- enum types and tables are created only when absent (an existing table keeps its columns,
-- constraints and rows), foreign keys are added only to tables this migration created,
-- and indexes are created by name when missing.
DO $$ BEGIN
  CREATE TYPE "public"."campaign_status" AS ENUM('draft', 'scheduled', 'running', 'paused', 'completed', 'failed', 'cancelled');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  CREATE TYPE "public"."conversation_status" AS ENUM('open', 'closed');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  CREATE TYPE "public"."message_direction" AS ENUM('inbound', 'outbound');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  CREATE TYPE "public"."message_status" AS ENUM('pending', 'sent', 'delivered', 'read', 'failed', 'received');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  CREATE TYPE "public"."snapshot_type" AS ENUM('Daily', 'Weekly', 'Monthly');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  IF to_regclass('public.teams') IS NULL THEN
    CREATE TABLE "teams" (
    	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    	"name" text NOT NULL,
    	"timezone" text DEFAULT 'UTC' NOT NULL,
    	"created_at" timestamp with time zone DEFAULT now() NOT NULL
    );
  END IF;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  IF to_regclass('public.whatsapp_accounts') IS NULL THEN
    CREATE TABLE "whatsapp_accounts" (
    	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    	"team_id" uuid NOT NULL,
    	"phone_number" text NOT NULL,
    	"display_name" text,
    	"created_at" timestamp with time zone DEFAULT now() NOT NULL
    );
    ALTER TABLE "whatsapp_accounts" ADD CONSTRAINT "whatsapp_accounts_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;
  END IF;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  IF to_regclass('public.contacts') IS NULL THEN
    CREATE TABLE "contacts" (
    	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    	"team_id" uuid NOT NULL,
    	"whatsapp_account_id" uuid NOT NULL,
    	"phone_number" text NOT NULL,
    	"name" text,
    	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
    	"blocked_at" timestamp with time zone
    );
    ALTER TABLE "contacts" ADD CONSTRAINT "contacts_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;
    ALTER TABLE "contacts" ADD CONSTRAINT "contacts_whatsapp_account_id_whatsapp_accounts_id_fk" FOREIGN KEY ("whatsapp_account_id") REFERENCES "public"."whatsapp_accounts"("id") ON DELETE no action ON UPDATE no action;
  END IF;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  IF to_regclass('public.conversations') IS NULL THEN
    CREATE TABLE "conversations" (
    	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    	"team_id" uuid NOT NULL,
    	"whatsapp_account_id" uuid NOT NULL,
    	"contact_id" uuid NOT NULL,
    	"status" "conversation_status" DEFAULT 'open' NOT NULL,
    	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
    	"closed_at" timestamp with time zone
    );
    ALTER TABLE "conversations" ADD CONSTRAINT "conversations_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;
    ALTER TABLE "conversations" ADD CONSTRAINT "conversations_whatsapp_account_id_whatsapp_accounts_id_fk" FOREIGN KEY ("whatsapp_account_id") REFERENCES "public"."whatsapp_accounts"("id") ON DELETE no action ON UPDATE no action;
    ALTER TABLE "conversations" ADD CONSTRAINT "conversations_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;
  END IF;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  IF to_regclass('public.campaigns') IS NULL THEN
    CREATE TABLE "campaigns" (
    	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    	"team_id" uuid NOT NULL,
    	"whatsapp_account_id" uuid NOT NULL,
    	"name" text NOT NULL,
    	"status" "campaign_status" DEFAULT 'draft' NOT NULL,
    	"total_recipients" integer DEFAULT 0 NOT NULL,
    	"started_at" timestamp with time zone,
    	"finished_at" timestamp with time zone,
    	"created_at" timestamp with time zone DEFAULT now() NOT NULL
    );
    ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;
    ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_whatsapp_account_id_whatsapp_accounts_id_fk" FOREIGN KEY ("whatsapp_account_id") REFERENCES "public"."whatsapp_accounts"("id") ON DELETE no action ON UPDATE no action;
  END IF;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  IF to_regclass('public.messages') IS NULL THEN
    CREATE TABLE "messages" (
    	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    	"team_id" uuid NOT NULL,
    	"whatsapp_account_id" uuid NOT NULL,
    	"conversation_id" uuid NOT NULL,
    	"contact_id" uuid NOT NULL,
    	"campaign_id" uuid,
    	"direction" "message_direction" NOT NULL,
    	"status" "message_status" NOT NULL,
    	"created_at" timestamp with time zone DEFAULT now() NOT NULL
    );
    ALTER TABLE "messages" ADD CONSTRAINT "messages_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;
    ALTER TABLE "messages" ADD CONSTRAINT "messages_whatsapp_account_id_whatsapp_accounts_id_fk" FOREIGN KEY ("whatsapp_account_id") REFERENCES "public"."whatsapp_accounts"("id") ON DELETE no action ON UPDATE no action;
    ALTER TABLE "messages" ADD CONSTRAINT "messages_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE no action ON UPDATE no action;
    ALTER TABLE "messages" ADD CONSTRAINT "messages_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;
    ALTER TABLE "messages" ADD CONSTRAINT "messages_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;
  END IF;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  IF to_regclass('public.analytics_snapshots') IS NULL THEN
    CREATE TABLE "analytics_snapshots" (
    	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    	"team_id" uuid NOT NULL,
    	"whatsapp_account_id" uuid,
    	"date" date NOT NULL,
    	"snapshot_type" "snapshot_type" NOT NULL,
    	"metrics" jsonb NOT NULL,
    	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
    	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
    	CONSTRAINT "analytics_snapshots_scope_unique" UNIQUE NULLS NOT DISTINCT("team_id","whatsapp_account_id","date","snapshot_type")
    );
  END IF;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  IF to_regclass('public.job_runs') IS NULL THEN
    CREATE TABLE "job_runs" (
    	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    	"name" text NOT NULL,
    	"run_key" text NOT NULL,
    	"trigger" text DEFAULT 'schedule' NOT NULL,
    	"status" text DEFAULT 'running' NOT NULL,
    	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
    	"finished_at" timestamp with time zone,
    	"snapshots_written" integer DEFAULT 0 NOT NULL,
    	"teams_total" integer DEFAULT 0 NOT NULL,
    	"teams_failed" integer DEFAULT 0 NOT NULL,
    	"failed_teams" jsonb DEFAULT '[]'::jsonb NOT NULL,
    	"error" text,
    	CONSTRAINT "job_runs_run_key_unique" UNIQUE("run_key")
    );
  END IF;
END $$;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "analytics_snapshots_team_date_idx" ON "analytics_snapshots" USING btree ("team_id","date");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "analytics_snapshots_date_idx" ON "analytics_snapshots" USING btree ("date");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "analytics_snapshots_type_idx" ON "analytics_snapshots" USING btree ("snapshot_type");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "campaigns_team_started_idx" ON "campaigns" USING btree ("team_id","started_at");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "contacts_team_created_idx" ON "contacts" USING btree ("team_id","created_at");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "conversations_team_idx" ON "conversations" USING btree ("team_id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "job_runs_started_idx" ON "job_runs" USING btree ("started_at");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "messages_team_created_idx" ON "messages" USING btree ("team_id","created_at");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "messages_conversation_created_idx" ON "messages" USING btree ("conversation_id","created_at","id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "whatsapp_accounts_team_idx" ON "whatsapp_accounts" USING btree ("team_id");
