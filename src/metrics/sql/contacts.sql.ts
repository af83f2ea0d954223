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
    SELECT ${g.team} AS team_id, ${g.account} AS account_id,
           count(*) FILTER (WHERE ct.created_at < w.end_at)::int AS total,
           count(*) FILTER (WHERE ct.created_at >= w.start_at AND ct.created_at < w.end_at)::int AS new,
           count(*) FILTER (WHERE ct.blocked_at < w.end_at)::int AS blocked
    FROM w JOIN contacts ct ON ct.team_id = w.team_id ${scope.accountFilter('ct')}
    ${g.groupBy}
  ),
  per_contact AS (
    SELECT team_id, contact_id, sum(sent)::int AS sent, sum(delivered)::int AS delivered, sum(read)::int AS read,
           sum(replied)::int AS replied, sum(inbound)::int AS inbound
    FROM act GROUP BY team_id, contact_id
  ),
  engagement_agg AS (${engagementSql(scope)})`;
}

/**
 * Active contacts and the sum of their scores (calculateContactEngagementScore, unrounded). Per contact,
 * score = 0.5·attention + 0.3·responsiveness + 0.2·initiative; summed over contacts, each ratio is first
 * summed per denominator — Σ read/delivered = Σ over d of (Σ read of the contacts with delivered = d) / d —
 * so numeric division runs once per distinct denominator, not once per contact (the same sum, with fewer
 * roundings). min(100, replied/sent·100) = min(replied, sent)/sent·100. Per-account scopes attribute each
 * contact to its own account.
 */
function engagementSql(scope: ScopeSql): SQL {
  const byDenominator = ['p.delivered', 'p.sent'];
  const g = scope.perAccount
    ? scope.grouping('ct.team_id', 'ct.whatsapp_account_id', byDenominator)
    : scope.grouping('p.team_id', 'NULL', byDenominator);
  const source = scope.perAccount
    ? sql`per_contact p
    -- A primary-key probe per active contact, not a scan of the team's (or every team's) contacts.
    CROSS JOIN LATERAL (
      SELECT ct.team_id, ct.whatsapp_account_id FROM contacts ct
      WHERE ct.id = p.contact_id AND ct.team_id = p.team_id OFFSET 0
    ) ct`
    : sql`per_contact p`;
  const r = scope.regrouping();
  return sql`SELECT ${r.team} AS team_id, ${r.account} AS account_id, sum(n)::int AS active, sum(
        0.5 * CASE WHEN delivered > 0 THEN read_sum::numeric * 100 / delivered ELSE 100 * with_inbound END
      + 0.3 * CASE WHEN sent > 0 THEN replied_sum::numeric * 100 / sent ELSE 100 * with_inbound END
      + 0.2 * 100 * with_inbound) AS score_sum
    FROM (
      SELECT ${g.team} AS team_id, ${g.account} AS account_id, p.delivered, p.sent, count(*) AS n,
             sum(p.read) AS read_sum, sum(least(p.replied, p.sent)) AS replied_sum,
             count(*) FILTER (WHERE p.inbound > 0) AS with_inbound
      FROM ${source}
      ${g.groupBy}
    ) d
    ${r.groupBy}`;
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
