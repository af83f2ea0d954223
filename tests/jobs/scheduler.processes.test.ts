/**
 * Several gateway processes over one Postgres (and one Redis): each scheduled run happens once, and a
 * process killed in the middle of a run leaves no partial snapshot, its lock expires, the next run completes.
 * The processes are real (tests/support/jobs-process.ts) with the test configuration: per-second schedule,
 * short lock TTL.
 */
import { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRunRow } from '../../src/jobs/job-run.store.js';
import { JobRunStore } from '../../src/jobs/job-run.store.js';
import { backendName, createTestDatabase, type TestDatabase } from '../support/db.js';
import { auditSnapshotWrites, seedTeam } from '../support/jobs-fixtures.js';
import { spawnJobsProcess, type JobsProcess } from '../support/jobs-spawn.js';
import { redisSuiteName, testRedisUrl, uniqueNamespace } from '../support/redis.js';

const hasPostgres = backendName() === 'postgres';
const postgresSuiteName = (name: string) =>
  hasPostgres ? name : `${name} — NOT RUN: no Postgres at TEST_DATABASE_URL (separate processes cannot share an embedded PGlite)`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestDatabase | undefined;
const processes: JobsProcess[] = [];
const redisClients: Redis[] = [];
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.kill()));
  for (const r of redisClients.splice(0)) r.disconnect();
  await t?.drop();
  t = undefined;
});

function start(env: Record<string, string | undefined>): JobsProcess {
  const p = spawnJobsProcess({ LOG_LEVEL: 'debug', ...env });
  processes.push(p);
  return p;
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

interface Write {
  run_id: string | null;
  team_id: string;
  account: string;
  date: string;
}

/** Every scheduled run once in job_runs, each snapshot written once per run, runs never overlapping. */
async function expectEachRunOnce(db: TestDatabase, procs: JobsProcess[], runs: JobRunRow[]) {
  expect(runs.length).toBeGreaterThanOrEqual(4);
  expect(runs.every((r) => r.status === 'succeeded' && r.trigger === 'schedule')).toBe(true);

  // Each run was executed by exactly one process.
  const ranBy = new Map<string, number[]>();
  for (const p of procs) {
    for (const l of p.lines.filter((l) => l.msg === 'job run succeeded')) {
      ranBy.set(l.runKey as string, [...(ranBy.get(l.runKey as string) ?? []), p.pid]);
    }
  }
  expect([...ranBy.keys()].sort()).toEqual(runs.map((r) => r.runKey).sort());
  for (const [key, pids] of ranBy) expect(pids, key).toHaveLength(1);

  // Each snapshot row written exactly once per run, and every write belongs to a run.
  const writes = await db.database.rows<Write>(sql`
    SELECT run_id::text, team_id::text, coalesce(whatsapp_account_id::text, 'team') AS account, date::text FROM snapshot_writes`);
  expect(writes.filter((w) => w.run_id === null)).toEqual([]);
  for (const run of runs) {
    const mine = writes.filter((w) => w.run_id === run.id);
    expect(mine.length, run.runKey).toBe(run.snapshotsWritten);
    expect(new Set(mine.map((w) => `${w.team_id}/${w.account}/${w.date}`)).size, run.runKey).toBe(mine.length);
  }
  expect(writes.length).toBe(runs.reduce((n, r) => n + r.snapshotsWritten, 0));

  // The runs of the job never overlapped in time (one lock holder at a time).
  const sorted = [...runs].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  for (let i = 1; i < sorted.length; i++) {
    expect(sorted[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(sorted[i - 1]!.finishedAt!.getTime() - 5);
  }
}

async function twoProcessesRun(env: Record<string, string | undefined>) {
  t = await createTestDatabase();
  const db = t;
  const zones = ['UTC', 'Pacific/Auckland'];
  for (const [i, zone] of zones.entries()) {
    await seedTeam(db.database, { name: `p-${i}a`, timezone: zone, accounts: 2 });
    await seedTeam(db.database, { name: `p-${i}b`, timezone: zone, accounts: 1 });
  }
  await auditSnapshotWrites(db.database);
  const common = { DATABASE_URL: db.url!, JOBS_LOCK_TTL_MS: '2000', ANALYTICS_REFRESH_DAYS: '2', ...env };
  const procs = [start(common), start(common)];
  const ready = await Promise.all(procs.map((p) => p.waitFor((l) => l.msg === 'jobs-process ready', 60_000)));
  const bothReady = Math.max(...ready.map((l) => l.time as number)) + 1000;
  const store = new JobRunStore(db.database);
  const afterBothReady = (rs: JobRunRow[]) => rs.filter((r) => r.startedAt.getTime() > bothReady);
  // Let the per-second schedule fire several times with both processes up.
  await until('several runs', async () => afterBothReady(await store.recent(100)).filter((r) => r.status === 'succeeded').length >= 4, 60_000, 250);
  const codes = await Promise.all(procs.map((p) => p.stop()));
  expect(codes).toEqual([0, 0]); // graceful stop: in-flight run finished, lock released
  const runs = await store.recent(500);
  await expectEachRunOnce(db, procs, runs);
  // Both zones had their own runs, each slot once.
  for (const zone of zones) expect(runs.filter((r) => r.runKey.endsWith(`:${zone}`)).length).toBeGreaterThanOrEqual(2);
  // Both processes fired for the same slots: the slots of the recorded runs were due in both.
  const seen = procs.map((p) => new Set(p.lines.filter((l) => l.msg === 'sweep: due slots').flatMap((l) => l.due as string[])));
  const contended = afterBothReady(runs);
  const seenByBoth = contended.filter((r) => seen.every((s) => s.has(r.runKey)));
  console.log(
    `[jobs] ${runs.length} runs (${contended.length} with both up); due in both processes: ${seenByBoth.length}; run by process: ${procs
      .map((p) => p.lines.filter((l) => l.msg === 'job run succeeded').length)
      .join(' / ')}`,
  );
  expect(seenByBoth.length).toBeGreaterThanOrEqual(Math.ceil(contended.length / 2));
  return { procs, runs };
}

describe.skipIf(!hasPostgres || !testRedisUrl())(redisSuiteName(postgresSuiteName('job processes over one Postgres and one Redis')), () => {
  it('two processes with a per-second schedule: each run once in job_runs, each snapshot written once per run', { timeout: 120_000 }, async () => {
    const ns = uniqueNamespace();
    const { procs } = await twoProcessesRun({ REDIS_URL: testRedisUrl()!, JOBS_LOCK_PREFIX: `${ns}:job-lock:` });
    // The lock is left free after a graceful stop.
    void procs;
    const redis = new Redis(testRedisUrl()!);
    redisClients.push(redis);
    expect(await redis.exists(`${ns}:job-lock:daily-analytics-snapshot`)).toBe(0);
  });

  it('a process killed in the middle of a run: no partial snapshot, the lock expires, the next run completes', { timeout: 120_000 }, async () => {
    t = await createTestDatabase();
    const db = t.database;
    const teams = [];
    for (let i = 0; i < 5; i++) teams.push(await seedTeam(db, { name: `k-${i}`, timezone: 'UTC', accounts: 2 }));
    // Every written row takes 150 ms: one team (3 rows) ≈ 0.5 s, a run of 5 teams ≈ 2.5 s.
    await auditSnapshotWrites(db, { delayMs: 150 });
    const ns = uniqueNamespace();
    const lockKey = `${ns}:job-lock:daily-analytics-snapshot`;
    const env = {
      DATABASE_URL: t.url!,
      REDIS_URL: testRedisUrl()!,
      JOBS_LOCK_PREFIX: `${ns}:job-lock:`,
      JOBS_LOCK_TTL_MS: '1500',
      JOBS_BATCH_SIZE: '1',
      ANALYTICS_REFRESH_DAYS: '1',
    };
    const redis = new Redis(testRedisUrl()!);
    redisClients.push(redis);
    const store = new JobRunStore(db);

    const first = start(env);
    // In the middle of a run: some teams written, not all.
    const victim = await until(
      'a run half done',
      async () => (await store.recent(5)).find((r) => r.status === 'running' && r.snapshotsWritten >= 3 && r.snapshotsWritten < 15),
      60_000,
      50,
    );
    await first.kill();
    const killedAt = Date.now();
    expect(await redis.get(lockKey)).not.toBeNull(); // still held by the dead process…
    await until('the lock to expire', async () => (await redis.exists(lockKey)) === 0, 5_000, 50);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(1500 + 1000); // …until its TTL runs out

    // The dead process's statements have ended (committed whole or rolled back): no partial team.
    await until('the dead session to go', async () => {
      const r = await db.rows<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${`jobs-process-${first.pid}`} AND state = 'active'`,
      );
      return r[0]!.n === 0;
    });
    const perTeamDay = await db.rows<{ team_id: string; date: string; n: number }>(sql`
      SELECT team_id::text, date::text, count(*)::int AS n FROM analytics_snapshots GROUP BY 1, 2`);
    expect(perTeamDay.length).toBeGreaterThan(0);
    expect(perTeamDay.length).toBeLessThan(5);
    for (const row of perTeamDay) expect(row.n, `${row.team_id} ${row.date}`).toBe(3); // team-wide + 2 accounts, or nothing
    expect((await store.get(victim.id))!.status).toBe('running'); // nobody finished it for the dead process

    // The next run (another process) completes; the dead run is marked abandoned.
    const second = start(env);
    const done = await second.waitFor((l) => l.msg === 'job run succeeded', 60_000);
    const next = (await store.byRunKey(done.runKey as string))!;
    expect(next).toMatchObject({ status: 'succeeded', teamsTotal: 5, snapshotsWritten: 15, teamsFailed: 0 });
    const abandoned = (await store.get(victim.id))!;
    expect(abandoned.status).toBe('failed');
    expect(abandoned.error).toMatch(/^abandoned/);
    expect(abandoned.runKey).toBe(`${victim.runKey}#abandoned-${victim.id.slice(0, 8)}`);
    const after = await db.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM analytics_snapshots GROUP BY team_id, date`);
    expect(after.length).toBe(5);
    expect(after.every((r) => r.n === 3)).toBe(true);
    expect(await second.stop()).toBe(0);
  });
});

describe.skipIf(!hasPostgres)(postgresSuiteName('job processes over one Postgres without Redis (advisory lock)'), () => {
  it('two processes with a per-second schedule: each run once, each snapshot written once per run', { timeout: 120_000 }, async () => {
    await twoProcessesRun({ REDIS_URL: '' });
  });
});
