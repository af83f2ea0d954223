import { sql } from 'drizzle-orm';
import {
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  date,
  numeric,
  primaryKey,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

const tz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const createdAt = () => tz('created_at').notNull().defaultNow();

// ── Source tables (the CRM's data, spec §1) ──────────────────────────────────
export const conversationStatus = pgEnum('conversation_status', ['open', 'closed']);
export const campaignStatus = pgEnum('campaign_status', [
  'draft',
  'scheduled',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
]);
export const messageDirection = pgEnum('message_direction', ['inbound', 'outbound']);
export const messageStatus = pgEnum('message_status', ['pending', 'sent', 'delivered', 'read', 'failed', 'received']);

export const teams = pgTable('teams', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  timezone: text('timezone').notNull().default('UTC'),
  createdAt: createdAt(),
});

export const whatsappAccounts = pgTable(
  'whatsapp_accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id').notNull().references(() => teams.id),
    phoneNumber: text('phone_number').notNull(),
    displayName: text('display_name'),
    createdAt: createdAt(),
  },
  (t) => [index('whatsapp_accounts_team_idx').on(t.teamId)],
);

export const contacts = pgTable(
  'contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id').notNull().references(() => teams.id),
    whatsappAccountId: uuid('whatsapp_account_id').notNull().references(() => whatsappAccounts.id),
    phoneNumber: text('phone_number').notNull(),
    name: text('name'),
    createdAt: createdAt(),
    blockedAt: tz('blocked_at'),
  },
  (t) => [
    index('contacts_team_created_idx').on(t.teamId, t.createdAt),
    // drizzle-kit cannot express INCLUDE: migration 0002 creates contacts_team_created_cover_idx
    // (team_id, created_at) INCLUDE (whatsapp_account_id, blocked_at) for index-only contact totals.
  ],
);

export const conversations = pgTable(
  'conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id').notNull().references(() => teams.id),
    whatsappAccountId: uuid('whatsapp_account_id').notNull().references(() => whatsappAccounts.id),
    contactId: uuid('contact_id').notNull().references(() => contacts.id),
    status: conversationStatus('status').notNull().default('open'),
    openedAt: tz('opened_at').notNull().defaultNow(),
    closedAt: tz('closed_at'),
  },
  (t) => [index('conversations_team_idx').on(t.teamId)],
);

export const campaigns = pgTable(
  'campaigns',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id').notNull().references(() => teams.id),
    whatsappAccountId: uuid('whatsapp_account_id').notNull().references(() => whatsappAccounts.id),
    name: text('name').notNull(),
    status: campaignStatus('status').notNull().default('draft'),
    totalRecipients: integer('total_recipients').notNull().default(0),
    startedAt: tz('started_at'),
    finishedAt: tz('finished_at'),
    createdAt: createdAt(),
  },
  (t) => [index('campaigns_team_started_idx').on(t.teamId, t.startedAt)],
);

export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id').notNull().references(() => teams.id),
    whatsappAccountId: uuid('whatsapp_account_id').notNull().references(() => whatsappAccounts.id),
    conversationId: uuid('conversation_id').notNull().references(() => conversations.id),
    contactId: uuid('contact_id').notNull().references(() => contacts.id),
    campaignId: uuid('campaign_id').references(() => campaigns.id),
    direction: messageDirection('direction').notNull(),
    status: messageStatus('status').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    // Aggregation scans one team's messages over a time range (spec §1: every query filters by team).
    index('messages_team_created_idx').on(t.teamId, t.createdAt),
    // Neighbour look-ups inside a conversation (replied, response time) at period edges.
    index('messages_conversation_created_idx').on(t.conversationId, t.createdAt, t.id),
  ],
);

// ── The gateway's own tables ─────────────────────────────────────────────────
export const snapshotType = pgEnum('snapshot_type', ['Daily', 'Weekly', 'Monthly']);

export const analyticsSnapshots = pgTable(
  'analytics_snapshots',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id').notNull(),
    whatsappAccountId: uuid('whatsapp_account_id'),
    date: date('date', { mode: 'string' }).notNull(),
    snapshotType: snapshotType('snapshot_type').notNull(),
    metrics: jsonb('metrics').notNull(),
    createdAt: createdAt(),
    updatedAt: tz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    // NULLS NOT DISTINCT: one team-wide row (whatsapp_account_id IS NULL) per team, date and type.
    unique('analytics_snapshots_scope_unique')
      .on(t.teamId, t.whatsappAccountId, t.date, t.snapshotType)
      .nullsNotDistinct(),
    index('analytics_snapshots_team_date_idx').on(t.teamId, t.date),
    index('analytics_snapshots_date_idx').on(t.date),
    index('analytics_snapshots_type_idx').on(t.snapshotType),
  ],
);

/**
 * Written with each Daily snapshot (one row per team, local day, account, conversation, contact and
 * campaign): the message counts every metric family needs, so windows of whole days merge exactly.
 */
export const analyticsDailyActivity = pgTable(
  'analytics_daily_activity',
  {
    teamId: uuid('team_id').notNull(),
    date: date('date', { mode: 'string' }).notNull(),
    whatsappAccountId: uuid('whatsapp_account_id').notNull(),
    conversationId: uuid('conversation_id').notNull(),
    contactId: uuid('contact_id').notNull(),
    campaignId: uuid('campaign_id'),
    total: integer('total').notNull(),
    inbound: integer('inbound').notNull(),
    outbound: integer('outbound').notNull(),
    sent: integer('sent').notNull(),
    delivered: integer('delivered').notNull(),
    read: integer('read').notNull(),
    failed: integer('failed').notNull(),
    replied: integer('replied').notNull(),
    responseSeconds: numeric('response_seconds').notNull(),
    answeredTurns: integer('answered_turns').notNull(),
    /**
     * The conversation's closed_at when the row was written (null: it was open then, or the row predates
     * the column). Team-wide dashboards take a closed conversation's from here and look the rest up live.
     */
    conversationClosedAt: tz('conversation_closed_at'),
    /**
     * On the row holding the conversation's first message of the day: the conversation's previous
     * message, or -infinity when it has none; null on its other rows of the day (and on rows written
     * before the column). A window counts a conversation once, at the row whose previous message
     * falls before the window's start, without grouping its rows by conversation.
     */
    previousMessageAt: tz('previous_message_at'),
  },
  (t) => [
    index('analytics_daily_activity_team_date_idx').on(t.teamId, t.date),
    // The rows whose conversation was open when written: the ones refreshClosures checks.
    index('analytics_daily_activity_open_idx').on(t.teamId).where(sql`conversation_closed_at IS NULL`),
    // The rows of campaign messages: the campaigns family reads only these (a sixth or so of the rows).
    index('analytics_daily_activity_campaign_idx').on(t.teamId, t.date).where(sql`campaign_id IS NOT NULL`),
  ],
);

/** The (team, local day) pairs whose activity rows are written. */
export const analyticsActivityDays = pgTable(
  'analytics_activity_days',
  {
    teamId: uuid('team_id').notNull(),
    date: date('date', { mode: 'string' }).notNull(),
    generatedAt: tz('generated_at').notNull().defaultNow(),
    /**
     * When the day's stored conversation closed_at values were last checked against conversations (at
     * the write, then by refreshClosures). Null for days written before migration 0004, whose rows
     * carry no previous_message_at: windows with such a day group their rows by conversation.
     */
    closuresCheckedAt: tz('closures_checked_at'),
    /**
     * The day's team-wide message sums (the messages family of its rows: total, inbound, …,
     * response_seconds, answered_turns), written with them; `{}` for a day without messages. Team-wide
     * windows add these up instead of reading the rows.
     */
    messageTotals: jsonb('message_totals'),
    /**
     * The day's conversations at their marked rows (each conversation's first row of the day), counted
     * by the local date of its previous message (`p`, '-infinity' when none) and of its stored closed_at
     * (`c`, null while open): `[{ p, c, n }]`, written with the rows and recomputed when
     * refreshClosures changes them. A team-wide window counts its conversations from these (the ones
     * with `p` before its first day) instead of reading the rows.
     */
    conversationCounts: jsonb('conversation_counts'),
    /**
     * The generated_at of the rows the counts were counted from. A rewrite of the day that does not
     * renew the counts (an instance of a version before migration 0006) changes generated_at, and the
     * day then reads as unmarked (its rows are grouped) instead of trusting stale counts.
     */
    countsGeneratedAt: tz('counts_generated_at'),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.date] })],
);

export const jobRuns = pgTable(
  'job_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    /** Identifies one scheduled firing (job + slot); unique so a firing is recorded once across instances. */
    runKey: text('run_key').notNull(),
    trigger: text('trigger').notNull().default('schedule'),
    status: text('status').notNull().default('running'),
    startedAt: tz('started_at').notNull().defaultNow(),
    finishedAt: tz('finished_at'),
    snapshotsWritten: integer('snapshots_written').notNull().default(0),
    teamsTotal: integer('teams_total').notNull().default(0),
    teamsFailed: integer('teams_failed').notNull().default(0),
    failedTeams: jsonb('failed_teams').notNull().default(sql`'[]'::jsonb`),
    error: text('error'),
  },
  (t) => [
    unique('job_runs_run_key_unique').on(t.runKey),
    index('job_runs_started_idx').on(t.startedAt),
    index('job_runs_name_status_idx').on(t.name, t.status),
  ],
);
