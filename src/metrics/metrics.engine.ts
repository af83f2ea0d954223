import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { AnalyticsMetrics } from './metrics.types.js';
import { campaignAggregateSql, toCampaignMetrics, type CampaignAggregate } from './sql/campaigns.sql.js';
import {
  contactAggregateSql,
  toContactMetrics,
  type ContactAggregate,
  type EngagementAggregate,
} from './sql/contacts.sql.js';
import {
  conversationAggregateSql,
  conversationRowsSql,
  toConversationMetrics,
  type ConversationAggregate,
} from './sql/conversations.sql.js';
import { messageAggregateSql, messageRowsSql, toMessageMetrics, type MessageAggregate } from './sql/messages.sql.js';
import { activityFromMessagesSql, activityFromStoreSql, recordActivitySql } from './sql/activity.sql.js';
import { joinScope, scopeSql } from './sql/scope.sql.js';

/** One team's period. Different teams may have different instants (their own time zones). */
export interface TeamWindow {
  teamId: string;
  start: Date;
  end: Date;
  /** The local dates the window spans (inclusive), when it is made of whole days of the team's zone. */
  days?: { first: string; last: string };
  /**
   * Source 'activity' only: every day's stored rows carry conversation marks (written since migration
   * 0004), and `staleDays` are the days whose stored closed_at values were last checked before the
   * window's end (where they say "open", the conversation is looked up live). A team-wide window then
   * adds up the days' stored conversation counts (analytics_activity_days.conversation_counts) instead
   * of grouping the rows by conversation.
   */
  marked?: { staleDays: string[] };
}

export interface MetricsRequest {
  windows: TeamWindow[];
  /** Return the team-wide scope of each team. */
  teamWide: boolean;
  /** Return per-account scopes: every account of each team, none, or only these account ids. */
  accounts: 'all' | 'none' | string[];
  /** Reported as `period.end` instead of `end − 1 ms` (real-time reports `now`). */
  reportEndAsIs?: boolean;
  /**
   * 'messages' (default) reads the source tables; 'activity' merges the stored day-level activity of
   * `days` (written with Daily snapshots; see activity.sql.ts) and reads messages not at all.
   */
  source?: 'messages' | 'activity';
  /** Also store the activity of each one-day window (every account's), for the day `days.first`. */
  recordActivity?: boolean;
}

export interface ScopedMetrics {
  teamId: string;
  /** null = team-wide. */
  whatsappAccountId: string | null;
  metrics: AnalyticsMetrics;
}

interface ScopeRow {
  team_id: string;
  account_id: string | null;
  msg: MessageAggregate | null;
  conv: ConversationAggregate | null;
  contact: ContactAggregate | null;
  engagement: EngagementAggregate | null;
  campaign: CampaignAggregate | null;
}

const ZERO_MESSAGES: MessageAggregate = {
  total: 0, inbound: 0, outbound: 0, sent: 0, delivered: 0, read: 0, failed: 0, replied: 0,
  campaign_sent: 0, response_seconds: 0, answered_turns: 0,
};
const ZERO_CONVERSATIONS: ConversationAggregate = { total: 0, open: 0, closed: 0 };
const ZERO_CONTACTS: ContactAggregate = { total: 0, new: 0, blocked: 0 };
const ZERO_ENGAGEMENT: EngagementAggregate = { active: 0, score_sum: 0 };
const ZERO_CAMPAIGNS: CampaignAggregate = {
  total: 0, active: 0, completed: 0, failed: 0, total_recipients: 0,
  delivery_rate_sum: 0, delivery_rate_n: 0, read_rate_sum: 0, read_rate_n: 0,
};

function checkDays({ windows, source, recordActivity, accounts, teamWide }: MetricsRequest): void {
  if (source === 'activity' && !windows.every((w) => w.days)) throw new Error('activity source needs the windows\' days');
  if (!recordActivity) return;
  if (!windows.every((w) => w.days && w.days.first === w.days.last)) throw new Error('activity is recorded for one-day windows');
  if (source === 'activity' || (Array.isArray(accounts) && !teamWide)) throw new Error('activity is recorded from every account\'s messages');
}

/**
 * Computes every metric of spec §4 for the requested scopes in ONE SQL statement: a single pass over
 * the windows' messages (or their stored day-level activity) feeds all four families, each aggregated
 * with GROUPING SETS so team-wide and per-account figures come from the same scan. Scopes without data
 * get zeros.
 */
export async function computeMetrics(database: Database, request: MetricsRequest): Promise<ScopedMetrics[]> {
  if (request.windows.length === 0) return [];
  checkDays(request);
  const scope = scopeSql(request);
  const source = request.source ?? 'messages';
  const activity =
    source === 'activity'
      ? activityFromStoreSql(scope)
      : sql`${messageRowsSql(scope, { marks: request.recordActivity === true })},\n${activityFromMessagesSql()}`;
  const rows = await database.rows<ScopeRow>(sql`
    WITH ${scope.windows},
    ${scope.scopes},
    ${activity},
    ${conversationRowsSql(scope, source)},
    ${request.recordActivity ? sql`${recordActivitySql()},` : sql``}
    ${messageAggregateSql(scope)},
    ${conversationAggregateSql(scope)},
    ${contactAggregateSql(scope)},
    ${campaignAggregateSql(scope, source)}
    SELECT s.team_id, s.account_id,
           row_to_json(msg_agg) AS msg, row_to_json(conv_agg) AS conv, row_to_json(contact_agg) AS contact,
           row_to_json(engagement_agg) AS engagement, row_to_json(campaign_agg) AS campaign
    FROM scopes s
    ${joinScope('msg_agg')}
    ${joinScope('conv_agg')}
    ${joinScope('contact_agg')}
    ${joinScope('engagement_agg')}
    ${joinScope('campaign_agg')}
    ORDER BY s.team_id, s.account_id NULLS FIRST
  `);

  const windows = new Map(request.windows.map((w) => [w.teamId, w]));
  const generatedAt = new Date().toISOString();
  return rows.map((r) => {
    const w = windows.get(r.team_id)!;
    const msg = r.msg ?? ZERO_MESSAGES;
    const metrics: AnalyticsMetrics = {
      period: {
        start: w.start.toISOString(),
        end: new Date(w.end.getTime() - (request.reportEndAsIs ? 0 : 1)).toISOString(),
      },
      messages: toMessageMetrics(msg),
      campaigns: toCampaignMetrics(r.campaign ?? ZERO_CAMPAIGNS, msg.campaign_sent),
      contacts: toContactMetrics(r.contact ?? ZERO_CONTACTS, r.engagement ?? ZERO_ENGAGEMENT),
      conversations: toConversationMetrics(r.conv ?? ZERO_CONVERSATIONS, msg),
      generatedAt,
    };
    return { teamId: r.team_id, whatsappAccountId: r.account_id, metrics };
  });
}
