import { sql, type SQL } from 'drizzle-orm';
import { percentage } from '../calculations.js';
import type { MessageMetrics } from '../metrics.types.js';
import type { ScopeSql } from './scope.sql.js';

/**
 * The window's messages, one pass, with their neighbours in the conversation (ordered by
 * created_at, then id). Window functions find neighbours inside the window; the few rows at its
 * edges (last outbound, first inbound, unanswered inbound) look one step further with an index
 * probe on (conversation_id, created_at, id), so history outside the window is never scanned.
 *
 * Columns of `m`: team_id, account_id, conversation_id, contact_id, campaign_id, direction, status,
 * end_at, accepted, delivered, is_read, replied, turn_start, response_seconds.
 */
export function messageRowsSql(scope: ScopeSql): SQL {
  return sql`m0 AS MATERIALIZED (
    SELECT x.id, x.team_id, x.whatsapp_account_id AS account_id, x.conversation_id, x.contact_id, x.campaign_id,
           x.direction, x.status, x.created_at, w.end_at,
           lead(x.direction) OVER fwd AS next_dir,
           lead(x.created_at) OVER fwd AS next_at,
           lag(x.direction) OVER fwd AS prev_dir,
           min(x.created_at) FILTER (WHERE x.direction = 'outbound') OVER (
             PARTITION BY x.conversation_id ORDER BY x.created_at DESC, x.id DESC
             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS next_out_at
    -- Each team's window is read by a range scan of messages(team_id, created_at), never a full scan.
    FROM w CROSS JOIN LATERAL (
      SELECT * FROM messages x
      WHERE x.team_id = w.team_id AND x.created_at >= w.start_at AND x.created_at < w.end_at
        ${scope.accountFilter('x')}
      OFFSET 0
    ) x
    WINDOW fwd AS (PARTITION BY x.conversation_id ORDER BY x.created_at, x.id)
  ),
  m AS MATERIALIZED (
    SELECT m0.team_id, m0.account_id, m0.conversation_id, m0.contact_id, m0.campaign_id, m0.direction, m0.status, m0.end_at,
           acc.accepted,
           (m0.direction = 'outbound' AND m0.status IN ('delivered', 'read')) AS delivered,
           (m0.direction = 'outbound' AND m0.status = 'read') AS is_read,
           (acc.accepted AND coalesce(m0.next_dir, nx.direction) = 'inbound'
              AND coalesce(m0.next_at, nx.created_at) <= m0.created_at + interval '24 hours') AS replied,
           ts.turn_start,
           CASE WHEN ts.turn_start
                THEN extract(epoch FROM coalesce(m0.next_out_at, ans.created_at) - m0.created_at) END AS response_seconds
    FROM m0
    CROSS JOIN LATERAL (SELECT m0.direction = 'outbound' AND m0.status IN ('sent', 'delivered', 'read') AS accepted) acc
    -- next message after the conversation's last accepted outbound in the window (only within 24 h matters)
    LEFT JOIN LATERAL (
      SELECT y.direction, y.created_at FROM messages y
      WHERE m0.next_dir IS NULL AND acc.accepted
        AND y.team_id = m0.team_id AND y.conversation_id = m0.conversation_id
        AND y.created_at >= m0.created_at AND (y.created_at > m0.created_at OR y.id > m0.id)
        AND y.created_at <= m0.created_at + interval '24 hours'
      ORDER BY y.created_at, y.id LIMIT 1
    ) nx ON true
    -- message before the conversation's first inbound in the window
    LEFT JOIN LATERAL (
      SELECT y.direction FROM messages y
      WHERE m0.prev_dir IS NULL AND m0.direction = 'inbound'
        AND y.team_id = m0.team_id AND y.conversation_id = m0.conversation_id
        AND y.created_at <= m0.created_at AND (y.created_at < m0.created_at OR y.id < m0.id)
      ORDER BY y.created_at DESC, y.id DESC LIMIT 1
    ) pv ON true
    CROSS JOIN LATERAL (
      SELECT m0.direction = 'inbound' AND coalesce(m0.prev_dir, pv.direction) IS DISTINCT FROM 'inbound' AS turn_start
    ) ts
    -- first outbound answer after the window, for turns the window leaves unanswered
    LEFT JOIN LATERAL (
      SELECT y.created_at FROM messages y
      WHERE ts.turn_start AND m0.next_out_at IS NULL
        AND y.team_id = m0.team_id AND y.conversation_id = m0.conversation_id
        AND y.direction = 'outbound' AND y.created_at >= m0.end_at
      ORDER BY y.created_at, y.id LIMIT 1
    ) ans ON true
  )`;
}

/** From `act` (activity.sql.ts). Sums are exact (numeric), so a mean such as (10.001 s + 20.089 s) / 2 rounds to 15.05, not 15.04. */
export function messageAggregateSql(scope: ScopeSql): SQL {
  const g = scope.grouping('team_id', 'account_id');
  return sql`msg_agg AS (
    SELECT team_id, ${g.account} AS account_id,
           sum(total)::int AS total,
           sum(inbound)::int AS inbound,
           sum(outbound)::int AS outbound,
           sum(sent)::int AS sent,
           sum(delivered)::int AS delivered,
           sum(read)::int AS read,
           sum(failed)::int AS failed,
           sum(replied)::int AS replied,
           coalesce(sum(sent) FILTER (WHERE campaign_id IS NOT NULL), 0)::int AS campaign_sent,
           coalesce(sum(response_seconds), 0) AS response_seconds,
           sum(answered_turns)::int AS answered_turns
    FROM act ${g.groupBy}
  )`;
}

export interface MessageAggregate {
  total: number;
  inbound: number;
  outbound: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  replied: number;
  campaign_sent: number;
  response_seconds: number;
  answered_turns: number;
}

export function toMessageMetrics(a: MessageAggregate): MessageMetrics {
  return {
    total: a.total,
    inbound: a.inbound,
    outbound: a.outbound,
    sent: a.sent,
    delivered: a.delivered,
    read: a.read,
    failed: a.failed,
    replied: a.replied,
    deliveryRate: percentage(a.delivered, a.sent),
    readRate: percentage(a.read, a.delivered),
    replyRate: percentage(a.replied, a.sent),
    failureRate: percentage(a.failed, a.total),
  };
}
