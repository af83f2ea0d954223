import { sql, type SQL } from 'drizzle-orm';
import { mean } from '../calculations.js';
import type { CampaignMetrics } from '../metrics.types.js';
import type { ScopeSql } from './scope.sql.js';

/**
 * Campaigns in the window (started before its end, not finished before its start), with each
 * campaign's delivery and read rate over its messages in the window, unrounded, for the means.
 */
export function campaignAggregateSql(scope: ScopeSql, source: 'messages' | 'activity'): SQL {
  const g = scope.grouping('c.team_id', 'c.whatsapp_account_id');
  // Stored windows read only their campaign rows (analytics_daily_activity_campaign_idx), not all of `act`.
  const rows =
    source === 'activity'
      ? scope.windowRows('analytics_daily_activity', 'a', sql`a.campaign_id IS NOT NULL`)
      : sql`act a WHERE a.campaign_id IS NOT NULL`;
  return sql`per_campaign AS (
    SELECT a.team_id, a.campaign_id, sum(a.sent) AS sent, sum(a.delivered) AS delivered, sum(a.read) AS read
    FROM ${rows} GROUP BY a.team_id, a.campaign_id
  ),
  campaign_agg AS (
    SELECT ${g.team} AS team_id, ${g.account} AS account_id,
           count(*)::int AS total,
           count(*) FILTER (WHERE c.finished_at IS NULL OR c.finished_at >= w.end_at)::int AS active,
           count(*) FILTER (WHERE c.status = 'completed' AND c.finished_at < w.end_at)::int AS completed,
           count(*) FILTER (WHERE c.status = 'failed' AND c.finished_at < w.end_at)::int AS failed,
           coalesce(sum(c.total_recipients), 0)::int AS total_recipients,
           coalesce(sum(p.delivered::numeric / p.sent * 100) FILTER (WHERE p.sent > 0), 0) AS delivery_rate_sum,
           count(*) FILTER (WHERE p.sent > 0)::int AS delivery_rate_n,
           coalesce(sum(p.read::numeric / p.delivered * 100) FILTER (WHERE p.delivered > 0), 0) AS read_rate_sum,
           count(*) FILTER (WHERE p.delivered > 0)::int AS read_rate_n
    FROM w
    JOIN campaigns c ON c.team_id = w.team_id AND c.started_at < w.end_at
      AND (c.finished_at IS NULL OR c.finished_at >= w.start_at) ${scope.accountFilter('c')}
    LEFT JOIN per_campaign p ON p.campaign_id = c.id AND p.team_id = c.team_id
    ${g.groupBy}
  )`;
}

export interface CampaignAggregate {
  total: number;
  active: number;
  completed: number;
  failed: number;
  total_recipients: number;
  delivery_rate_sum: number;
  delivery_rate_n: number;
  read_rate_sum: number;
  read_rate_n: number;
}

export function toCampaignMetrics(c: CampaignAggregate, messagesSent: number): CampaignMetrics {
  return {
    total: c.total,
    active: c.active,
    completed: c.completed,
    failed: c.failed,
    totalRecipients: c.total_recipients,
    messagesSent,
    avgDeliveryRate: mean(c.delivery_rate_sum, c.delivery_rate_n),
    avgReadRate: mean(c.read_rate_sum, c.read_rate_n),
  };
}
