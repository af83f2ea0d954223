import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { createScheduler, type Scheduler } from '../../src/jobs/scheduler.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { SnapshotService } from '../../src/snapshots/snapshot.service.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { capturingLogger, removeTeam, seedMessages, seedTeam } from '../support/jobs-fixtures.js';

const local = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toUTC().toISO()!;
const at = (iso: string) => new Date(iso);

/** Daily snapshot rows (team-wide) of a team: date → messages.total. */
async function dailyTotals(database: Database, teamId: string): Promise<Record<string, number>> {
  const rows = await database.rows<{ date: string; total: number }>(sql`
    SELECT date::text AS date, (metrics->'messages'->>'total')::int AS total FROM analytics_snapshots
    WHERE team_id = ${teamId} AND whatsapp_account_id IS NULL AND snapshot_type = 'Daily' ORDER BY date`);
  return Object.fromEntries(rows.map((r) => [r.date, r.total]));
}

describe.each(availableBackends())('scheduler with a fake clock on %s', (backend) => {
  let t: TestDatabase;
  let scheduler: Scheduler;
  const teams: Record<string, Awaited<ReturnType<typeof seedTeam>>> = {};
  const ZONES = { auckland: 'Pacific/Auckland', utc: 'UTC', la: 'America/Los_Angeles' } as const;

  beforeAll(async () => {
    t = await createTestDatabase({ backend });
    for (const [key, zone] of Object.entries(ZONES)) {
      const team = await seedTeam(t.database, { name: key, timezone: zone, accounts: 1 });
      teams[key] = team;
      // In the team's own calendar: one message late on 06-08, two on 06-09 (just after midnight and
      // late in the evening). A day taken in the wrong zone would count them differently.
      await seedMessages(t.database, team, [
        local('2026-06-08T23:30', zone),
        local('2026-06-09T00:30', zone),
        local('2026-06-09T23:30', zone),
      ]);
    }
  }, 180_000); // an embedded PGlite can take long to start on a busy machine
  afterAll(async () => {
    await scheduler?.stop();
    await t?.drop();
  });
  beforeEach(async () => {
    await scheduler?.stop();
    await t.database.rows(sql`DELETE FROM job_runs`);
    await t.database.rows(sql`DELETE FROM analytics_snapshots`);
    const { logger } = capturingLogger('warn');
    scheduler = createScheduler({
      database: t.database,
      snapshots: new SnapshotService({ database: t.database, logger, concurrency: 2 }),
      logger,
      metrics: createMetrics(),
      config: { refreshDays: 1, snapshotConcurrency: 2 },
      catchUpMs: 3600_000,
    });
  });

  it('each team gets its previous local day written when its own local 02:00 comes', async () => {
    const { auckland, utc, la } = teams as Required<typeof teams>;
    const db = t.database;

    // 2026-06-10 02:00 in Auckland (NZST, UTC+12) is 2026-06-09T14:00Z.
    expect(await scheduler.sweep(at('2026-06-09T13:59:59Z'))).toEqual([]);
    const [ak] = await scheduler.sweep(at('2026-06-09T14:00:00Z'));
    expect(ak).toMatchObject({ runKey: 'daily-analytics-snapshot:2026-06-10T02:00:00:Pacific/Auckland', status: 'succeeded', teamsTotal: 1 });
    expect(await dailyTotals(db, auckland!.id)).toEqual({ '2026-06-09': 2 });
    expect(await dailyTotals(db, utc!.id)).toEqual({});
    expect(await dailyTotals(db, la!.id)).toEqual({});
    const [row] = await db.rows<{ period: { start: string; end: string } }>(
      sql`SELECT metrics->'period' AS period FROM analytics_snapshots WHERE team_id = ${auckland!.id} AND whatsapp_account_id IS NULL`,
    );
    expect(row!.period).toEqual({ start: '2026-06-08T12:00:00.000Z', end: '2026-06-09T11:59:59.999Z' });
    expect(await scheduler.sweep(at('2026-06-09T14:30:00Z'))).toEqual([]); // recorded: not again

    // A team created meanwhile, in a zone no team had, is picked up without a restart:
    // 2026-06-10 02:00 in Tokyo (UTC+9) is 2026-06-09T17:00Z.
    const tokyo = await seedTeam(db, { name: 'tokyo', timezone: 'Asia/Tokyo', accounts: 1 });
    await seedMessages(db, tokyo, [local('2026-06-09T12:00', 'Asia/Tokyo')]);
    expect(await scheduler.sweep(at('2026-06-09T16:59:59Z'))).toEqual([]);
    const [tk] = await scheduler.sweep(at('2026-06-09T17:00:00Z'));
    expect(tk!.runKey).toBe('daily-analytics-snapshot:2026-06-10T02:00:00:Asia/Tokyo');
    expect(await dailyTotals(db, tokyo.id)).toEqual({ '2026-06-09': 1 });

    // UTC: 02:00Z.
    expect(await scheduler.sweep(at('2026-06-10T01:59:59Z'))).toEqual([]);
    const [u] = await scheduler.sweep(at('2026-06-10T02:00:00Z'));
    expect(u!.runKey).toBe('daily-analytics-snapshot:2026-06-10T02:00:00:UTC');
    expect(await dailyTotals(db, utc!.id)).toEqual({ '2026-06-09': 2 });
    expect(await dailyTotals(db, la!.id)).toEqual({});

    // Los Angeles (PDT, UTC−7): 09:00Z.
    expect(await scheduler.sweep(at('2026-06-10T08:59:59Z'))).toEqual([]);
    const [l] = await scheduler.sweep(at('2026-06-10T09:00:30Z'));
    expect(l!.runKey).toBe('daily-analytics-snapshot:2026-06-10T02:00:00:America/Los_Angeles');
    expect(await dailyTotals(db, la!.id)).toEqual({ '2026-06-09': 2 });

    // Every slot once, and the Auckland team was not rewritten by the later runs.
    const runs = await scheduler.runner.recentRuns(20);
    expect(runs.map((r) => r.runKey).sort()).toEqual([
      'daily-analytics-snapshot:2026-06-10T02:00:00:America/Los_Angeles',
      'daily-analytics-snapshot:2026-06-10T02:00:00:Asia/Tokyo',
      'daily-analytics-snapshot:2026-06-10T02:00:00:Pacific/Auckland',
      'daily-analytics-snapshot:2026-06-10T02:00:00:UTC',
    ]);
    expect(runs.every((r) => r.status === 'succeeded' && r.trigger === 'schedule')).toBe(true);
    for (const r of runs) expect(r.snapshotsWritten).toBe(2); // team-wide + one account, one day

    await removeTeam(db, tokyo.id);
  });

  it('an instance that was down at 02:00 catches up within the window, not after it', async () => {
    const { auckland } = teams as Required<typeof teams>;
    // 40 min after Auckland's slot: still run.
    const late = await scheduler.sweep(at('2026-06-09T14:40:00Z'));
    expect(late.map((r) => r.runKey)).toEqual(['daily-analytics-snapshot:2026-06-10T02:00:00:Pacific/Auckland']);
    expect(await dailyTotals(t.database, auckland!.id)).toEqual({ '2026-06-09': 2 });
    // The dates are those of the slot, not of the (later) moment it ran.
    expect(await scheduler.sweep(at('2026-06-10T15:30:00Z'))).toEqual([]); // 1.5 h after the next slot: missed
  });

  it('weekly at Monday 03:00 and monthly on the 1st at 04:00, local time', async () => {
    const { auckland, utc } = teams as Required<typeof teams>;
    // Monday 2026-06-01 03:00 NZST = 2026-05-31T15:00Z; 04:00 NZST = 16:00Z.
    const weekly = (await scheduler.sweep(at('2026-05-31T15:00:00Z'))).filter((r) => r.name === 'weekly-analytics-snapshot');
    expect(weekly.map((r) => r.runKey)).toEqual(['weekly-analytics-snapshot:2026-06-01T03:00:00:Pacific/Auckland']);
    const monthly = (await scheduler.sweep(at('2026-05-31T16:00:00Z'))).filter((r) => r.name === 'monthly-analytics-snapshot');
    expect(monthly.map((r) => r.runKey)).toEqual(['monthly-analytics-snapshot:2026-06-01T04:00:00:Pacific/Auckland']);
    const rows = await t.database.rows<{ team_id: string; type: string; date: string }>(sql`
      SELECT team_id, snapshot_type::text AS type, date::text AS date FROM analytics_snapshots
      WHERE snapshot_type <> 'Daily' AND whatsapp_account_id IS NULL ORDER BY type`);
    expect(rows).toEqual([
      { team_id: auckland!.id, type: 'Monthly', date: '2026-05-01' },
      { team_id: auckland!.id, type: 'Weekly', date: '2026-05-25' },
    ]);
    // UTC's Monday comes later.
    const utcWeekly = (await scheduler.sweep(at('2026-06-01T03:00:00Z'))).filter((r) => r.name === 'weekly-analytics-snapshot');
    expect(utcWeekly.map((r) => r.runKey)).toEqual(['weekly-analytics-snapshot:2026-06-01T03:00:00:UTC']);
    expect((await t.database.rows(sql`SELECT 1 FROM analytics_snapshots WHERE team_id = ${utc!.id} AND snapshot_type = 'Weekly'`)).length).toBe(2);
  });

  it('with a per-second schedule, croner fires the sweep; stop() waits for the run in flight and releases the lock', async () => {
    const { logger } = capturingLogger('warn');
    await scheduler.stop();
    scheduler = createScheduler({
      database: t.database,
      snapshots: new SnapshotService({ database: t.database, logger, concurrency: 2 }),
      logger,
      config: { refreshDays: 1, snapshotConcurrency: 2 },
      sweepPattern: '* * * * * *',
      schedules: { 'daily-analytics-snapshot': '* * * * * *' },
      jobs: ['daily-analytics-snapshot'],
      catchUpMs: 5_000,
    });
    scheduler.start();
    expect(scheduler.started).toBe(true);
    await new Promise((r) => setTimeout(r, 3_500));
    await scheduler.stop();
    const runs = await scheduler.runner.recentRuns(100);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.filter((r) => r.status !== 'succeeded').map((r) => [r.runKey, r.status, r.error])).toEqual([]);
    expect(new Set(runs.map((r) => r.runKey)).size).toBe(runs.length);
    // Nothing fires after stop(), and the lock is free.
    const n = runs.length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await scheduler.runner.recentRuns(100)).toHaveLength(n);
    const handle = await scheduler.runner.lock.acquire('daily-analytics-snapshot');
    expect(handle).not.toBeNull();
    await handle!.release();
  });
});
