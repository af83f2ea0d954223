import { sql, type SQL } from 'drizzle-orm';
import { mean } from '../calculations.js';
import type { ContactMetrics } from '../metrics.types.js';
import type { ScopeSql } from './scope.sql.js';

/**
 * Contact counts from the contacts table, plus active contacts and their engagement scores from the
 * activity rows (`act`). The score is calculateContactEngagementScore, unrounded, in SQL.
 */
export function contactAggregateSql(scope: ScopeSql): SQL {
  const g = scope.grouping('ct.team_id', 'ct.whatsapp_account_id');
  return sql`contact_agg AS (
    SELECT ct.team_id, ${g.account} AS account_id,
           count(*) FILTER (WHERE ct.created_at < w.end_at)::int AS total,
           count(*) FILTER (WHERE ct.created_at >= w.start_at AND ct.created_at < w.end_at)::int AS new,
           count(*) FILTER (WHERE ct.blocked_at < w.end_at)::int AS blocked
    FROM w JOIN contacts ct ON ct.team_id = w.team_id ${scope.accountFilter('ct')}
    ${g.groupBy}
  ),
  per_contact AS (
    SELECT team_id, contact_id, sum(sent) AS sent, sum(delivered) AS delivered, sum(read) AS read,
           sum(replied) AS replied, sum(inbound) AS inbound
    FROM act GROUP BY team_id, contact_id
  ),
  engagement_agg AS (${engagementSql(scope)})`;
}

const SCORE = sql`
  0.5 * CASE WHEN p.delivered > 0 THEN p.read::numeric / p.delivered * 100 WHEN p.inbound > 0 THEN 100 ELSE 0 END
+ 0.3 * CASE WHEN p.sent > 0 THEN least(100, p.replied::numeric / p.sent * 100) WHEN p.inbound > 0 THEN 100 ELSE 0 END
+ 0.2 * CASE WHEN p.inbound > 0 THEN 100 ELSE 0 END`;

/** Active contacts and their score sum; per-account scopes attribute each contact to its own account. */
function engagementSql(scope: ScopeSql): SQL {
  if (!scope.perAccount) {
    return sql`SELECT p.team_id, NULL::uuid AS account_id, count(*)::int AS active, sum(${SCORE}) AS score_sum
    FROM per_contact p GROUP BY p.team_id`;
  }
  const g = scope.grouping('ct.team_id', 'ct.whatsapp_account_id');
  return sql`SELECT ct.team_id, ${g.account} AS account_id, count(*)::int AS active, sum(${SCORE}) AS score_sum
    FROM per_contact p
    -- A primary-key probe per active contact, not a scan of the team's (or every team's) contacts.
    CROSS JOIN LATERAL (
      SELECT ct.team_id, ct.whatsapp_account_id FROM contacts ct
      WHERE ct.id = p.contact_id AND ct.team_id = p.team_id OFFSET 0
    ) ct
    ${g.groupBy}`;
}

export interface ContactAggregate {
  total: number;
  new: number;
  blocked: number;
}

export interface EngagementAggregate {
  active: number;
  score_sum: number;
}

export function toContactMetrics(c: ContactAggregate, e: EngagementAggregate): ContactMetrics {
  return {
    total: c.total,
    new: c.new,
    active: e.active,
    blocked: c.blocked,
    avgEngagementScore: mean(e.score_sum, e.active),
  };
}
