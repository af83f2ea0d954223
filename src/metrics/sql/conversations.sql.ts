import { sql, type SQL } from 'drizzle-orm';
import { mean } from '../calculations.js';
import type { ConversationMetrics } from '../metrics.types.js';
import type { MessageAggregate } from './messages.sql.js';
import type { ScopeSql } from './scope.sql.js';

/**
 * Conversations with at least one message in the window, scoped by the conversation's own account.
 * `manyDays`: windows of stored days meet a large share of a team's conversations, so the team's index
 * range is read once and hash-joined; a day's window looks each conversation up by primary key.
 */
export function conversationAggregateSql(scope: ScopeSql, manyDays = false): SQL {
  const g = scope.grouping('c.team_id', 'c.whatsapp_account_id');
  const lookup = manyDays
    ? sql`JOIN (
      SELECT c.id, c.team_id, c.whatsapp_account_id, c.closed_at FROM w JOIN conversations c ON c.team_id = w.team_id OFFSET 0
    ) c ON c.id = t.conversation_id AND c.team_id = t.team_id`
    : // A primary-key probe per conversation (OFFSET 0 keeps the planner from a hash join over the whole table).
      sql`CROSS JOIN LATERAL (
      SELECT c.team_id, c.whatsapp_account_id, c.closed_at FROM conversations c
      WHERE c.id = t.conversation_id AND c.team_id = t.team_id OFFSET 0
    ) c`;
  return sql`conv_agg AS (
    SELECT c.team_id, ${g.account} AS account_id,
           count(*)::int AS total,
           count(*) FILTER (WHERE c.closed_at IS NULL OR c.closed_at >= t.end_at)::int AS open,
           count(*) FILTER (WHERE c.closed_at < t.end_at)::int AS closed
    FROM (SELECT DISTINCT act.team_id, act.conversation_id, w.end_at FROM act JOIN w ON w.team_id = act.team_id) t
    ${lookup}
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
