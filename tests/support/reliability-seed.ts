/**
 * Data for the reliability suite: many teams with realistic-looking traffic (accounts, contacts,
 * conversations, campaigns, messages over the last `days` days and today), generated inside Postgres
 * in a handful of set-based statements, plus the Daily snapshots of the complete days and signed
 * tokens per team. Deterministic shape, random ids (gen_random_uuid), so it never collides with
 * other data in the same database (the demo teams have fixed ids).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { secretKey, signToken, type Role } from '../../src/auth/jwt.js';
import type { Database } from '../../src/db/client.js';
import { seedDemo } from '../../src/demo/seed-demo.js';
import { completeDays } from '../../src/metrics/periods.js';
import { SnapshotService } from '../../src/snapshots/snapshot.service.js';
import { RELIABILITY_JWT_SECRET } from './reliability-gateway.js';

export const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney', 'America/Los_Angeles'] as const;

export interface SeededTeam {
  id: string;
  name: string;
  timezone: string;
  accounts: string[];
}

export interface SeedOptions {
  teams: number;
  /** Days of history before today (messages every day, and today so far). */
  days?: number;
  contactsPerAccount?: number;
  messagesPerConversation?: number;
  /** Prefix of team names (to find them again). */
  prefix?: string;
}

/** Runs statements on one connection of `url`. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Seeds `teams` teams with 1–3 accounts each and traffic; returns them with their account ids. */
export async function seedTeams(url: string, opts: SeedOptions): Promise<SeededTeam[]> {
  const days = opts.days ?? 35;
  const contacts = opts.contactsPerAccount ?? 12;
  const perConversation = opts.messagesPerConversation ?? 8;
  const prefix = opts.prefix ?? 'Reliability team';
  return withClient(url, async (c) => {
    await c.query('BEGIN');
    const { rows: teams } = await c.query<{ id: string; name: string; timezone: string }>(
      `INSERT INTO teams (id, name, timezone, created_at)
       SELECT gen_random_uuid(), $1 || ' ' || i, ($2::text[])[1 + i % array_length($2::text[], 1)], now() - interval '400 days'
       FROM generate_series(1, $3::int) i
       RETURNING id::text, name, timezone`,
      [prefix, ZONES, opts.teams],
    );
    const ids = teams.map((t) => t.id);
    await c.query(
      `INSERT INTO whatsapp_accounts (id, team_id, phone_number, display_name, created_at)
       SELECT gen_random_uuid(), t.id, '+1555' || lpad((100000 * a + (abs(hashtext(t.id::text)) % 100000))::text, 7, '0'),
              CASE WHEN a = 2 THEN NULL ELSE t.name || ' account ' || a END, now() - interval '400 days'
       FROM teams t CROSS JOIN LATERAL generate_series(1, 1 + abs(hashtext(t.id::text)) % 3) a
       WHERE t.id = ANY($1::uuid[])`,
      [ids],
    );
    await c.query(
      `INSERT INTO contacts (id, team_id, whatsapp_account_id, phone_number, name, created_at, blocked_at)
       SELECT gen_random_uuid(), w.team_id, w.id, '+4477' || lpad(n::text, 6, '0'), 'Contact ' || n,
              now() - (random() * 200 + 1) * interval '1 day',
              CASE WHEN n % 17 = 0 THEN now() - random() * interval '20 days' END
       FROM whatsapp_accounts w CROSS JOIN generate_series(1, $2::int) n
       WHERE w.team_id = ANY($1::uuid[])`,
      [ids, contacts],
    );
    await c.query(
      `INSERT INTO conversations (id, team_id, whatsapp_account_id, contact_id, status, opened_at, closed_at)
       SELECT gen_random_uuid(), k.team_id, k.whatsapp_account_id, k.id,
              CASE WHEN r < 0.6 THEN 'closed'::conversation_status ELSE 'open'::conversation_status END,
              now() - ($2::int + 1) * interval '1 day',
              CASE WHEN r < 0.6 THEN now() - r * interval '5 days' END
       FROM (SELECT *, random() AS r FROM contacts WHERE team_id = ANY($1::uuid[])) k`,
      [ids, days],
    );
    await c.query(
      `INSERT INTO campaigns (id, team_id, whatsapp_account_id, name, status, total_recipients, started_at, finished_at, created_at)
       SELECT gen_random_uuid(), w.team_id, w.id, 'Campaign ' || n,
              (ARRAY['completed','running','failed','completed','draft']::campaign_status[])[1 + n % 5],
              50 + n * 10,
              CASE WHEN n % 5 = 4 THEN NULL ELSE now() - (n * 6) * interval '1 day' END,
              CASE WHEN n % 5 IN (0, 2, 3) THEN now() - (n * 6 - 2) * interval '1 day' END,
              now() - (n * 6 + 1) * interval '1 day'
       FROM whatsapp_accounts w CROSS JOIN generate_series(0, 4) n
       WHERE w.team_id = ANY($1::uuid[])`,
      [ids],
    );
    // Messages: every conversation gets `perConversation` messages spread over the history, and one
    // exchange earlier today (so real-time metrics have something to count).
    await c.query(
      `INSERT INTO messages (id, team_id, whatsapp_account_id, conversation_id, contact_id, campaign_id, direction, status, created_at)
       SELECT gen_random_uuid(), v.team_id, v.whatsapp_account_id, v.id, v.contact_id,
              CASE WHEN m % 4 = 1 THEN (SELECT id FROM campaigns p WHERE p.whatsapp_account_id = v.whatsapp_account_id ORDER BY p.id LIMIT 1) END,
              CASE WHEN m % 2 = 0 THEN 'inbound'::message_direction ELSE 'outbound'::message_direction END,
              CASE WHEN m % 2 = 0 THEN 'received'::message_status
                   ELSE (ARRAY['sent','delivered','read','read','failed','delivered']::message_status[])[1 + (m + abs(hashtext(v.id::text))) % 6] END,
              CASE WHEN m >= $3::int THEN date_trunc('hour', now()) - interval '1 minute' * (2 * $3::int + 2 - m)
                   ELSE now() - ($2::int - ($2::int * m / $3::int)) * interval '1 day' + random() * interval '20 hours' - interval '22 hours' END
       FROM conversations v CROSS JOIN generate_series(0, $3::int + 1) m
       WHERE v.team_id = ANY($1::uuid[])`,
      [ids, days, perConversation],
    );
    const { rows: accounts } = await c.query<{ team_id: string; id: string }>(
      `SELECT team_id::text, id::text FROM whatsapp_accounts WHERE team_id = ANY($1::uuid[]) ORDER BY created_at, id`,
      [ids],
    );
    await c.query('COMMIT');
    await c.query('ANALYZE');
    return teams.map((t) => ({ ...t, accounts: accounts.filter((a) => a.team_id === t.id).map((a) => a.id) }));
  });
}

/**
 * The demo data (src/demo/seed-demo.ts: four teams in four time zones, realistic traffic) plus
 * `extraTeams` generated teams, with the Daily snapshots of the last `days` complete local days of
 * every team. The database must be empty (the demo seeds only an empty one).
 */
export async function seedRealistic(
  database: Database,
  url: string,
  opts: { extraTeams: number; days?: number },
): Promise<{ teams: SeededTeam[]; snapshotsWritten: number; rows: Record<string, number> }> {
  const days = opts.days ?? 35;
  const demo = await seedDemo(database, { days });
  if (!demo.seeded) throw new Error('seedRealistic needs an empty database');
  const extra = opts.extraTeams > 0 ? await seedTeams(url, { teams: opts.extraTeams, days }) : [];
  const demoTeams = await withClient(url, async (c) => {
    const { rows } = await c.query<{ id: string; name: string; timezone: string; accounts: string[] }>(
      `SELECT t.id::text, t.name, t.timezone, array_agg(w.id::text ORDER BY w.created_at, w.id) AS accounts
       FROM teams t JOIN whatsapp_accounts w ON w.team_id = t.id WHERE t.id = ANY($1::uuid[]) GROUP BY t.id ORDER BY t.id`,
      [demo.teamIds],
    );
    return rows;
  });
  const teams = [...demoTeams, ...extra];
  const service = new SnapshotService({ database, logger: pino({ level: 'silent' }), concurrency: 4 });
  const r = await service.generate({ teamIds: teams.map((t) => t.id), type: 'Daily', dates: (zone) => completeDays(days, zone).dates });
  if (r.failed.length) throw new Error(`seeding snapshots failed: ${JSON.stringify(r.failed.slice(0, 3))}`);
  const rows = await withClient(url, async (c) => {
    const out: Record<string, number> = {};
    for (const t of ['teams', 'whatsapp_accounts', 'contacts', 'conversations', 'campaigns', 'messages', 'analytics_snapshots']) {
      out[t] = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]!.n;
    }
    return out;
  });
  return { teams, snapshotsWritten: r.written, rows };
}

/** Daily snapshots of the last `days` complete local days of `teams` (written in-process). */
export async function writeDailySnapshots(database: Database, teams: SeededTeam[], days: number): Promise<number> {
  const service = new SnapshotService({ database, logger: pino({ level: 'silent' }), concurrency: 4 });
  const r = await service.generate({ teamIds: teams.map((t) => t.id), type: 'Daily', dates: (zone) => completeDays(days, zone).dates });
  if (r.failed.length) throw new Error(`writing snapshots failed: ${JSON.stringify(r.failed.slice(0, 3))}`);
  return r.written;
}

export interface TeamToken {
  team: SeededTeam;
  token: string;
  role: Role;
}

/** One token per team (admin for even teams, member for odd ones), valid for `hours`. */
export async function tokensFor(teams: SeededTeam[], opts: { secret?: string; hours?: number } = {}): Promise<TeamToken[]> {
  const key = secretKey(opts.secret ?? RELIABILITY_JWT_SECRET);
  return Promise.all(
    teams.map(async (team, i) => {
      const role: Role = i % 2 === 0 ? 'admin' : 'member';
      return { team, role, token: await signToken({ teamId: team.id, role }, key, { expiresInSeconds: (opts.hours ?? 12) * 3600 }) };
    }),
  );
}

/** Row count and content checksum of every table of the database's own schemas (public, drizzle). */
export async function databaseFingerprint(url: string): Promise<Record<string, { rows: number; md5: string }>> {
  return withClient(url, async (c) => {
    const { rows: tables } = await c.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
    );
    const out: Record<string, { rows: number; md5: string }> = {};
    for (const t of tables) {
      const q = `"${t.schema}"."${t.name}"`;
      const { rows } = await c.query<{ n: number; md5: string | null }>(
        `SELECT count(*)::int AS n, md5(coalesce(string_agg(md5(x::text), '' ORDER BY md5(x::text)), '')) AS md5 FROM ${q} x`,
      );
      out[`${t.schema}.${t.name}`] = { rows: rows[0]!.n, md5: rows[0]!.md5 ?? '' };
    }
    return out;
  });
}

/** A short stable hash (for report figures such as "corpus seed"). */
export const shortHash = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 10);
