/**
 * The floor: the fastest set-based SQL we could write that computes every metric of spec §4 for all
 * the requested scopes (team-wide and, optionally, every account of each team) in ONE statement,
 * over exactly the same tables and indexes as the gateway. The benchmark checks that it returns the
 * same numbers as the engine (computeMetrics) before it times anything.
 *
 * What makes it fast, and independent of how much history the tables hold:
 *  - the windows' messages are read with one (team_id, created_at) index range scan per team
 *    (a LATERAL subquery fenced with OFFSET 0, so the planner cannot turn it into a scan of the
 *    whole table joined to the windows);
 *  - ONE sort of those rows by (conversation_id, created_at, id) feeds every neighbour question:
 *    lead/lag for replies and turn starts, a running count of outbound messages, and — in a second
 *    window level on the same ordering, so no second sort — the time of the latest turn start, which
 *    gives each answer's response time at the answer row;
 *  - the few rows at a window's edge look one message further with an index probe on
 *    (conversation_id, created_at, id), a scalar sub-select inside CASE that runs for those rows only:
 *    the last accepted outbound (reply after the window), the first inbound (previous message before
 *    the window) and the last unanswered turn (first outbound after the window);
 *  - ONE hash aggregation to (team, account, conversation, contact, campaign) rows, then one with five
 *    grouping sets over those gives the message counts per team and per account and the
 *    per-conversation, per-contact and per-campaign partials; conversations and contacts
 *    are then looked up by primary key, campaigns by a (team_id, started_at) range per team, and the
 *    contact counts come from one scan of the contacts of the requested teams.
 */

/** Parameters: $1 uuid[] team ids, $2 timestamptz[] window starts, $3 timestamptz[] window ends. */
export function floorSql(opts: { accounts: boolean }): string {
  const acc = opts.accounts;
  // Grouping sets of the final per-scope aggregates (team-wide, and per account when asked).
  const sets = (team: string, account: string) => (acc ? `GROUPING SETS ((${team}), (${team}, ${account}))` : team);
  const accountCol = (col: string) => (acc ? col : 'NULL::uuid');
  // GROUPING() bit masks of the grouping sets of g (account_id is a grouping column only with accounts).
  const gs = acc ? { team: 15, account: 7, conv: 11, contact: 13, campaign: 14 } : { team: 7, account: -1, conv: 3, contact: 5, campaign: 6 };
  return `
WITH w AS MATERIALIZED (
  SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS w(team_id, start_at, end_at)
),
m1 AS (
  SELECT x.id, x.team_id, x.whatsapp_account_id AS account_id, x.conversation_id, x.contact_id, x.campaign_id,
         x.created_at, w.end_at,
         x.direction = 'inbound' AS inb,
         x.direction = 'outbound' AND x.status IN ('sent', 'delivered', 'read') AS accepted,
         x.direction = 'outbound' AND x.status IN ('delivered', 'read') AS delivered,
         x.direction = 'outbound' AND x.status = 'read' AS is_read,
         x.direction = 'outbound' AND x.status = 'failed' AS failed,
         lead(x.direction) OVER c AS next_dir,
         lead(x.created_at) OVER c AS next_at,
         lag(x.direction) OVER c AS prev_dir,
         count(*) FILTER (WHERE x.direction = 'outbound') OVER c AS outs_so_far,
         count(*) FILTER (WHERE x.direction = 'outbound') OVER (PARTITION BY x.conversation_id) AS outs_total
  FROM w CROSS JOIN LATERAL (
    SELECT * FROM messages x
    WHERE x.team_id = w.team_id AND x.created_at >= w.start_at AND x.created_at < w.end_at
    OFFSET 0
  ) x
  WINDOW c AS (PARTITION BY x.conversation_id ORDER BY x.created_at, x.id ROWS UNBOUNDED PRECEDING)
),
m2 AS (
  -- The neighbour past the window's edge is looked for only at the edge rows: a scalar sub-select inside
  -- CASE runs for those rows alone (a LATERAL join would enter its sub-plan once per message).
  SELECT m1.*,
         m1.inb AND CASE WHEN m1.prev_dir IS NOT NULL THEN m1.prev_dir <> 'inbound'
           ELSE (SELECT y.direction FROM messages y
                 WHERE y.conversation_id = m1.conversation_id AND y.team_id = m1.team_id
                   AND y.created_at <= m1.created_at AND (y.created_at < m1.created_at OR y.id < m1.id)
                 ORDER BY y.created_at DESC, y.id DESC LIMIT 1) IS DISTINCT FROM 'inbound' END AS turn_start,
         m1.accepted AND CASE WHEN m1.next_dir IS NOT NULL THEN m1.next_dir = 'inbound' AND m1.next_at <= m1.created_at + interval '24 hours'
           ELSE coalesce((SELECT y.direction = 'inbound' FROM messages y
                 WHERE y.conversation_id = m1.conversation_id AND y.team_id = m1.team_id
                   AND y.created_at >= m1.created_at AND (y.created_at > m1.created_at OR y.id > m1.id)
                   AND y.created_at <= m1.created_at + interval '24 hours'
                 ORDER BY y.created_at, y.id LIMIT 1), false) END AS replied
  FROM m1
),
m3 AS (
  SELECT m2.*,
         max(m2.created_at) FILTER (WHERE m2.turn_start) OVER c2 AS turn_at
  FROM m2
  WINDOW c2 AS (PARTITION BY m2.conversation_id ORDER BY m2.created_at, m2.id ROWS UNBOUNDED PRECEDING)
),
m AS (
  SELECT m3.team_id, m3.account_id, m3.conversation_id, m3.contact_id, m3.campaign_id,
         m3.inb, m3.accepted, m3.delivered, m3.is_read, m3.failed, m3.replied,
         CASE
           -- an answer inside the window: the first outbound after a run of inbound messages that began with a turn start
           WHEN NOT m3.inb AND m3.prev_dir = 'inbound' AND m3.turn_at IS NOT NULL
             THEN extract(epoch FROM m3.created_at - m3.turn_at)::float8
           -- the last turn of the window, unanswered inside it: the first outbound after the window
           WHEN m3.turn_start AND m3.outs_so_far = m3.outs_total
             THEN extract(epoch FROM (SELECT y.created_at FROM messages y
                    WHERE y.conversation_id = m3.conversation_id AND y.team_id = m3.team_id
                      AND y.created_at >= m3.end_at AND y.direction = 'outbound'
                    ORDER BY y.created_at, y.id LIMIT 1) - m3.created_at)::float8
         END AS resp
  FROM m3
),
-- One hash aggregation to the finest grain every family needs (≈ 5× fewer rows than messages), then
-- the grouping sets over those rows.
f AS (
  SELECT team_id, account_id, conversation_id, contact_id, campaign_id,
         count(*) AS total,
         count(*) FILTER (WHERE inb) AS inbound,
         count(*) FILTER (WHERE NOT inb) AS outbound,
         count(*) FILTER (WHERE accepted) AS sent,
         count(*) FILTER (WHERE delivered) AS delivered,
         count(*) FILTER (WHERE is_read) AS read,
         count(*) FILTER (WHERE failed) AS failed,
         count(*) FILTER (WHERE replied) AS replied,
         sum(resp) AS response_seconds,
         count(resp) AS answered_turns
  FROM m GROUP BY team_id, account_id, conversation_id, contact_id, campaign_id
),
g AS (
  SELECT team_id, ${acc ? 'account_id' : 'NULL::uuid AS account_id'}, conversation_id, contact_id, campaign_id,
         GROUPING(${acc ? 'account_id, ' : ''}conversation_id, contact_id, campaign_id) AS gs,
         sum(total) AS total,
         sum(inbound) AS inbound,
         sum(outbound) AS outbound,
         sum(sent) AS sent,
         sum(delivered) AS delivered,
         sum(read) AS read,
         sum(failed) AS failed,
         sum(replied) AS replied,
         coalesce(sum(sent) FILTER (WHERE campaign_id IS NOT NULL), 0) AS campaign_sent,
         coalesce(sum(response_seconds), 0)::float8 AS response_seconds,
         sum(answered_turns) AS answered_turns
  FROM f
  GROUP BY GROUPING SETS ((team_id), ${acc ? '(team_id, account_id), ' : ''}(team_id, conversation_id), (team_id, contact_id), (team_id, campaign_id))
),
msg AS (
  SELECT * FROM g WHERE gs IN (${gs.team}, ${gs.account})
),
conv AS (
  SELECT c.team_id, ${accountCol('c.whatsapp_account_id')} AS account_id,
         count(*) AS total,
         count(*) FILTER (WHERE c.closed_at IS NULL OR c.closed_at >= w.end_at) AS open,
         count(*) FILTER (WHERE c.closed_at < w.end_at) AS closed
  FROM g JOIN w ON w.team_id = g.team_id
  CROSS JOIN LATERAL (SELECT * FROM conversations c WHERE c.id = g.conversation_id AND c.team_id = g.team_id OFFSET 0) c
  WHERE g.gs = ${gs.conv}
  GROUP BY ${sets('c.team_id', 'c.whatsapp_account_id')}
),
engagement AS (
  SELECT ct.team_id, ${accountCol('ct.whatsapp_account_id')} AS account_id,
         count(*) AS active,
         sum(
           0.5 * CASE WHEN g.delivered > 0 THEN g.read::float8 / g.delivered * 100 WHEN g.inbound > 0 THEN 100 ELSE 0 END
         + 0.3 * CASE WHEN g.sent > 0 THEN least(100, g.replied::float8 / g.sent * 100) WHEN g.inbound > 0 THEN 100 ELSE 0 END
         + 0.2 * CASE WHEN g.inbound > 0 THEN 100 ELSE 0 END
         )::float8 AS score_sum
  FROM g CROSS JOIN LATERAL (SELECT * FROM contacts ct WHERE ct.id = g.contact_id AND ct.team_id = g.team_id OFFSET 0) ct
  WHERE g.gs = ${gs.contact}
  GROUP BY ${sets('ct.team_id', 'ct.whatsapp_account_id')}
),
contact_counts AS (
  SELECT ct.team_id, ${accountCol('ct.whatsapp_account_id')} AS account_id,
         count(*) FILTER (WHERE ct.created_at < w.end_at) AS total,
         count(*) FILTER (WHERE ct.created_at >= w.start_at AND ct.created_at < w.end_at) AS new,
         count(*) FILTER (WHERE ct.blocked_at < w.end_at) AS blocked
  FROM w JOIN contacts ct ON ct.team_id = w.team_id
  GROUP BY ${sets('ct.team_id', 'ct.whatsapp_account_id')}
),
camp AS (
  SELECT k.team_id, ${accountCol('k.whatsapp_account_id')} AS account_id,
         count(*) AS total,
         count(*) FILTER (WHERE k.finished_at IS NULL OR k.finished_at >= w.end_at) AS active,
         count(*) FILTER (WHERE k.status = 'completed' AND k.finished_at < w.end_at) AS completed,
         count(*) FILTER (WHERE k.status = 'failed' AND k.finished_at < w.end_at) AS failed,
         coalesce(sum(k.total_recipients), 0) AS total_recipients,
         coalesce(sum(p.delivered::float8 / p.sent * 100) FILTER (WHERE p.sent > 0), 0)::float8 AS delivery_rate_sum,
         count(*) FILTER (WHERE p.sent > 0) AS delivery_rate_n,
         coalesce(sum(p.read::float8 / p.delivered * 100) FILTER (WHERE p.delivered > 0), 0)::float8 AS read_rate_sum,
         count(*) FILTER (WHERE p.delivered > 0) AS read_rate_n
  FROM w
  CROSS JOIN LATERAL (
    SELECT * FROM campaigns k
    WHERE k.team_id = w.team_id AND k.started_at < w.end_at AND (k.finished_at IS NULL OR k.finished_at >= w.start_at)
    OFFSET 0
  ) k
  LEFT JOIN g p ON p.gs = ${gs.campaign} AND p.campaign_id = k.id AND p.team_id = k.team_id
  GROUP BY ${sets('k.team_id', 'k.whatsapp_account_id')}
),
scopes AS (
  SELECT w.team_id, NULL::uuid AS account_id FROM w
  ${acc ? 'UNION ALL SELECT a.team_id, a.id FROM w JOIN whatsapp_accounts a ON a.team_id = w.team_id' : ''}
)
SELECT s.team_id, s.account_id,
       coalesce(msg.total, 0)::int AS m_total, coalesce(msg.inbound, 0)::int AS m_inbound,
       coalesce(msg.outbound, 0)::int AS m_outbound, coalesce(msg.sent, 0)::int AS m_sent,
       coalesce(msg.delivered, 0)::int AS m_delivered, coalesce(msg.read, 0)::int AS m_read,
       coalesce(msg.failed, 0)::int AS m_failed, coalesce(msg.replied, 0)::int AS m_replied,
       coalesce(msg.campaign_sent, 0)::int AS m_campaign_sent,
       coalesce(msg.response_seconds, 0)::float8 AS m_response_seconds, coalesce(msg.answered_turns, 0)::int AS m_answered_turns,
       coalesce(conv.total, 0)::int AS v_total, coalesce(conv.open, 0)::int AS v_open, coalesce(conv.closed, 0)::int AS v_closed,
       coalesce(cc.total, 0)::int AS c_total, coalesce(cc.new, 0)::int AS c_new, coalesce(cc.blocked, 0)::int AS c_blocked,
       coalesce(e.active, 0)::int AS c_active, coalesce(e.score_sum, 0)::float8 AS c_score_sum,
       coalesce(k.total, 0)::int AS k_total, coalesce(k.active, 0)::int AS k_active,
       coalesce(k.completed, 0)::int AS k_completed, coalesce(k.failed, 0)::int AS k_failed,
       coalesce(k.total_recipients, 0)::int AS k_total_recipients,
       coalesce(k.delivery_rate_sum, 0)::float8 AS k_delivery_rate_sum, coalesce(k.delivery_rate_n, 0)::int AS k_delivery_rate_n,
       coalesce(k.read_rate_sum, 0)::float8 AS k_read_rate_sum, coalesce(k.read_rate_n, 0)::int AS k_read_rate_n
FROM scopes s
LEFT JOIN msg ON msg.team_id = s.team_id AND msg.account_id IS NOT DISTINCT FROM s.account_id
LEFT JOIN conv ON conv.team_id = s.team_id AND conv.account_id IS NOT DISTINCT FROM s.account_id
LEFT JOIN contact_counts cc ON cc.team_id = s.team_id AND cc.account_id IS NOT DISTINCT FROM s.account_id
LEFT JOIN engagement e ON e.team_id = s.team_id AND e.account_id IS NOT DISTINCT FROM s.account_id
LEFT JOIN camp k ON k.team_id = s.team_id AND k.account_id IS NOT DISTINCT FROM s.account_id`;
}

export interface FloorRow {
  team_id: string;
  account_id: string | null;
  m_total: number; m_inbound: number; m_outbound: number; m_sent: number; m_delivered: number; m_read: number;
  m_failed: number; m_replied: number; m_campaign_sent: number; m_response_seconds: number; m_answered_turns: number;
  v_total: number; v_open: number; v_closed: number;
  c_total: number; c_new: number; c_blocked: number; c_active: number; c_score_sum: number;
  k_total: number; k_active: number; k_completed: number; k_failed: number; k_total_recipients: number;
  k_delivery_rate_sum: number; k_delivery_rate_n: number; k_read_rate_sum: number; k_read_rate_n: number;
}

/**
 * The floor's "job": the same statement feeding an upsert of the snapshots (the metrics JSON built in
 * SQL, rates rounded half away from zero by numeric round()), so it does the same work as the
 * SnapshotService — compute and write every scope's Daily snapshot — in one statement.
 * Extra parameters: $4 text[] the snapshot date of each window (aligned with $1).
 */
export function floorJobSql(): string {
  const pct = (n: string, d: string) => `CASE WHEN ${d} = 0 THEN 0 ELSE round(${n}::numeric / ${d} * 100, 2) END`;
  const mean = (s: string, n: string) => `CASE WHEN ${n} = 0 THEN 0 ELSE round((${s} / ${n})::numeric, 2) END`;
  return `
WITH f AS (${floorSql({ accounts: true })}),
d AS (SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::date[]) AS d(team_id, start_at, end_at, date)),
written AS (
  INSERT INTO analytics_snapshots (team_id, whatsapp_account_id, date, snapshot_type, metrics)
  SELECT f.team_id, f.account_id, d.date, 'Daily', jsonb_build_object(
    'period', jsonb_build_object('start', to_char(d.start_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                 'end', to_char((d.end_at - interval '1 millisecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
    'messages', jsonb_build_object('total', m_total, 'inbound', m_inbound, 'outbound', m_outbound, 'sent', m_sent,
      'delivered', m_delivered, 'read', m_read, 'failed', m_failed, 'replied', m_replied,
      'deliveryRate', ${pct('m_delivered', 'm_sent')}, 'readRate', ${pct('m_read', 'm_delivered')},
      'replyRate', ${pct('m_replied', 'm_sent')}, 'failureRate', ${pct('m_failed', 'm_total')}),
    'campaigns', jsonb_build_object('total', k_total, 'active', k_active, 'completed', k_completed, 'failed', k_failed,
      'totalRecipients', k_total_recipients, 'messagesSent', m_campaign_sent,
      'avgDeliveryRate', ${mean('k_delivery_rate_sum', 'k_delivery_rate_n')}, 'avgReadRate', ${mean('k_read_rate_sum', 'k_read_rate_n')}),
    'contacts', jsonb_build_object('total', c_total, 'new', c_new, 'active', c_active, 'blocked', c_blocked,
      'avgEngagementScore', ${mean('c_score_sum', 'c_active')}),
    'conversations', jsonb_build_object('total', v_total, 'open', v_open, 'closed', v_closed,
      'avgResponseTime', ${mean('m_response_seconds', 'm_answered_turns')}, 'answeredTurns', m_answered_turns),
    'generatedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  FROM f JOIN d ON d.team_id = f.team_id
  ON CONFLICT (team_id, whatsapp_account_id, date, snapshot_type)
  DO UPDATE SET metrics = excluded.metrics, updated_at = now()
  RETURNING 1
)
SELECT count(*)::int AS n FROM written`;
}

/** Spec §4 rounding: half away from zero, 2 decimals (independent of src/metrics/calculations.ts). */
function round2(x: number): number {
  const r = Math.sign(x) * Math.round(Number(`${Math.abs(x)}e2`));
  return Number(`${r}e-2`) || 0;
}
const pct = (n: number, d: number) => (d === 0 ? 0 : round2((n / d) * 100));
const avg = (s: number, n: number) => (n === 0 ? 0 : round2(s / n));

/** The four sections of spec §4 from a floor row, for comparison with the engine's output. */
export function floorMetrics(r: FloorRow) {
  return {
    messages: {
      total: r.m_total, inbound: r.m_inbound, outbound: r.m_outbound, sent: r.m_sent, delivered: r.m_delivered,
      read: r.m_read, failed: r.m_failed, replied: r.m_replied,
      deliveryRate: pct(r.m_delivered, r.m_sent), readRate: pct(r.m_read, r.m_delivered),
      replyRate: pct(r.m_replied, r.m_sent), failureRate: pct(r.m_failed, r.m_total),
    },
    campaigns: {
      total: r.k_total, active: r.k_active, completed: r.k_completed, failed: r.k_failed,
      totalRecipients: r.k_total_recipients, messagesSent: r.m_campaign_sent,
      avgDeliveryRate: avg(r.k_delivery_rate_sum, r.k_delivery_rate_n), avgReadRate: avg(r.k_read_rate_sum, r.k_read_rate_n),
    },
    contacts: {
      total: r.c_total, new: r.c_new, active: r.c_active, blocked: r.c_blocked,
      avgEngagementScore: avg(r.c_score_sum, r.c_active),
    },
    conversations: {
      total: r.v_total, open: r.v_open, closed: r.v_closed,
      avgResponseTime: avg(r.m_response_seconds, r.m_answered_turns), answeredTurns: r.m_answered_turns,
    },
  };
}

export type SectionNumbers = ReturnType<typeof floorMetrics>;

/** Means are sums of floats: summation order may move the last bit, so they may differ by one cent. */
const MEAN_FIELDS = new Set(['avgDeliveryRate', 'avgReadRate', 'avgEngagementScore', 'avgResponseTime']);

/**
 * Differences between the engine's sections and the floor's, as readable lines (empty = identical).
 * Counts and rates must be equal; means may differ by at most 0.01 (float summation order).
 */
export function compareSections(scope: string, engine: Record<string, Record<string, number>>, floor: SectionNumbers): string[] {
  const out: string[] = [];
  for (const [section, fields] of Object.entries(floor)) {
    for (const [field, value] of Object.entries(fields as Record<string, number>)) {
      const e = engine[section]?.[field];
      const ok = MEAN_FIELDS.has(field) ? typeof e === 'number' && Math.abs(e - value) <= 0.010000001 : e === value;
      if (!ok) out.push(`${scope} ${section}.${field}: engine ${e} ≠ floor ${value}`);
    }
  }
  return out;
}
