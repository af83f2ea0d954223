/**
 * Benchmark data set: the CRM's source tables (spec §1), generated inside Postgres with
 * generate_series / INSERT … SELECT into a database of its own, migrated with the gateway's own
 * migrations (so the only indexes are the ones a CRM would have plus the gateway's).
 *
 * Default scale 1: 1,000 teams with Zipf-skewed sizes (team #1 ≈ 13 % of all rows, ≈ 500× the
 * median team), 3,000 WhatsApp accounts, 500,000 contacts, 1,000,000 conversations, 20,000,000
 * messages over 90 days, ≈ 30,000 campaigns, teams spread over 8 time zones (5 with DST).
 *
 * `days` shortens the message history while keeping the per-day density: conversations, campaigns
 * and messages scale with days/90; teams, accounts and contacts (the address book, created over
 * the last 180 days) do not. That is the "30-day table" of the history-independence figure.
 *
 * Rows are inserted in time order (as a CRM appends them), referenced ids are deterministic
 * (md5 of kind and number) so the generator needs no look-up joins, and FK triggers are skipped
 * during the load (session_replication_role = replica); the messages indexes are dropped before the
 * load and rebuilt after it (same names and definitions as the migration), then everything is
 * VACUUM ANALYZEd, as a live database would be.
 */
import pg from 'pg';
import { connectPostgres } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';

export const TIME_ZONES = [
  'America/New_York',
  'Europe/London',
  'Asia/Kolkata',
  'UTC',
  'America/Los_Angeles',
  'Europe/Berlin',
  'Asia/Tokyo',
  'Australia/Sydney',
] as const;

/** Counts at scale 1 over 90 days. */
export const BASE = {
  teams: 1000,
  accounts: 3000,
  contacts: 500_000,
  conversations: 1_000_000,
  messages: 20_000_000,
  campaigns: 30_000,
  days: 90,
} as const;

/** Contacts are created over this many days before the end, whatever the message history. */
export const CONTACT_DAYS = 180;

/** Teams #1, #2 and #3 get exactly this many accounts (the batching figure needs 100, 20 and 5). */
export const FIXED_ACCOUNTS = [100, 20, 5] as const;

export interface DatasetOptions {
  /** Admin connection string (any database of the server). */
  adminUrl: string;
  /** Name of the benchmark database; dropped and recreated. */
  database: string;
  scale: number;
  days: number;
  /** Last instant of the history (default: now). */
  end?: Date;
  seed?: number;
  /**
   * Make `messages` UNLOGGED (default true): reads cost exactly the same, and the load skips writing
   * its ~5 GB of WAL. Nothing references messages, so the gateway's FKs stay as they are.
   */
  unlogged?: boolean;
  log?: (line: string) => void;
}

export interface DatasetManifest {
  database: string;
  url: string;
  scale: number;
  days: number;
  /** The history covers [end − days, end). */
  end: string;
  seed: number;
  generatedSeconds: number;
  counts: Record<'teams' | 'whatsapp_accounts' | 'contacts' | 'conversations' | 'campaigns' | 'messages', number>;
  /** Size of messages (heap + indexes), bytes. */
  messagesBytes: number;
  /** Team #1 (the largest): id, time zone, accounts. */
  largestTeam: { id: string; timezone: string; accounts: number; messages: number };
  /** Median team by message count. */
  medianTeamMessages: number;
  /** Teams with exactly 5, 20 and 100 accounts (for the batching figure). */
  teamsByAccountCount: Record<string, string>;
}

export function databaseUrl(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Deterministic uuid of an entity: md5 of its kind and numbers (not v4, but a valid uuid). */
const uid = (kind: string, ...parts: string[]) => `md5('${kind}:' || ${parts.join(` || ':' || `)})::uuid`;

/** Outbound status mix: 4 % failed, 2 % pending, 14 % sent, 30 % delivered, 50 % read. */
const OUTBOUND_STATUS = (r: string) =>
  `CASE WHEN ${r} < 0.04 THEN 'failed' WHEN ${r} < 0.06 THEN 'pending' WHEN ${r} < 0.20 THEN 'sent' WHEN ${r} < 0.50 THEN 'delivered' ELSE 'read' END`;

export async function generateDataset(opts: DatasetOptions): Promise<DatasetManifest> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  const seed = opts.seed ?? 0.42;
  const end = opts.end ?? new Date();
  const f = opts.scale * (opts.days / BASE.days); // time-dense entities scale with the history length
  const n = {
    teams: Math.max(3, Math.round(BASE.teams * opts.scale)),
    accounts: Math.max(3, Math.round(BASE.accounts * opts.scale)),
    contacts: Math.max(10, Math.round(BASE.contacts * opts.scale)), // the address book: not time-dense
    conversations: Math.max(10, Math.round(BASE.conversations * f)),
    campaigns: Math.max(3, Math.round(BASE.campaigns * f)),
    // messages per conversation average 20 (1 + floor(random · 39)); BASE.messages / BASE.conversations
  };

  const admin = new pg.Client({ connectionString: opts.adminUrl, application_name: 'bench:dataset' });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${opts.database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${opts.database}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(opts.adminUrl, opts.database);
  const migrated = connectPostgres(url, { poolSize: 1 });
  await migrateDatabase(migrated);
  await migrated.close();

  const c = new pg.Client({ connectionString: url, application_name: 'bench:dataset' });
  await c.connect();
  const step = async (label: string, text: string, values: unknown[] = []) => {
    const t0 = performance.now();
    const r = await c.query(text, values);
    log(`  ${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s${r.rowCount ? ` (${r.rowCount.toLocaleString('en-US')} rows)` : ''}`);
    return r;
  };
  try {
    await c.query(`SET session_replication_role = replica`); // skip FK triggers during the bulk load
    await c.query(`SET synchronous_commit = off`);
    await c.query(`SET work_mem = '256MB'`);
    await c.query(`SET maintenance_work_mem = '512MB'`);
    await c.query(`SET max_parallel_maintenance_workers = 1`);
    await c.query(`SELECT setseed($1)`, [seed]);
    const endIso = end.toISOString();
    const startExpr = `($1::timestamptz - make_interval(days => ${opts.days}))`;

    // Teams: Zipf weights 1/i; accounts ~ 1/√i (teams #1–#3 fixed at 100, 20, 5).
    const zones = `ARRAY[${TIME_ZONES.map((z) => `'${z}'`).join(',')}]`;
    const spare = Math.max(0, n.accounts - FIXED_ACCOUNTS.reduce((a, b) => a + b, 0));
    await step(
      'teams',
      `CREATE TEMP TABLE s_team AS
       WITH p AS (SELECT i, 1.0 / i AS w FROM generate_series(1, ${n.teams}) i),
            h AS (SELECT sum(w) AS hs FROM p),
            q AS (SELECT sum(power(i, -0.5)) AS hs FROM generate_series(4, greatest(4, ${n.teams})) i)
       SELECT p.i AS team_no, ${uid('t', 'p.i')} AS id,
              (${zones})[1 + (p.i - 1) % ${TIME_ZONES.length}] AS tz,
              p.w / h.hs AS share,
              CASE p.i ${FIXED_ACCOUNTS.map((a, i) => `WHEN ${i + 1} THEN ${a}`).join(' ')}
                   ELSE greatest(1, round(${spare} * power(p.i, -0.5) / q.hs))::int END AS n_acc
       FROM p, h, q`,
    );
    await c.query(`ALTER TABLE s_team
      ADD COLUMN n_contacts int, ADD COLUMN n_conv int, ADD COLUMN n_camp int`);
    await c.query(`UPDATE s_team SET
      n_contacts = greatest(n_acc, round(${n.contacts} * share))::int,
      n_conv = greatest(1, round(${n.conversations} * share))::int,
      n_camp = greatest(1, round(${n.campaigns} * share))::int`);
    await c.query(`ANALYZE s_team`);

    await step(
      'insert teams',
      `INSERT INTO teams (id, name, timezone, created_at)
       SELECT id, 'Team ' || team_no, tz, ${startExpr} - make_interval(days => 400 - (team_no % 300)) FROM s_team ORDER BY team_no`,
      [endIso],
    );
    await step(
      'insert whatsapp_accounts',
      `INSERT INTO whatsapp_accounts (id, team_id, phone_number, display_name, created_at)
       SELECT ${uid('a', 't.team_no', 'a')}, t.id, '+1555' || lpad((t.team_no * 1000 + a)::text, 8, '0'),
              CASE WHEN a % 3 = 0 THEN NULL ELSE 'Line ' || a END,
              ${startExpr} - make_interval(days => 200 - (a % 100))
       FROM s_team t, generate_series(1, t.n_acc) a ORDER BY t.team_no, a`,
      [endIso],
    );

    // Contacts (the address book: the same whatever the message history), created uniformly over the
    // last CONTACT_DAYS (180) days, in time
    // order; contact k of a team belongs to account ((k − 1) mod n_acc) + 1; 2 % blocked later.
    await step(
      'insert contacts',
      `INSERT INTO contacts (id, team_id, whatsapp_account_id, phone_number, name, created_at, blocked_at)
       SELECT id, team_id, account_id, phone, name, created_at,
              CASE WHEN r_block < 0.02 THEN created_at + (($1::timestamptz - created_at) * r_when) END
       FROM (
         SELECT ${uid('c', 't.team_no', 'k')} AS id, t.id AS team_id,
                ${uid('a', 't.team_no', '((k - 1) % t.n_acc + 1)')} AS account_id,
                '+' || (4400000000 + t.team_no * 100000 + k)::text AS phone,
                CASE WHEN k % 4 = 0 THEN NULL ELSE 'Contact ' || k END AS name,
                $1::timestamptz - make_interval(secs => random() * ${CONTACT_DAYS} * 86400) AS created_at,
                random() AS r_block, random() AS r_when
         FROM s_team t, generate_series(1, t.n_contacts) k OFFSET 0
       ) x ORDER BY created_at`,
      [endIso],
    );

    // Campaigns: 80 % started (uniformly over the history), the rest draft/scheduled. Started ones
    // run 2–72 h; those finished before `end` are completed (85 %), failed (8 %) or cancelled.
    await step(
      'campaigns (staging)',
      `CREATE TEMP TABLE s_camp AS
       SELECT team_no, team_id, camp_no, account_no, ${uid('k', 'team_no', 'camp_no')} AS id, started_at,
              CASE WHEN started_at + dur < $1::timestamptz THEN started_at + dur END AS finished_at,
              CASE WHEN started_at IS NULL THEN (CASE WHEN camp_no % 10 = 0 THEN 'draft' ELSE 'scheduled' END)
                   WHEN started_at + dur < $1::timestamptz THEN
                     (CASE WHEN r_status < 0.85 THEN 'completed' WHEN r_status < 0.93 THEN 'failed' ELSE 'cancelled' END)
                   WHEN r_status < 0.8 THEN 'running' ELSE 'paused' END::campaign_status AS status,
              50 + floor(r_recipients * 2000)::int AS total_recipients,
              coalesce(started_at, $1::timestamptz) - make_interval(hours => 24 + (camp_no % 48)) AS created_at
       FROM (
         SELECT t.team_no, t.id AS team_id, k AS camp_no, (k - 1) % t.n_acc + 1 AS account_no,
                CASE WHEN k % 10 IN (0, 9) THEN NULL
                     ELSE ${startExpr} + make_interval(secs => random() * ${opts.days} * 86400) END AS started_at,
                make_interval(secs => 7200 + random() * 70 * 3600) AS dur,
                random() AS r_status, random() AS r_recipients
         FROM s_team t, generate_series(1, t.n_camp) k OFFSET 0
       ) x`,
      [endIso],
    );
    await c.query(`CREATE INDEX ON s_camp (team_no, camp_no); ANALYZE s_camp`);
    await step(
      'insert campaigns',
      `INSERT INTO campaigns (id, team_id, whatsapp_account_id, name, status, total_recipients, started_at, finished_at, created_at)
       SELECT c.id, c.team_id, ${uid('a', 'c.team_no', 'c.account_no')}, 'Campaign ' || c.camp_no, c.status,
              c.total_recipients, c.started_at, c.finished_at, c.created_at
       FROM s_camp c ORDER BY c.created_at`,
    );

    // Conversations: 25 % are started by a campaign (opened within 12 h of its start, with a contact
    // of the campaign's account); the rest open uniformly over the history. 1–39 messages each
    // (mean 20) spread over an exponential duration (mean 6 h, at most 72 h); 85 % close 1–24 h
    // after their last message when that is before `end`.
    await step(
      'conversations (staging)',
      `CREATE TEMP TABLE s_conv AS
       SELECT y.*, row_number() OVER () AS seq, extract(epoch FROM y.opened_at)::float8 AS open_s,
              extract(epoch FROM y.dur)::float8 AS dur_s, ${uid('v', 'y.team_no', 'y.conv_no')} AS id,
              ${uid('a', 'y.team_no', 'y.account_no')} AS account_id,
              ${uid('c', 'y.team_no', 'y.contact_no')} AS contact_id,
              CASE WHEN y.r_close < 0.85 AND y.opened_at + y.dur + make_interval(secs => 3600 + y.r_close2 * 23 * 3600) < $1::timestamptz
                   THEN y.opened_at + y.dur + make_interval(secs => 3600 + y.r_close2 * 23 * 3600) END AS closed_at,
              floor(extract(epoch FROM y.opened_at - ${startExpr}) / 86400)::int AS day
       FROM (
         SELECT x.team_no, x.team_id, x.conv_no, x.n,
                k.id AS campaign_id,
                CASE WHEN k.id IS NOT NULL THEN k.account_no ELSE (x.contact_pick - 1) % x.n_acc + 1 END AS account_no,
                CASE WHEN k.id IS NOT NULL
                     THEN k.account_no + x.n_acc * floor(x.r_contact * (floor((x.n_contacts - k.account_no)::numeric / x.n_acc) + 1))::int
                     ELSE x.contact_pick END AS contact_no,
                CASE WHEN k.id IS NOT NULL
                     THEN k.started_at + (least(interval '12 hours', $1::timestamptz - k.started_at) * x.r_open)
                     ELSE ${startExpr} + make_interval(secs => x.r_open * ${opts.days} * 86400) END AS opened_at,
                make_interval(secs => least(72 * 3600, -ln(1 - x.r_dur * 0.9999) * 6 * 3600)) AS dur,
                x.r_close, x.r_close2
         FROM (
           SELECT t.team_no, t.id AS team_id, t.n_acc, t.n_contacts, t.n_camp, v AS conv_no,
                  1 + floor(random() * 39)::int AS n,
                  1 + floor(random() * t.n_contacts)::int AS contact_pick,
                  random() AS r_contact, random() AS r_open, random() AS r_dur, random() AS r_close, random() AS r_close2,
                  CASE WHEN random() < 0.25 THEN 1 + floor(random() * t.n_camp)::int END AS camp_pick
           FROM s_team t, generate_series(1, t.n_conv) v OFFSET 0
         ) x
         LEFT JOIN s_camp k ON k.team_no = x.team_no AND k.camp_no = x.camp_pick AND k.started_at IS NOT NULL
       ) y`,
      [endIso],
    );
    await c.query(`CREATE INDEX ON s_conv (day); ANALYZE s_conv`);
    await step(
      'insert conversations',
      `INSERT INTO conversations (id, team_id, whatsapp_account_id, contact_id, status, opened_at, closed_at)
       SELECT id, team_id, account_id, contact_id, CASE WHEN closed_at IS NULL THEN 'open' ELSE 'closed' END::conversation_status,
              opened_at, closed_at
       FROM s_conv ORDER BY opened_at`,
    );

    // Messages, one statement per day of conversation openings, each in time order. Message j of a
    // conversation of n falls at opened_at + dur · (j − 1 + 0.5·random) / n (strictly increasing).
    // The first message is the campaign's template (outbound) or, 80 % of the time, the customer's;
    // then each message is inbound or outbound with equal odds. Inbound → 'received'.
    // Message ids are time-ordered (UUIDv7-like: creation time in microseconds, then a unique
    // counter), as many CRMs now issue them; gen_random_uuid() is ~5× slower to generate here.
    if (opts.unlogged !== false) await c.query(`ALTER TABLE messages SET UNLOGGED`);
    await c.query(`ALTER TABLE messages DROP CONSTRAINT messages_pkey`);
    await c.query(`DROP INDEX messages_team_created_idx, messages_conversation_created_idx`);
    const days = (await c.query<{ d: number }>(`SELECT DISTINCT day AS d FROM s_conv ORDER BY 1`)).rows.map((r) => r.d);
    const t0 = performance.now();
    let inserted = 0;
    for (const [i, d] of days.entries()) {
      const r = await c.query(
        `INSERT INTO messages (id, team_id, whatsapp_account_id, conversation_id, contact_id, campaign_id, direction, status, created_at)
         SELECT (lpad(to_hex((at_s * 1e6)::bigint), 16, '0') || lpad(to_hex(seq * 64 + j), 16, '0'))::uuid,
                team_id, account_id, id, contact_id, CASE WHEN j = 1 THEN campaign_id END,
                dir, CASE WHEN dir = 'inbound' THEN 'received' ELSE ${OUTBOUND_STATUS('r_status')} END::message_status,
                to_timestamp(at_s)
         FROM (
           SELECT c.team_id, c.account_id, c.id, c.contact_id, c.campaign_id, c.seq, j,
                  c.open_s + c.dur_s * ((j - 1) + 0.5 * random()) / c.n AS at_s,
                  (CASE WHEN j = 1 THEN (CASE WHEN c.campaign_id IS NOT NULL OR random() < 0.2 THEN 'outbound' ELSE 'inbound' END)
                        WHEN random() < 0.5 THEN 'inbound' ELSE 'outbound' END)::message_direction AS dir,
                  random() AS r_status
           FROM s_conv c, generate_series(1, c.n) j
           WHERE c.day = $2 OFFSET 0
         ) m
         WHERE at_s < extract(epoch FROM $1::timestamptz)
         ORDER BY at_s`,
        [endIso, d],
      );
      inserted += r.rowCount ?? 0;
      if (i % 10 === 9 || i === days.length - 1) {
        log(`  messages: day ${i + 1}/${days.length}, ${inserted.toLocaleString('en-US')} rows, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
    }
    // Same definitions as drizzle/0000_init.sql.
    await step('messages primary key', `ALTER TABLE messages ADD CONSTRAINT messages_pkey PRIMARY KEY (id)`);
    await step('messages_team_created_idx', `CREATE INDEX messages_team_created_idx ON messages USING btree (team_id, created_at)`);
    await step(
      'messages_conversation_created_idx',
      `CREATE INDEX messages_conversation_created_idx ON messages USING btree (conversation_id, created_at, id)`,
    );
    await c.query(`SET session_replication_role = DEFAULT`);
    await step('vacuum analyze', `VACUUM (ANALYZE) teams, whatsapp_accounts, contacts, campaigns, conversations, messages`);

    const counts = (
      await c.query(`SELECT
        (SELECT count(*) FROM teams)::int AS teams, (SELECT count(*) FROM whatsapp_accounts)::int AS whatsapp_accounts,
        (SELECT count(*) FROM contacts)::int AS contacts, (SELECT count(*) FROM conversations)::int AS conversations,
        (SELECT count(*) FROM campaigns)::int AS campaigns, (SELECT count(*) FROM messages)::int AS messages,
        pg_total_relation_size('messages')::float8 AS bytes`)
    ).rows[0];
    const largest = (
      await c.query(`SELECT t.id, t.tz, t.n_acc, (SELECT count(*) FROM messages m WHERE m.team_id = t.id)::int AS messages
                     FROM s_team t WHERE team_no = 1`)
    ).rows[0];
    const median = (
      await c.query(`SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n)::int AS n
                     FROM (SELECT count(*) AS n FROM messages GROUP BY team_id) x`)
    ).rows[0];
    const byAccounts = (
      await c.query(`SELECT DISTINCT ON (n_acc) n_acc, id FROM s_team WHERE n_acc IN (5, 20, 100) ORDER BY n_acc, team_no`)
    ).rows as Array<{ n_acc: number; id: string }>;

    const { bytes, ...rowCounts } = counts;
    const manifest: DatasetManifest = {
      database: opts.database,
      url,
      scale: opts.scale,
      days: opts.days,
      end: endIso,
      seed,
      generatedSeconds: (performance.now() - started) / 1000,
      counts: rowCounts,
      messagesBytes: bytes,
      largestTeam: { id: largest.id, timezone: largest.tz, accounts: largest.n_acc, messages: largest.messages },
      medianTeamMessages: median.n,
      teamsByAccountCount: Object.fromEntries(byAccounts.map((r) => [String(r.n_acc), r.id])),
    };
    await c.query(`CREATE TABLE bench_manifest (manifest jsonb NOT NULL)`);
    await c.query(`INSERT INTO bench_manifest VALUES ($1)`, [JSON.stringify(manifest)]);
    log(`  generated ${opts.database} in ${manifest.generatedSeconds.toFixed(0)} s`);
    return manifest;
  } finally {
    await c.end();
  }
}

/** The manifest of an existing benchmark database, or null when it is missing or incomplete. */
export async function readManifest(adminUrl: string, name: string): Promise<DatasetManifest | null> {
  const c = new pg.Client({ connectionString: databaseUrl(adminUrl, name), application_name: 'bench:dataset' });
  try {
    await c.connect();
    const { rows } = await c.query<{ manifest: DatasetManifest }>(`SELECT manifest FROM bench_manifest LIMIT 1`);
    return rows[0]?.manifest ?? null;
  } catch {
    return null;
  } finally {
    await c.end().catch(() => {});
  }
}

export async function dropDataset(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
