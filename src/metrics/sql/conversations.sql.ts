import { sql, type SQL } from 'drizzle-orm';
import { mean } from '../calculations.js';
import type { ConversationMetrics } from '../metrics.types.js';
import type { MessageAggregate } from './messages.sql.js';
import type { ScopeSql } from './scope.sql.js';

/**
 * `conv_rows`: the conversations with at least one message in the window, once each, with their own
 * account (`whatsapp_account_id`, for per-account scopes) and `closed_at`. The Daily job stores each
 * conversation's closed_at with its activity rows (recordActivitySql).
 *
 * - From messages (one day, or real-time), and from stored days for per-account scopes: each conversation
 *   is looked up by primary key (OFFSET 0 keeps the planner from a join over the team's conversations; a
 *   one-account dashboard names a few hundred of them, and joining all of the largest team's 134 k for
 *   those took seconds).
 * - From stored days without marks (written before migration 0004), team-wide: a conversation whose
 *   rows say it was closed when they were written keeps that closed_at; only the ones still open then
 *   are looked up live (as fresh as the stored activity itself: a day regenerated after a change sees it).
 * - From marked stored days, team-wide (TeamWindow.marked): no rows at all. A conversation is its row
 *   whose previous message falls before the window's start (its first row inside the window), and that
 *   row's stored closed_at is its state; each day stores how many such rows it has by the local dates
 *   of the previous message and of closed_at (analytics_activity_days.conversation_counts), so the
 *   window adds up the days' counts with a previous message before its first day. Where a row says
 *   "open" and its day was checked before the window's end (a stale day), the day's open rows are read
 *   instead and their conversations looked up live. Here `conv_rows` is counts: (n, closed).
 */
export function conversationRowsSql(scope: ScopeSql, source: 'messages' | 'activity'): SQL {
  const distinct = sql`(SELECT DISTINCT act.team_id, act.conversation_id, w.end_at FROM act JOIN w ON w.team_id = act.team_id) t`;
  if (source === 'messages' || scope.perAccount) {
    return sql`conv_rows AS (
    SELECT t.team_id, t.conversation_id, t.end_at, c.whatsapp_account_id, c.closed_at
    FROM ${distinct}
    CROSS JOIN LATERAL (
      SELECT c.whatsapp_account_id, c.closed_at FROM conversations c
      WHERE c.id = t.conversation_id AND c.team_id = t.team_id OFFSET 0
    ) c
  )`;
  }
  if (scope.staleDays !== null) {
    const { start, end, firstDay, lastDay } = scope.bounds;
    const stale = sql`${scope.staleDays}::date[]`;
    return sql`conv_rows AS (
    SELECT h.n, coalesce(h.c <= ${lastDay}, false) AS closed
    FROM ${scope.windowRows('analytics_activity_days', 'd')}
    CROSS JOIN LATERAL jsonb_to_recordset(d.conversation_counts) AS h(p date, c date, n int)
    WHERE h.p < ${firstDay} AND NOT (h.c IS NULL AND d.date = ANY(${stale}))
    UNION ALL
    SELECT 1, coalesce(c.closed_at < ${end}, false)
    FROM ${scope.windowRows('analytics_daily_activity', 'a', sql`a.date = ANY(${stale}) AND a.conversation_closed_at IS NULL`)}
    LEFT JOIN conversations c ON c.id = a.conversation_id AND c.team_id = a.team_id
    WHERE a.previous_message_at < ${start}
  )`;
  }
  return sql`stored_conv AS MATERIALIZED (
    SELECT act.team_id, act.conversation_id, bool_or(act.conversation_closed_at IS NULL) AS open_then,
           max(act.conversation_closed_at) AS closed_at
    FROM act GROUP BY act.team_id, act.conversation_id
  ),
  conv_rows AS (
    SELECT t.team_id, t.conversation_id, w.end_at, NULL::uuid AS whatsapp_account_id, t.closed_at
    FROM stored_conv t JOIN w ON w.team_id = t.team_id
    WHERE NOT t.open_then
    UNION ALL
    SELECT t.team_id, t.conversation_id, w.end_at, NULL::uuid, c.closed_at
    FROM stored_conv t JOIN w ON w.team_id = t.team_id
    CROSS JOIN LATERAL (
      SELECT c.closed_at FROM conversations c WHERE c.id = t.conversation_id AND c.team_id = t.team_id OFFSET 0
    ) c
    WHERE t.open_then
  )`;
}

/** Open and closed as of the window's end, scoped by the conversation's own account. */
export function conversationAggregateSql(scope: ScopeSql): SQL {
  if (scope.staleDays !== null) {
    const r = scope.regrouping();
    return sql`conv_agg AS (
    SELECT ${r.team} AS team_id, NULL::uuid AS account_id, sum(n)::int AS total,
           coalesce(sum(n) FILTER (WHERE NOT closed), 0)::int AS open,
           coalesce(sum(n) FILTER (WHERE closed), 0)::int AS closed
    FROM conv_rows ${r.groupBy}
  )`;
  }
  const g = scope.grouping('c.team_id', 'c.whatsapp_account_id');
  return sql`conv_agg AS (
    SELECT ${g.team} AS team_id, ${g.account} AS account_id,
           count(*)::int AS total,
           count(*) FILTER (WHERE c.closed_at IS NULL OR c.closed_at >= c.end_at)::int AS open,
           count(*) FILTER (WHERE c.closed_at < c.end_at)::int AS closed
    FROM conv_rows c
    ${g.groupBy}
  )`;
}

export interface ConversationAggregate {
  total: number;
  open: number;
  closed: number;
}

/** Response times come from the message pass (turns are message rows). */
export function toConversationMetrics(
  c: ConversationAggregate,
  m: Pick<MessageAggregate, 'response_seconds' | 'answered_turns'>,
): ConversationMetrics {
  return {
    total: c.total,
    open: c.open,
    closed: c.closed,
    avgResponseTime: mean(m.response_seconds, m.answered_turns),
    answeredTurns: m.answered_turns,
  };
}
