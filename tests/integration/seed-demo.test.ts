import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { createLogger } from '../../src/logging/logger.js';
import { DemoDataGenerator } from '../../src/demo/demo-data.js';
import {
  DEMO_TEAM_ID,
  backfillDemoSnapshots,
  seedDemo,
  windowDates,
  windowPeriodDates,
  type SeedDemoResult,
} from '../../src/demo/seed-demo.js';
import { SnapshotService } from '../../src/snapshots/snapshot.service.js';
import { availableBackends, backendName, createTestDatabase, type TestDatabase } from '../support/db.js';

const NOW = new Date('2026-03-20T15:00:00.000Z');
const DAY = 86_400_000;
const HOUR = 3_600_000;

const one = async <T>(database: Database, query: ReturnType<typeof sql>): Promise<T> => (await database.rows<T>(query))[0]!;
const count = async (database: Database, query: ReturnType<typeof sql>): Promise<number> =>
  (await one<{ n: number }>(database, query)).n;

/** A digest of every seeded row, to compare two seedings. */
async function fingerprint(database: Database): Promise<string> {
  const r = await one<{ f: string }>(
    database,
    sql`SELECT md5(
          (SELECT string_agg(t::text, '|' ORDER BY t.id) FROM teams t) ||
          (SELECT string_agg(a::text, '|' ORDER BY a.id) FROM whatsapp_accounts a) ||
          (SELECT string_agg(c::text, '|' ORDER BY c.id) FROM contacts c) ||
          (SELECT string_agg(c::text, '|' ORDER BY c.id) FROM campaigns c) ||
          (SELECT string_agg(c::text, '|' ORDER BY c.id) FROM conversations c) ||
          (SELECT string_agg(m::text, '|' ORDER BY m.id) FROM messages m)) AS f`,
  );
  return r.f;
}

const observesDst = (zone: string) =>
  DateTime.fromObject({ year: 2026, month: 1, day: 15 }, { zone }).offset !== DateTime.fromObject({ year: 2026, month: 7, day: 15 }, { zone }).offset;

describe.each(availableBackends())('seedDemo on %s', (backend) => {
  let tdb: TestDatabase;
  let database: Database;
  let result: SeedDemoResult;

  beforeAll(async () => {
    tdb = await createTestDatabase({ backend });
    database = tdb.database;
    result = await seedDemo(database, { now: NOW, seed: 7 });
  }, 180_000);
  afterAll(async () => {
    await tdb?.drop();
  });

  it('seeds the fixed demo teams and reports the counts of what it inserted', async () => {
    expect(result.seeded).toBe(true);
    expect(result.firstTeamId).toBe(DEMO_TEAM_ID);
    expect(result.teamIds).toEqual([
      '11111111-1111-4111-8111-111111111111',
      '22222222-2222-4222-8222-222222222222',
      '33333333-3333-4333-8333-333333333333',
      '44444444-4444-4444-8444-444444444444',
    ]);
    expect(result.window).toEqual({ start: new Date(NOW.getTime() - 60 * DAY), end: NOW, days: 60 });
    const actual = await one<Record<string, number>>(
      database,
      sql`SELECT (SELECT count(*)::int FROM teams) AS teams,
                 (SELECT count(*)::int FROM whatsapp_accounts) AS "whatsappAccounts",
                 (SELECT count(*)::int FROM contacts) AS contacts,
                 (SELECT count(*)::int FROM contacts WHERE blocked_at IS NOT NULL) AS "blockedContacts",
                 (SELECT count(*)::int FROM conversations) AS conversations,
                 (SELECT count(*)::int FROM campaigns) AS campaigns,
                 (SELECT count(*)::int FROM messages) AS messages`,
    );
    expect(actual).toEqual(result.counts);
    // A few thousand to tens of thousands of messages: realistic, and quick to seed.
    expect(result.counts.messages).toBeGreaterThan(3000);
    expect(result.counts.messages).toBeLessThan(50_000);
  });

  it('has teams in at least three time zones, one with DST, each with two or three accounts', async () => {
    const teams = await database.rows<{ id: string; timezone: string; accounts: number }>(
      sql`SELECT t.id, t.timezone, count(a.id)::int AS accounts
          FROM teams t LEFT JOIN whatsapp_accounts a ON a.team_id = t.id GROUP BY t.id, t.timezone ORDER BY t.id`,
    );
    const zones = new Set(teams.map((t) => t.timezone));
    expect(zones.size).toBeGreaterThanOrEqual(3);
    expect([...zones].some(observesDst)).toBe(true);
    expect(teams.find((t) => t.id === DEMO_TEAM_ID)?.timezone).toBe('America/New_York');
    for (const t of teams) {
      expect(t.accounts).toBeGreaterThanOrEqual(2);
      expect(t.accounts).toBeLessThanOrEqual(3);
    }
  });

  it('has about 60 days of traffic ending now, every day, with every message status', async () => {
    const span = await one<{ first: Date; last: Date; days: number }>(
      database,
      sql`SELECT min(created_at) AS first, max(created_at) AS last,
                 count(DISTINCT (created_at AT TIME ZONE 'UTC')::date)::int AS days FROM messages`,
    );
    expect(new Date(span.first).getTime()).toBeGreaterThanOrEqual(NOW.getTime() - 60 * DAY);
    expect(new Date(span.first).getTime()).toBeLessThan(NOW.getTime() - 58 * DAY);
    expect(new Date(span.last).getTime()).toBeLessThanOrEqual(NOW.getTime());
    expect(new Date(span.last).getTime()).toBeGreaterThan(NOW.getTime() - 2 * HOUR);
    expect(span.days).toBeGreaterThanOrEqual(60);

    const byStatus = Object.fromEntries(
      (
        await database.rows<{ k: string; n: number }>(
          sql`SELECT direction || ':' || status AS k, count(*)::int AS n FROM messages GROUP BY 1`,
        )
      ).map((r) => [r.k, r.n]),
    );
    expect(Object.keys(byStatus).sort()).toEqual(
      ['inbound:received', 'outbound:delivered', 'outbound:failed', 'outbound:pending', 'outbound:read', 'outbound:sent'].sort(),
    );
    const outbound = Object.entries(byStatus).filter(([k]) => k.startsWith('outbound')).reduce((s, [, n]) => s + n, 0);
    const share = (k: string) => byStatus[k]! / outbound;
    expect(share('outbound:failed')).toBeGreaterThan(0.01);
    expect(share('outbound:failed')).toBeLessThan(0.1);
    expect(share('outbound:pending')).toBeLessThan(0.02);
    expect(share('outbound:read') + share('outbound:delivered')).toBeGreaterThan(0.6);
    expect(byStatus['inbound:received']! / (outbound + byStatus['inbound:received']!)).toBeGreaterThan(0.25);
  });

  it('keeps every row consistent: scopes match, nothing before a contact exists or after it blocked', async () => {
    expect(
      await count(
        database,
        sql`SELECT count(*)::int AS n FROM messages m
            JOIN conversations c ON c.id = m.conversation_id
            JOIN contacts k ON k.id = m.contact_id
            WHERE c.contact_id <> m.contact_id OR c.team_id <> m.team_id OR c.whatsapp_account_id <> m.whatsapp_account_id
               OR k.team_id <> m.team_id OR k.whatsapp_account_id <> m.whatsapp_account_id
               OR m.created_at < k.created_at OR m.created_at >= coalesce(k.blocked_at, 'infinity')
               OR m.created_at < c.opened_at OR m.created_at > ${NOW.toISOString()}::timestamptz
               OR (m.direction = 'inbound') <> (m.status = 'received')`,
      ),
    ).toBe(0);
    expect(
      await count(
        database,
        sql`SELECT count(*)::int AS n FROM whatsapp_accounts a JOIN teams t ON t.id = a.team_id
            WHERE a.created_at < t.created_at`,
      ),
    ).toBe(0);
    // Phone numbers are unique within a team.
    expect(
      await count(database, sql`SELECT count(*)::int AS n FROM (SELECT team_id, phone_number FROM contacts GROUP BY 1, 2 HAVING count(*) > 1) d`),
    ).toBe(0);
  });

  it('has contacts created during the window and a few blocked ones', async () => {
    const c = await one<{ total: number; created_in_window: number; blocked: number; blocked_in_window: number; bad_block: number }>(
      database,
      sql`SELECT count(*)::int AS total,
                 count(*) FILTER (WHERE created_at >= ${result.window.start.toISOString()}::timestamptz)::int AS created_in_window,
                 count(*) FILTER (WHERE blocked_at IS NOT NULL)::int AS blocked,
                 count(*) FILTER (WHERE blocked_at >= ${result.window.start.toISOString()}::timestamptz)::int AS blocked_in_window,
                 count(*) FILTER (WHERE blocked_at < created_at OR blocked_at > ${NOW.toISOString()}::timestamptz)::int AS bad_block
          FROM contacts`,
    );
    expect(c.created_in_window).toBeGreaterThan(c.total * 0.1);
    expect(c.created_in_window).toBeLessThan(c.total * 0.5);
    expect(c.blocked).toBeGreaterThanOrEqual(3);
    expect(c.blocked).toBeLessThan(c.total * 0.15);
    expect(c.blocked_in_window).toBeGreaterThan(0);
    expect(c.bad_block).toBe(0);
  });

  it('has open and closed conversations, closed ones after their last message', async () => {
    const c = await one<{ open: number; closed: number; inconsistent: number; empty: number }>(
      database,
      sql`SELECT count(*) FILTER (WHERE status = 'open')::int AS open,
                 count(*) FILTER (WHERE status = 'closed')::int AS closed,
                 count(*) FILTER (WHERE (status = 'closed') <> (closed_at IS NOT NULL)
                                     OR closed_at < (SELECT max(m.created_at) FROM messages m WHERE m.conversation_id = c.id)
                                     OR closed_at > ${NOW.toISOString()}::timestamptz)::int AS inconsistent,
                 count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id))::int AS empty
          FROM conversations c`,
    );
    expect(c.open).toBeGreaterThan(0);
    expect(c.closed).toBeGreaterThan(c.open);
    expect(c.inconsistent).toBe(0);
    expect(c.empty).toBe(0);
  });

  it('has campaigns of several statuses with consistent times, recipients and messages', async () => {
    const rows = await database.rows<{
      status: string;
      started_at: Date | null;
      finished_at: Date | null;
      total_recipients: number;
      messages: number;
      failed: number;
      outside: number;
    }>(sql`
      SELECT c.status, c.started_at, c.finished_at, c.total_recipients,
             count(m.id)::int AS messages,
             count(m.id) FILTER (WHERE m.status = 'failed')::int AS failed,
             count(m.id) FILTER (WHERE m.direction <> 'outbound' OR m.created_at < c.started_at
                                   OR m.created_at > coalesce(c.finished_at, 'infinity'))::int AS outside
      FROM campaigns c LEFT JOIN messages m ON m.campaign_id = c.id
      GROUP BY c.id`);
    const statuses = new Set(rows.map((r) => r.status));
    for (const s of ['running', 'completed', 'failed', 'cancelled', 'draft']) expect(statuses).toContain(s);
    for (const r of rows) {
      expect(r.outside).toBe(0);
      expect(r.messages).toBeLessThanOrEqual(r.total_recipients);
      if (r.status === 'draft' || r.status === 'scheduled') {
        expect([r.started_at, r.finished_at, r.messages]).toEqual([null, null, 0]);
      } else {
        expect(r.started_at).not.toBeNull();
        expect(r.messages).toBeGreaterThan(0);
      }
      if (r.status === 'running' || r.status === 'paused') expect(r.finished_at).toBeNull();
      if (['completed', 'failed', 'cancelled'].includes(r.status)) {
        expect(new Date(r.finished_at!).getTime()).toBeGreaterThanOrEqual(new Date(r.started_at!).getTime());
      }
      if (r.status === 'completed') expect(r.messages).toBe(r.total_recipients);
    }
    // Failed campaigns fail far more of their messages than completed ones.
    const rate = (s: string) => {
      const of = rows.filter((r) => r.status === s);
      return of.reduce((a, r) => a + r.failed, 0) / of.reduce((a, r) => a + r.messages, 0);
    };
    expect(rate('failed')).toBeGreaterThan(rate('completed') * 3);
  });

  it('has replies: inbound answers to outbound messages within minutes or hours, and some after more than 24 h', async () => {
    const r = await one<{ accepted: number; within_hour: number; within_day: number; late: number }>(
      database,
      sql`WITH ordered AS (
            SELECT direction, status, created_at,
                   lead(direction) OVER w AS next_direction, lead(created_at) OVER w AS next_at
            FROM messages WINDOW w AS (PARTITION BY conversation_id ORDER BY created_at, id))
          SELECT count(*) FILTER (WHERE status IN ('sent', 'delivered', 'read'))::int AS accepted,
                 count(*) FILTER (WHERE next_direction = 'inbound' AND next_at - created_at <= interval '1 hour')::int AS within_hour,
                 count(*) FILTER (WHERE next_direction = 'inbound' AND next_at - created_at <= interval '24 hours')::int AS within_day,
                 count(*) FILTER (WHERE next_direction = 'inbound' AND next_at - created_at > interval '24 hours')::int AS late
          FROM ordered WHERE direction = 'outbound'`,
    );
    expect(r.within_hour).toBeGreaterThan(0);
    expect(r.within_day).toBeGreaterThan(r.within_hour);
    expect(r.late).toBeGreaterThan(0);
    expect(r.late).toBeLessThan(r.within_day);
    expect(r.within_day / r.accepted).toBeGreaterThan(0.1);
    expect(r.within_day / r.accepted).toBeLessThan(0.8);
  });

  it('does not insert again into a database that has teams', async () => {
    const before = await fingerprint(database);
    const again = await seedDemo(database, { now: new Date(), seed: 99 });
    expect(again.seeded).toBe(false);
    expect(again.firstTeamId).toBe(DEMO_TEAM_ID);
    expect(again.teamIds).toHaveLength(4);
    expect(Object.values(again.counts).every((n) => n === 0)).toBe(true);
    expect(await fingerprint(database)).toBe(before);
  });
});

describe(`seedDemo determinism and backfill (${backendName()})`, () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const d of dbs) await d.drop();
  });

  it('gives the same rows, ids included, for the same seed and now; other data for another seed', async () => {
    const [a, b, c] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
    dbs.push(a!, b!, c!);
    const [ra, rb, rc] = await Promise.all([
      seedDemo(a!.database, { now: NOW, seed: 42, days: 14 }),
      seedDemo(b!.database, { now: NOW, seed: 42, days: 14 }),
      seedDemo(c!.database, { now: NOW, seed: 43, days: 14 }),
    ]);
    expect(rb.counts).toEqual(ra.counts);
    expect(await fingerprint(b!.database)).toBe(await fingerprint(a!.database));
    expect(await fingerprint(c!.database)).not.toBe(await fingerprint(a!.database));
    expect(rc.teamIds).toEqual(ra.teamIds); // team ids are fixed whatever the seed
    // The in-memory generator agrees with what was inserted.
    expect(new DemoDataGenerator({ now: NOW, seed: 42, days: 14 }).generate().counts()).toEqual(ra.counts);
  }, 120_000);

  it('backfills Daily snapshots for every local day of the window, Weekly and Monthly for the periods covering it', async () => {
    const tdb = await createTestDatabase();
    dbs.push(tdb);
    const seeded = await seedDemo(tdb.database, { now: NOW, seed: 5, days: 10 });
    const service = new SnapshotService({ database: tdb.database, logger: createLogger('silent'), concurrency: 2 });
    const results = await backfillDemoSnapshots(service, seeded);
    expect(results.map((r) => [r.type, r.failed])).toEqual([
      ['Daily', []],
      ['Weekly', []],
      ['Monthly', []],
    ]);

    const teams = await tdb.database.rows<{ id: string; timezone: string; accounts: number }>(
      sql`SELECT t.id, t.timezone, (SELECT count(*)::int FROM whatsapp_accounts a WHERE a.team_id = t.id) AS accounts FROM teams t`,
    );
    for (const type of ['Daily', 'Weekly', 'Monthly'] as const) {
      let expected = 0;
      for (const team of teams) {
        const dates = windowPeriodDates(seeded.window, team.timezone, type);
        expected += dates.length * (1 + team.accounts);
        const got = await tdb.database.rows<{ date: string }>(
          sql`SELECT DISTINCT date::text AS date FROM analytics_snapshots
              WHERE team_id = ${team.id} AND snapshot_type = ${type} AND whatsapp_account_id IS NULL ORDER BY 1`,
        );
        expect(got.map((r) => r.date)).toEqual([...dates].sort());
      }
      expect(results.find((r) => r.type === type)!.written).toBe(expected);
    }
    // The window's 10 days ending 2026-03-20 15:00Z cover 11 local days in New York, Mondays 03-09 and 03-16, and March.
    expect(windowDates(seeded.window, 'America/New_York')).toEqual(
      Array.from({ length: 11 }, (_, i) => `2026-03-${String(10 + i).padStart(2, '0')}`),
    );
    expect(windowPeriodDates(seeded.window, 'Asia/Kolkata', 'Weekly')).toEqual(['2026-03-09', '2026-03-16']);
    expect(windowPeriodDates(seeded.window, 'Europe/Berlin', 'Monthly')).toEqual(['2026-03-01']);
  }, 120_000);
});
