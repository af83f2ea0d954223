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
 * One sort serves every window function: the customer turn a message answers is found going forward
 * (the latest turn start so far), so an answered turn's response time is carried by the outbound
 * message that answers it, and a turn the window leaves unanswered by the conversation's last message
 * in the window (which looks up the first answer after the window). Each turn is counted once either
 * way, in its own conversation (and so its own account and contact).
 *
 * Columns of `m`: team_id, account_id, conversation_id, contact_id, campaign_id, direction, status,
 * accepted, delivered, is_read, replied, response_seconds, prev_at. With `marks` (days being
 * recorded), prev_at is set on each conversation's first message in the window: the time of its
 * previous message, or -infinity when it has none (see analytics_daily_activity).
 */
export function messageRowsSql(scope: ScopeSql, opts: { marks: boolean }): SQL {
  // The message before the conversation's first one in the window (one index probe, edge rows only).
  const before = (column: string) => sql`(SELECT y.${sql.raw(column)} FROM messages y
                      WHERE y.team_id = m0.team_id AND y.conversation_id = m0.conversation_id
                        AND y.created_at <= m0.created_at AND (y.created_at < m0.created_at OR y.id < m0.id)
                      ORDER BY y.created_at DESC, y.id DESC LIMIT 1)`;
  return sql`m0 AS NOT MATERIALIZED (
    SELECT x.id, x.team_id, x.whatsapp_account_id AS account_id, x.conversation_id, x.contact_id, x.campaign_id,
           x.direction, x.status, x.created_at, w.end_at,
           lead(x.direction) OVER fwd AS next_dir,
           lead(x.created_at) OVER fwd AS next_at,
           lag(x.direction) OVER fwd AS prev_dir
    -- Each team's window is read by a range scan of messages(team_id, created_at), never a full scan.
    FROM ${scope.windowRows('messages', 'x')}
    WINDOW fwd AS (PARTITION BY x.conversation_id ORDER BY x.created_at, x.id)
  ),
  -- Looks past the window's edges only where it must: each look-up is a scalar sub-select inside a CASE
  -- (or COALESCE), so it runs for the few edge rows, not once per message. m1 is evaluated below m2's
  -- window, which reuses m0's sort (same partition and order); m's OFFSET 0 keeps it a projection
  -- evaluated once per row, so a look-up is not repeated for every later reference to its column.
  m1 AS NOT MATERIALIZED (
    SELECT m0.*,
           m0.direction = 'outbound' AND m0.status IN ('sent', 'delivered', 'read') AS accepted,
           CASE WHEN m0.direction <> 'inbound' THEN false
                WHEN m0.prev_dir IS NOT NULL THEN m0.prev_dir <> 'inbound'
                -- the message before the conversation's first inbound in the window
                ELSE ${before('direction')} IS DISTINCT FROM 'inbound'
           END AS turn_start,
           ${opts.marks ? sql`CASE WHEN m0.prev_dir IS NULL THEN coalesce(${before('created_at')}, '-infinity') END` : sql`NULL::timestamptz`} AS prev_at
    FROM m0
  ),
  m2 AS NOT MATERIALIZED (
    -- The start of the customer turn in progress at each message (null when it began before the window).
    SELECT m1.*, max(m1.created_at) FILTER (WHERE m1.turn_start) OVER (
             PARTITION BY m1.conversation_id ORDER BY m1.created_at, m1.id ROWS UNBOUNDED PRECEDING) AS turn_at
    FROM m1
  ),
  m AS NOT MATERIALIZED (
    SELECT m2.team_id, m2.account_id, m2.conversation_id, m2.contact_id, m2.campaign_id, m2.direction, m2.status,
           m2.accepted,
           (m2.direction = 'outbound' AND m2.status IN ('delivered', 'read')) AS delivered,
           (m2.direction = 'outbound' AND m2.status = 'read') AS is_read,
           CASE WHEN NOT m2.accepted THEN false
                WHEN m2.next_dir IS NOT NULL THEN m2.next_dir = 'inbound' AND m2.next_at <= m2.created_at + interval '24 hours'
                -- the conversation's last accepted outbound in the window: is the next message, within 24 h, inbound?
                ELSE coalesce((SELECT y.direction = 'inbound' FROM messages y
                               WHERE y.team_id = m2.team_id AND y.conversation_id = m2.conversation_id
                                 AND y.created_at >= m2.created_at AND (y.created_at > m2.created_at OR y.id > m2.id)
                                 AND y.created_at <= m2.created_at + interval '24 hours'
                               ORDER BY y.created_at, y.id LIMIT 1), false)
           END AS replied,
           CASE WHEN m2.turn_at IS NULL THEN NULL
                -- the first outbound after a run of inbound messages answers the turn that started the run
                WHEN m2.direction = 'outbound' AND m2.prev_dir = 'inbound' THEN extract(epoch FROM m2.created_at - m2.turn_at)
                -- a turn the window leaves unanswered: the first outbound answer after the window
                WHEN m2.direction = 'inbound' AND m2.next_dir IS NULL THEN extract(epoch FROM
                  (SELECT y.created_at FROM messages y
                   WHERE y.team_id = m2.team_id AND y.conversation_id = m2.conversation_id
                     AND y.direction = 'outbound' AND y.created_at >= m2.end_at
                   ORDER BY y.created_at, y.id LIMIT 1) - m2.turn_at)
           END AS response_seconds,
           m2.prev_at
    FROM m2
    OFFSET 0
  )`;
}

/** The messages family: each sum over `act` rows (activity.sql.ts), by name. */
const MESSAGE_SUMS: ReadonlyArray<readonly [keyof MessageAggregate, string]> = [
  ['total', 'sum(total)::int'],
  ['inbound', 'sum(inbound)::int'],
  ['outbound', 'sum(outbound)::int'],
  ['sent', 'sum(sent)::int'],
  ['delivered', 'sum(delivered)::int'],
  ['read', 'sum(read)::int'],
  ['failed', 'sum(failed)::int'],
  ['replied', 'sum(replied)::int'],
  ['campaign_sent', 'coalesce(sum(sent) FILTER (WHERE campaign_id IS NOT NULL), 0)::int'],
  ['response_seconds', 'coalesce(sum(response_seconds), 0)'],
  ['answered_turns', 'sum(answered_turns)::int'],
];

/** The messages family's sums of `act` as one jsonb object (a day's `message_totals`). */
export const messageTotalsJsonSql = (): SQL =>
  sql.raw(`jsonb_build_object(${MESSAGE_SUMS.map(([name, sum]) => `'${name}', ${sum}`).join(', ')})`);

/**
 * From `act`. Sums are exact (numeric), so a mean such as (10.001 s + 20.089 s) / 2 rounds to 15.05, not
 * 15.04. A team-wide window over marked stored days adds up the days' stored totals instead
 * (analytics_activity_days.message_totals, written with their rows), without reading the rows.
 */
export function messageAggregateSql(scope: ScopeSql): SQL {
  if (scope.staleDays !== null) {
    const sums = MESSAGE_SUMS.map(([name]) =>
      name === 'response_seconds'
        ? `coalesce(sum((d.message_totals->>'${name}')::numeric), 0) AS ${name}`
        : `coalesce(sum((d.message_totals->>'${name}')::int), 0)::int AS ${name}`,
    );
    const r = scope.regrouping();
    return sql`msg_agg AS (
    SELECT ${r.team} AS team_id, NULL::uuid AS account_id, ${sql.raw(sums.join(',\n           '))}
    FROM ${scope.windowRows('analytics_activity_days', 'd')}
    ${r.groupBy}
  )`;
  }
  const g = scope.grouping('team_id', 'account_id');
  return sql`msg_agg AS (
    SELECT ${g.team} AS team_id, ${g.account} AS account_id,
           ${sql.raw(MESSAGE_SUMS.map(([name, sum]) => `${sum} AS ${name}`).join(',\n           '))}
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
