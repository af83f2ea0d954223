import { sql, type SQL } from 'drizzle-orm';
import { messageTotalsJsonSql } from './messages.sql.js';
import type { ScopeSql } from './scope.sql.js';

/**
 * `act`: the window's messages counted per (team, account, conversation, contact, campaign) — the unit
 * every family aggregates. Every count is a property of the message alone (replied and response times
 * look past the window's edges), so the rows of whole days add up to the rows of any window made of
 * those days: the nightly job stores them per local day (analytics_daily_activity) and dashboards merge
 * them instead of re-reading the messages.
 *
 * Columns: team_id, account_id, conversation_id, contact_id, campaign_id, total, inbound, outbound, sent,
 * delivered, read, failed, replied, response_seconds (numeric, exact), answered_turns,
 * previous_message_at (the conversation marks of analytics_daily_activity, when recording); from the
 * store also date and conversation_closed_at.
 */
export function activityFromMessagesSql(): SQL {
  return sql`act AS MATERIALIZED (
    SELECT team_id, account_id, conversation_id, contact_id, campaign_id,
           count(*)::int AS total,
           count(*) FILTER (WHERE direction = 'inbound')::int AS inbound,
           count(*) FILTER (WHERE direction = 'outbound')::int AS outbound,
           count(*) FILTER (WHERE accepted)::int AS sent,
           count(*) FILTER (WHERE delivered)::int AS delivered,
           count(*) FILTER (WHERE is_read)::int AS read,
           count(*) FILTER (WHERE direction = 'outbound' AND status = 'failed')::int AS failed,
           count(*) FILTER (WHERE replied)::int AS replied,
           coalesce(sum(response_seconds), 0) AS response_seconds,
           count(response_seconds)::int AS answered_turns,
           max(prev_at) AS previous_message_at
    -- Conversation first: the sort behind the grouping then decides on its most selective key (with the
    -- team first, every row of a one-team window ties on it, and on the account, before it is compared).
    FROM m GROUP BY conversation_id, campaign_id, contact_id, account_id, team_id
  )`;
}

/**
 * `act` from the stored days `w.first_day`..`w.last_day` of each team (one index range per team). Not
 * written out: each family reads the range itself and only its own columns, which is cheaper than
 * copying every column of every row once for all of them.
 */
export function activityFromStoreSql(scope: ScopeSql): SQL {
  return sql`act AS NOT MATERIALIZED (
    SELECT a.team_id, a.whatsapp_account_id AS account_id, a.conversation_id, a.contact_id, a.campaign_id,
           a.total, a.inbound, a.outbound, a.sent, a.delivered, a.read, a.failed, a.replied,
           a.response_seconds, a.answered_turns, a.conversation_closed_at, a.date, a.previous_message_at
    FROM ${scope.windowRows('analytics_daily_activity', 'a')}
  )`;
}

/** The local date of `instant` in the zone of team `t` (the zone its days are written in). */
export const localDate = (instant: string): SQL => sql.raw(`(${instant} AT TIME ZONE t.timezone)::date`);

/**
 * A day's conversation counts (analytics_activity_days.conversation_counts: `[{ p, c, n }]`) per `keys`,
 * from `marked`: a FROM item of the days' marked rows with the keys, `p` (the local date of the
 * conversation's previous message) and `c` (of its stored closed_at). Keys without marked rows get no row.
 */
export function conversationCountsSql(keys: string, marked: SQL): SQL {
  const k = sql.raw(keys);
  return sql`
    SELECT ${k}, jsonb_agg(jsonb_build_object('p', p, 'c', c, 'n', n)) AS counts
    FROM (SELECT ${k}, p, c, count(*)::int AS n FROM ${marked} GROUP BY ${k}, p, c) counted
    GROUP BY ${k}`;
}

/**
 * Stores `act` as the activity of day `w.first_day` (one-day windows covering every account), with each
 * conversation's closed_at as it is now (from `conv_rows`) and its marks, the day's message totals (an
 * empty object for a day without messages) and its conversation counts (conversationCountsSql). The
 * caller clears the days first, in the same transaction (ActivityStore.replaceDays, which also stamps
 * closures_checked_at).
 */
export function recordActivitySql(): SQL {
  // The totals are grouped once, in their own CTE: inside the UPDATE's join the planner may re-run the
  // grouping for every day row it updates.
  return sql`team_totals AS MATERIALIZED (
    SELECT team_id, ${messageTotalsJsonSql()} AS totals FROM act GROUP BY team_id
  ),
  team_counts AS MATERIALIZED (${conversationCountsSql('team_id', sql`(
      SELECT act.team_id, ${localDate('act.previous_message_at')} AS p, ${localDate('cr.closed_at')} AS c
      FROM act JOIN teams t ON t.id = act.team_id
      LEFT JOIN conv_rows cr ON cr.team_id = act.team_id AND cr.conversation_id = act.conversation_id
      WHERE act.previous_message_at IS NOT NULL
    ) marked`)}
  ),
  day_totals AS (
    UPDATE analytics_activity_days d
    SET message_totals = coalesce(t.totals, '{}'::jsonb), conversation_counts = coalesce(k.counts, '[]'::jsonb),
        counts_generated_at = d.generated_at
    FROM w LEFT JOIN team_totals t ON t.team_id = w.team_id LEFT JOIN team_counts k ON k.team_id = w.team_id
    WHERE d.team_id = w.team_id AND d.date = w.first_day
    RETURNING 1
  ),
  act_written AS (
    INSERT INTO analytics_daily_activity (team_id, date, whatsapp_account_id, conversation_id, contact_id, campaign_id,
      total, inbound, outbound, sent, delivered, read, failed, replied, response_seconds, answered_turns,
      conversation_closed_at, previous_message_at)
    SELECT act.team_id, w.first_day, act.account_id, act.conversation_id, act.contact_id, act.campaign_id,
           act.total, act.inbound, act.outbound, act.sent, act.delivered, act.read, act.failed, act.replied,
           act.response_seconds, act.answered_turns, cr.closed_at, act.previous_message_at
    FROM act JOIN w ON w.team_id = act.team_id
    LEFT JOIN conv_rows cr ON cr.team_id = act.team_id AND cr.conversation_id = act.conversation_id
    RETURNING 1
  )`;
}
