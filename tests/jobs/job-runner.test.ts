import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JobRunner, runJobOnce, type JobRunnerDeps } from '../../src/jobs/job-runner.js';
import { JobBusyError, UnknownJobError } from '../../src/jobs/jobs.js';
import { completeDays } from '../../src/metrics/periods.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { SnapshotService } from '../../src/snapshots/snapshot.service.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { LEVEL, breakTeam, capturingLogger, removeTeam, seedTeam, unbreak } from '../support/jobs-fixtures.js';

type Team = Awaited<ReturnType<typeof seedTeam>>;

describe.each(availableBackends())('job runner on %s', (backend) => {
  let t: TestDatabase;
  let a: Team; // UTC, 2 accounts
  let b: Team; // Europe/Berlin, 1 account
  let c: Team; // UTC, 1 account

  beforeAll(async () => {
    t = await createTestDatabase({ backend });
    a = await seedTeam(t.database, { name: 'A', timezone: 'UTC', accounts: 2 });
    b = await seedTeam(t.database, { name: 'B', timezone: 'Europe/Berlin', accounts: 1 });
    c = await seedTeam(t.database, { name: 'C', timezone: 'UTC', accounts: 1 });
  }, 180_000); // an embedded PGlite can take long to start on a busy machine
  afterAll(async () => t?.drop());
  beforeEach(async () => {
    await unbreak(t.database);
    await t.database.rows(sql`DELETE FROM job_runs`);
    await t.database.rows(sql`DELETE FROM analytics_snapshots`);
    const extra = await t.database.rows<{ id: string }>(sql`SELECT id FROM teams WHERE name LIKE 'extra-%'`);
    for (const { id } of extra) await removeTeam(t.database, id);
  });

  function setup(overrides: Partial<JobRunnerDeps> = {}) {
    const { logger, lines } = capturingLogger();
    const metrics = createMetrics();
    const sleeps: number[] = [];
    const snapshots = new SnapshotService({ database: t.database, logger, concurrency: 2 });
    const deps: JobRunnerDeps = {
      database: t.database,
      snapshots,
      logger,
      metrics,
      config: { refreshDays: 2, snapshotConcurrency: 2 },
      sleep: async (ms) => void sleeps.push(ms),
      ...overrides,
    };
    // Runners made from `deps` share one lock, as the scheduler and triggerJob of one process do.
    const runner = new JobRunner(deps);
    deps.lock = runner.lock;
    return { runner, deps, lines, metrics, sleeps, snapshots };
  }

  const snapshotCount = async (teamId: string, type = 'Daily') =>
    (await t.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM analytics_snapshots WHERE team_id = ${teamId} AND snapshot_type = ${type}`))[0]!.n;

  it('a manual run writes every team’s last refreshDays local days, team-wide and per account, and records the run', async () => {
    const { runner, lines, metrics } = setup();
    const run = await runner.trigger('daily-analytics-snapshot');
    expect(run).toMatchObject({
      name: 'daily-analytics-snapshot',
      trigger: 'manual',
      status: 'succeeded',
      teamsTotal: 3,
      teamsFailed: 0,
      failedTeams: [],
      error: null,
      snapshotsWritten: (3 + 2 + 2) * 2,
    });
    expect(run.runKey).toMatch(/^daily-analytics-snapshot:manual:\d{4}-\d\d-\d\dT[\d:.]+Z:[0-9a-f]{8}$/);
    expect(run.finishedAt!.getTime()).toBeGreaterThanOrEqual(run.startedAt.getTime());
    // Each team's own last two complete local days.
    const berlinDays = completeDays(2, 'Europe/Berlin').dates;
    const rows = await t.database.rows<{ date: string }>(
      sql`SELECT date::text AS date FROM analytics_snapshots WHERE team_id = ${b.id} AND whatsapp_account_id IS NULL ORDER BY date`,
    );
    expect(rows.map((r) => r.date)).toEqual(berlinDays);
    expect(await snapshotCount(a.id)).toBe(6);
    expect(await runner.recentRuns(5)).toEqual([run]);
    // Metrics and an INFO line for the success.
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/analytics_job_runs_total\{job="daily-analytics-snapshot",status="succeeded"\} 1/);
    expect(text).toMatch(/analytics_job_duration_seconds_count\{job="daily-analytics-snapshot",status="succeeded"\} 1/);
    expect(lines.some((l) => l.level === LEVEL.info && l.msg === 'job run succeeded' && l.snapshotsWritten === 14)).toBe(true);
  });

  it('a team whose generation fails is retried with backoff, recorded, and the others are written: partial', async () => {
    await breakTeam(t.database, b.id, 'boom: broken account row');
    const { runner, lines, metrics, sleeps } = setup();
    const run = await runner.trigger('daily-analytics-snapshot');
    expect(run.status).toBe('partial');
    expect(run.teamsTotal).toBe(3);
    expect(run.teamsFailed).toBe(1);
    expect(run.failedTeams).toEqual([{ teamId: b.id, teamName: 'B', attempts: 3, error: expect.any(String) }]);
    // The reason is kept readable: the cause when the service passes it on, never a parameter dump.
    expect(run.failedTeams[0]!.error).toMatch(/boom: broken account row/);
    expect(run.failedTeams[0]!.error.length).toBeLessThanOrEqual(500);
    expect(run.snapshotsWritten).toBe((3 + 2) * 2);
    expect(await snapshotCount(a.id)).toBe(6);
    expect(await snapshotCount(c.id)).toBe(4);
    expect(await snapshotCount(b.id)).toBe(0);
    // 3 attempts: waits of 1 s, then 2 s between them; WARN per retry, ERROR once it gives up.
    expect(sleeps).toEqual([1000, 2000]);
    const retries = lines.filter((l) => l.level === LEVEL.warn && l.msg === 'team snapshots failed; retrying');
    expect(retries.map((l) => [l.teamId, l.attempt])).toEqual([
      [b.id, 1],
      [b.id, 2],
    ]);
    expect(lines.some((l) => l.level === LEVEL.error && l.teamId === b.id && /failed after 3 attempts/.test(l.msg))).toBe(true);
    expect(await metrics.registry.metrics()).toMatch(/analytics_job_runs_total\{job="daily-analytics-snapshot",status="partial"\} 1/);
    // The stored row says the same.
    expect((await runner.store.get(run.id))!.failedTeams[0]!.teamId).toBe(b.id);
  });

  it('a Daily run prunes old stored activity of its teams and refreshes the closures of those it wrote; failures only log warnings', async () => {
    await breakTeam(t.database, b.id, 'boom: broken account row');
    const refreshed: string[][] = [];
    const pruned: Array<{ ids: string[]; before: string }> = [];
    const activity = {
      prune: async (ids: readonly string[], before: string) => (pruned.push({ ids: [...ids].sort(), before }), 0),
      refreshClosures: async (ids: readonly string[]) => (refreshed.push([...ids]), 0),
    };
    const { runner } = setup({ activity, now: () => new Date('2026-03-11T12:00:00Z') });
    expect((await runner.trigger('daily-analytics-snapshot')).status).toBe('partial');
    expect(refreshed.map((ids) => ids.sort())).toEqual([[a.id, c.id].sort()]); // not the team that failed
    // Every team of the batch; 2 × 365 days before the UTC date, and 2 more for the time zones.
    expect(pruned).toEqual([{ ids: [a.id, b.id, c.id].sort(), before: '2024-03-09' }]);
    await unbreak(t.database);
    await runner.trigger('weekly-analytics-snapshot');
    expect(refreshed).toHaveLength(1); // Weekly runs write no day rows
    expect(pruned).toHaveLength(1);

    const down = (what: string) => async () => Promise.reject(new Error(`${what} down`));
    const failing = setup({ activity: { prune: down('prune'), refreshClosures: down('refresh') } });
    expect((await failing.runner.trigger('daily-analytics-snapshot')).status).toBe('succeeded');
    const warned = (re: RegExp) => failing.lines.some((l) => l.level === LEVEL.warn && re.test(l.msg));
    expect(warned(/could not delete old stored activity/)).toBe(true);
    expect(warned(/could not refresh stored closures/)).toBe(true);
  });

  it('a team that fails once and then works is written on the retry: succeeded', async () => {
    const { deps, snapshots, sleeps } = setup();
    let calls = 0;
    const flaky = {
      generate: async (opts: Parameters<SnapshotService['generate']>[0]) => {
        if (calls++ === 0) {
          await breakTeam(t.database, c.id, 'transient');
          try {
            return await snapshots.generate(opts);
          } finally {
            await unbreak(t.database);
          }
        }
        return snapshots.generate(opts);
      },
    };
    const r2 = new JobRunner({ ...deps, snapshots: flaky });
    const run = await r2.trigger('daily-analytics-snapshot');
    expect(run.status).toBe('succeeded');
    expect(sleeps).toEqual([1000]);
    expect(await snapshotCount(c.id)).toBe(4);
  });

  it('a team with an invalid time zone is recorded as failed (not retried) and the others are written', async () => {
    const bad = await seedTeam(t.database, { name: 'extra-mars', timezone: 'Mars/Olympus_Mons', accounts: 1 });
    const { runner } = setup();
    const run = await runner.trigger('weekly-analytics-snapshot');
    expect(run.status).toBe('partial');
    expect(run.failedTeams).toEqual([
      { teamId: bad.id, teamName: 'extra-mars', attempts: 0, error: 'unknown time zone "Mars/Olympus_Mons" (teams.timezone must be an IANA name)' },
    ]);
    expect(await snapshotCount(a.id, 'Weekly')).toBe(3);
  });

  it('every team failing makes the run failed, with the first error', async () => {
    await t.database.rows(sql.raw(`CREATE OR REPLACE FUNCTION jobs_test_break() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$`));
    await t.database.rows(sql.raw(`CREATE TRIGGER jobs_test_break BEFORE INSERT OR UPDATE ON analytics_snapshots FOR EACH ROW EXECUTE FUNCTION jobs_test_break()`));
    const { runner, lines } = setup({ retry: { attempts: 1 } });
    const run = await runner.trigger('monthly-analytics-snapshot');
    expect(run.status).toBe('failed');
    expect(run.teamsFailed).toBe(3);
    expect(run.error).toMatch(/^every team failed; first: .*disk full/);
    const err = lines.find((l) => l.level === LEVEL.error && l.msg === 'job run failed');
    expect(err?.err?.stack).toBeTruthy();
  });

  it('a run whose snapshot writing itself throws is retried, then recorded as failed with the error (stack logged)', async () => {
    const { deps, lines, sleeps, metrics } = setup();
    const broken = { generate: async () => Promise.reject(new Error('connection refused')) };
    const r2 = new JobRunner({ ...deps, snapshots: broken });
    const run = await r2.trigger('daily-analytics-snapshot');
    expect(run).toMatchObject({ status: 'failed', error: 'connection refused', teamsTotal: 3, teamsFailed: 3 });
    expect(sleeps).toEqual([1000, 2000]);
    const err = lines.find((l) => l.level === LEVEL.error && /^job run failed/.test(l.msg));
    expect(err?.err?.stack).toContain('connection refused');
    expect(await metrics.registry.metrics()).toMatch(/analytics_job_runs_total\{job="daily-analytics-snapshot",status="failed"\} 1/);
  });

  it('an unknown job name is refused with the allowed names, and nothing is recorded', async () => {
    const { runner } = setup();
    await expect(runner.trigger('hourly-analytics-snapshot')).rejects.toBeInstanceOf(UnknownJobError);
    await expect(runner.trigger('nope')).rejects.toThrow(/expected one of daily-analytics-snapshot, weekly-analytics-snapshot, monthly-analytics-snapshot/);
    expect(await runner.recentRuns(10)).toEqual([]);
  });

  it('a manual run in the background returns its running row at once and finishes on its own', async () => {
    const { runner } = setup();
    const started = await runner.trigger('daily-analytics-snapshot', { background: true });
    expect(started.status).toBe('running');
    await runner.idle();
    expect(await runner.store.get(started.id)).toMatchObject({ status: 'succeeded', snapshotsWritten: 14 });
  });

  it('a manual run takes the same lock as scheduled runs: busy → JobBusyError, or it waits when asked', async () => {
    const { runner } = setup();
    const handle = (await runner.lock.acquire('daily-analytics-snapshot'))!;
    await expect(runner.trigger('daily-analytics-snapshot')).rejects.toBeInstanceOf(JobBusyError);
    // A scheduled slot does not run either (the sweep retries it later).
    expect(await runner.runSlot({ job: 'daily-analytics-snapshot', zone: 'UTC', slot: new Date() })).toBeNull();
    setTimeout(() => void handle.release(), 300);
    const run = await runner.trigger('daily-analytics-snapshot', { waitMs: 10_000 });
    expect(run.status).toBe('succeeded');
    expect(await runner.recentRuns(10)).toHaveLength(1);
  });

  it('a scheduled slot runs once (unique run key) for the teams of its zone; the UTC run also reports invalid zones', async () => {
    const bad = await seedTeam(t.database, { name: 'extra-bad', timezone: 'Not/AZone', accounts: 0 });
    const { runner } = setup();
    const slot = { job: 'daily-analytics-snapshot' as const, zone: 'UTC', slot: new Date('2026-06-10T02:00:00Z') };
    const run = (await runner.runSlot(slot))!;
    expect(run).toMatchObject({ runKey: 'daily-analytics-snapshot:2026-06-10T02:00:00:UTC', trigger: 'schedule', status: 'partial', teamsTotal: 3 });
    expect(run.failedTeams.map((f) => f.teamId)).toEqual([bad.id]);
    expect(run.snapshotsWritten).toBe((3 + 2) * 2);
    const dates = await t.database.rows<{ date: string }>(
      sql`SELECT DISTINCT date::text AS date FROM analytics_snapshots WHERE team_id = ${a.id} ORDER BY 1`,
    );
    expect(dates.map((d) => d.date)).toEqual(['2026-06-08', '2026-06-09']);
    expect(await snapshotCount(b.id)).toBe(0); // Berlin has its own slot
    expect(await runner.runSlot(slot)).toBeNull();
    expect(await runner.recentRuns(10)).toHaveLength(1);

    const berlin = (await runner.runSlot({ job: 'daily-analytics-snapshot', zone: 'Europe/Berlin', slot: new Date('2026-06-10T00:00:00Z') }))!;
    expect(berlin).toMatchObject({ runKey: 'daily-analytics-snapshot:2026-06-10T02:00:00:Europe/Berlin', status: 'succeeded', teamsTotal: 1, snapshotsWritten: 4 });
  });

  it('a run left "running" by a dead process is marked abandoned by the next holder of the lock, and its slot freed', async () => {
    const { runner, lines } = setup();
    await t.database.rows(sql`INSERT INTO job_runs (name, run_key, trigger, status, started_at)
      VALUES ('daily-analytics-snapshot', 'daily-analytics-snapshot:2026-06-10T02:00:00:UTC', 'schedule', 'running', now() - interval '1 hour')`);
    const run = (await runner.runSlot({ job: 'daily-analytics-snapshot', zone: 'UTC', slot: new Date('2026-06-10T02:00:00Z') }))!;
    expect(run.status).toBe('succeeded');
    expect(run.runKey).toBe('daily-analytics-snapshot:2026-06-10T02:00:00:UTC');
    const [old] = (await runner.recentRuns(10)).filter((r) => r.id !== run.id);
    expect(old).toMatchObject({ status: 'failed', error: expect.stringMatching(/^abandoned/) });
    expect(old!.runKey).toMatch(/^daily-analytics-snapshot:2026-06-10T02:00:00:UTC#abandoned-[0-9a-f]{8}$/);
    expect(old!.finishedAt).not.toBeNull();
    expect(lines.some((l) => l.level === LEVEL.warn && l.msg === 'marked an abandoned run as failed')).toBe(true);
  });

  it('runJobOnce: a command-line backfill of a date range, with progress', async () => {
    const { logger } = capturingLogger();
    const progress: Array<[number, number]> = [];
    const snapshots = new SnapshotService({ database: t.database, logger, concurrency: 2 });
    const run = await runJobOnce('weekly-analytics-snapshot', {
      database: t.database,
      snapshots,
      logger,
      config: { refreshDays: 3, snapshotConcurrency: 2 },
      range: { from: '2026-03-04', to: '2026-03-16' },
      batchSize: 1,
      onProgress: (d, n) => progress.push([d, n]),
    });
    expect(run).toMatchObject({ trigger: 'cli', status: 'succeeded', snapshotsWritten: (3 + 2 + 2) * 3 });
    const dates = await t.database.rows<{ date: string }>(
      sql`SELECT DISTINCT date::text AS date FROM analytics_snapshots WHERE snapshot_type = 'Weekly' ORDER BY 1`,
    );
    expect(dates.map((d) => d.date)).toEqual(['2026-03-02', '2026-03-09', '2026-03-16']);
    expect(progress[0]).toEqual([0, 9]);
    expect(progress.at(-1)).toEqual([9, 9]);
    expect(progress.map(([d]) => d)).toEqual([...progress.map(([d]) => d)].sort((x, y) => x - y));
    await expect(runJobOnce('weekly', { database: t.database, snapshots, logger, config: { refreshDays: 3, snapshotConcurrency: 2 } })).rejects.toThrow(
      UnknownJobError,
    );
    await expect(
      runJobOnce('weekly-analytics-snapshot', {
        database: t.database,
        snapshots,
        logger,
        config: { refreshDays: 3, snapshotConcurrency: 2 },
        range: { from: '2026-03-16', to: '2026-03-04' },
      }),
    ).rejects.toThrow(/after/);
  });

  it('shutdown interrupts a long run between batches: failed, slot freed, lock released', async () => {
    const { runner, deps, snapshots } = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = {
      generate: async (opts: Parameters<SnapshotService['generate']>[0]) => {
        const r = await snapshots.generate(opts);
        await gate;
        return r;
      },
    };
    const r2 = new JobRunner({ ...deps, snapshots: slow, batchSize: 1 });
    const slot = { job: 'daily-analytics-snapshot' as const, zone: 'UTC', slot: new Date('2026-06-10T02:00:00Z') };
    const running = r2.runSlot(slot);
    await new Promise((r) => setTimeout(r, 300));
    const stopped = r2.shutdown(100);
    setTimeout(release, 400);
    await stopped;
    const run = (await running)!;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/shut down after 1 of 2 teams/);
    expect(run.runKey).toMatch(/#interrupted-/);
    // The lock is free again, and the slot can be run (by another instance) to completion.
    const again = (await runner.runSlot(slot))!;
    expect(again).toMatchObject({ status: 'succeeded', runKey: 'daily-analytics-snapshot:2026-06-10T02:00:00:UTC' });
  });
});
