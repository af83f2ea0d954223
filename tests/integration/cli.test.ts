import journal from '../../drizzle/meta/_journal.json' with { type: 'json' };
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, openPglite, type Database } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { DEMO_TEAM_ID, seedDemo } from '../../src/demo/seed-demo.js';
import { backendName, createEmptyPostgresDatabase, createTestDatabase, type TestDatabase } from '../support/db.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NOW = new Date('2026-03-20T15:00:00.000Z');
/** Generous: an embedded database in a folder is slow to open on a busy machine. */
const CHILD_TIMEOUT_MS = 300_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one of the command-line entry points as its own process, the way npm scripts do. */
function run(script: string, args: string[], env: Record<string, string>): Promise<Run> {
  const base = { ...process.env };
  for (const k of ['DATABASE_URL', 'DATA_DIR', 'REDIS_URL', 'LOG_LEVEL', 'SNAPSHOT_CONCURRENCY']) delete base[k];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { cwd: ROOT, env: { ...base, ...env }, timeout: CHILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err); // spawn failure or timeout, not an exit code
        resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      },
    );
  });
}

/**
 * The database the command line is pointed at: the test's own Postgres database (DATABASE_URL), or,
 * on a machine without Postgres, an embedded database in a temporary folder (DATA_DIR) that this
 * process opens only between runs (an embedded database has one process at a time).
 */
interface Target {
  env: Record<string, string>;
  use<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

async function createTarget(opts: { migrated: boolean }): Promise<Target> {
  if (backendName() === 'postgres') {
    if (opts.migrated) {
      const tdb: TestDatabase = await createTestDatabase();
      return { env: { DATABASE_URL: tdb.url! }, use: (fn) => fn(tdb.database), drop: () => tdb.drop() };
    }
    const empty = (await createEmptyPostgresDatabase())!;
    return {
      env: { DATABASE_URL: empty.url },
      async use(fn) {
        const db = connectPostgres(empty.url, { poolSize: 1 });
        try {
          return await fn(db);
        } finally {
          await db.close();
        }
      },
      drop: () => empty.drop(),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'analytics-cli-'));
  const target: Target = {
    env: { DATA_DIR: dir },
    async use(fn) {
      const db = await openPglite(dir);
      try {
        return await fn(db);
      } finally {
        await db.close();
      }
    },
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (opts.migrated) await target.use((db) => migrateDatabase(db));
  return target;
}

const SNAPSHOTS = 'src/cli/snapshots.ts';

describe(`snapshots command line (${backendName()})`, () => {
  let target: Target;
  let accounts: Array<{ id: string; team_id: string }>;

  beforeAll(async () => {
    target = await createTarget({ migrated: true });
    accounts = await target.use(async (db) => {
      await seedDemo(db, { now: NOW, days: 7, seed: 3 });
      return db.rows<{ id: string; team_id: string }>(sql`SELECT id, team_id FROM whatsapp_accounts ORDER BY id`);
    });
  }, 400_000);
  afterAll(async () => {
    await target?.drop();
  });

  const snapshotRows = (where: ReturnType<typeof sql>) =>
    target.use((db) =>
      db.rows<{ team_id: string; whatsapp_account_id: string | null; date: string; metrics: Record<string, any> }>(
        sql`SELECT team_id, whatsapp_account_id, date::text AS date, metrics FROM analytics_snapshots WHERE ${where}
            ORDER BY team_id, date, whatsapp_account_id NULLS FIRST`,
      ),
    );

  it('backfills Daily snapshots for every team and account over an inclusive range, with plain progress lines', async () => {
    const r = await run(SNAPSHOTS, ['backfill', '--from', '2026-03-16', '--to', '2026-03-18', '--type', 'Daily'], target.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const scopes = 4 + accounts.length; // team-wide rows plus one per account, per date
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      `backfill Daily 2026-03-16..2026-03-18: 1/3 dates, ${scopes} snapshots`,
      `backfill Daily 2026-03-16..2026-03-18: 2/3 dates, ${2 * scopes} snapshots`,
      `backfill Daily 2026-03-16..2026-03-18: 3/3 dates, ${3 * scopes} snapshots`,
    ]);
    expect(lines[3]).toMatch(new RegExp(`^backfill Daily 2026-03-16\\.\\.2026-03-18: done, ${3 * scopes} snapshots for 4 teams over 3 Daily periods in [\\d.]+ s$`));
    expect(lines).toHaveLength(4);

    const rows = await snapshotRows(sql`snapshot_type = 'Daily'`);
    expect(rows).toHaveLength(3 * scopes);
    const teamWide = rows.filter((x) => x.whatsapp_account_id === null);
    expect(teamWide.map((x) => `${x.team_id.slice(0, 2)} ${x.date}`)).toEqual(
      ['11', '22', '33', '44'].flatMap((t) => ['2026-03-16', '2026-03-17', '2026-03-18'].map((d) => `${t} ${d}`)),
    );
    for (const a of accounts) {
      expect(rows.filter((x) => x.whatsapp_account_id === a.id).map((x) => [x.team_id, x.date])).toEqual(
        ['2026-03-16', '2026-03-17', '2026-03-18'].map((d) => [a.team_id, d]),
      );
    }
    // Days follow the team's calendar: New York is on EDT (UTC−4) after 2026-03-08.
    const ny = teamWide.find((x) => x.team_id === DEMO_TEAM_ID && x.date === '2026-03-17')!;
    expect(ny.metrics.period).toEqual({ start: '2026-03-17T04:00:00.000Z', end: '2026-03-18T03:59:59.999Z' });
    const direct = await target.use((db) =>
      db.rows<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM messages WHERE team_id = ${DEMO_TEAM_ID}
            AND created_at >= '2026-03-17T04:00:00Z' AND created_at < '2026-03-18T04:00:00Z'`,
      ),
    );
    expect(ny.metrics.messages.total).toBe(direct[0]!.n);
    expect(direct[0]!.n).toBeGreaterThan(0);
  }, 400_000);

  it('backfills one team (--team) by Weekly periods stored under their Mondays', async () => {
    const r = await run(
      SNAPSHOTS,
      ['backfill', '--from', '2026-03-11', '--to', '2026-03-18', '--type', 'Weekly', '--team', DEMO_TEAM_ID],
      target.env,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('backfill Weekly 2026-03-11..2026-03-18: 2/2 dates, 8 snapshots\n');
    expect(r.stdout).toMatch(/done, 8 snapshots for 1 team over 2 Weekly periods/);
    const rows = await snapshotRows(sql`snapshot_type = 'Weekly'`);
    const demoAccounts = accounts.filter((a) => a.team_id === DEMO_TEAM_ID);
    expect(rows).toHaveLength(2 * (1 + demoAccounts.length));
    expect(new Set(rows.map((x) => x.team_id))).toEqual(new Set([DEMO_TEAM_ID]));
    expect([...new Set(rows.map((x) => x.date))]).toEqual(['2026-03-09', '2026-03-16']);
    // Running it again updates the same rows.
    const again = await run(
      SNAPSHOTS,
      ['backfill', '--from', '2026-03-16', '--to', '2026-03-16', '--type', 'weekly', '--team', DEMO_TEAM_ID],
      target.env,
    );
    expect(again.code).toBe(0);
    expect(await snapshotRows(sql`snapshot_type = 'Weekly'`)).toHaveLength(rows.length);
  }, 400_000);

  it('rejects bad arguments with exit code 2 and a message saying what is allowed', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['backfill', '--from', '2026-02-30', '--to', '2026-03-01', '--type', 'Daily'], /--from: "2026-02-30" is not a calendar date: expected YYYY-MM-DD/],
      [['backfill', '--from', '03/01/2026', '--to', '2026-03-01', '--type', 'Daily'], /--from: "03\/01\/2026" is not a date: expected YYYY-MM-DD/],
      [['backfill', '--from', '2026-03-05', '--to', '2026-03-01', '--type', 'Daily'], /--from 2026-03-05 is after --to 2026-03-01/],
      [['backfill', '--from', '2026-03-01', '--to', '2026-03-05', '--type', 'Hourly'], /--type "Hourly" is not a snapshot type: expected one of Daily, Weekly, Monthly/],
      [['backfill', '--from', '2026-03-01', '--to', '2026-03-05'], /--type is required: one of Daily, Weekly, Monthly/],
      [['backfill', '--from', '2026-03-01', '--type', 'Daily'], /--to is required: a date as YYYY-MM-DD/],
      [['backfill', '--from', '2026-03-01', '--to', '2026-03-05', '--type', 'Daily', '--team', 'acme'], /--team "acme" is not a team id: expected a UUID/],
      [
        ['backfill', '--from', '2026-03-01', '--to', '2026-03-05', '--type', 'Daily', '--team', '55555555-5555-4555-8555-555555555555'],
        /--team 55555555-5555-4555-8555-555555555555: no team with this id/,
      ],
      [['backfill', '--from', '2026-03-01', '--to', '2026-03-05', '--type', 'Daily', '--days', '3'], /unknown option "--days": the options are --from, --to, --type/],
      [['refresh'], /unknown command "refresh": expected backfill or run/],
      [[], /missing command: expected backfill or run/],
      [['run', 'hourly-snapshot'], /unknown job "hourly-snapshot": expected one of daily-analytics-snapshot, weekly-analytics-snapshot, monthly-analytics-snapshot/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(SNAPSHOTS, args, target.env)));
    results.forEach((r, i) => {
      const [args, message] = cases[i]!;
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('npm run snapshots -- backfill --from YYYY-MM-DD --to YYYY-MM-DD --type Daily|Weekly|Monthly');
      expect(r.stdout).toBe('');
    });
    const rows = await snapshotRows(sql`date BETWEEN '2026-03-01' AND '2026-03-05'`);
    expect(rows).toEqual([]);
  }, 400_000);

  it('prints its usage with --help', async () => {
    const r = await run(SNAPSHOTS, ['--help'], target.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('backfill --from YYYY-MM-DD --to YYYY-MM-DD --type Daily|Weekly|Monthly [--team ID]');
    expect(r.stdout).toContain('run <job-name>');
    expect(r.stdout).toContain('Exit codes: 0 done, 1 some teams failed (listed), 2 bad arguments.');
  }, 60_000);

  it('runs a job by name (run <job-name>) over a range, recorded in job_runs as a command-line run', async () => {
    const r = await run(SNAPSHOTS, ['run', 'monthly-analytics-snapshot', '--from', '2026-03-01', '--to', '2026-03-20'], target.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const scopes = 4 + accounts.length;
    expect(r.stdout).toMatch(
      new RegExp(`run monthly-analytics-snapshot 2026-03-01\\.\\.2026-03-20: succeeded, ${scopes} snapshots for 4 teams in [\\d.]+ s \\(job run [0-9a-f-]{36}\\)`),
    );
    const runs = await target.use((db) =>
      db.rows<{ name: string; trigger: string; status: string; snapshots_written: number }>(
        sql`SELECT name, trigger, status, snapshots_written FROM job_runs ORDER BY started_at`,
      ),
    );
    expect(runs).toEqual([{ name: 'monthly-analytics-snapshot', trigger: 'cli', status: 'succeeded', snapshots_written: scopes }]);
    expect(await snapshotRows(sql`snapshot_type = 'Monthly'`)).toHaveLength(scopes);
    expect(new Set((await snapshotRows(sql`snapshot_type = 'Monthly'`)).map((x) => x.date))).toEqual(new Set(['2026-03-01']));
  }, 400_000);

  it('exits 1 naming the teams that failed, after writing the others', async () => {
    const broken = '99999999-9999-4999-8999-999999999999';
    await target.use((db) => db.rows(sql`INSERT INTO teams (id, name, timezone) VALUES (${broken}, 'Broken zone', 'Mars/Olympus_Mons')`));
    try {
      const r = await run(SNAPSHOTS, ['backfill', '--from', '2026-03-19', '--to', '2026-03-19', '--type', 'Daily'], target.env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/1 of 5 teams failed:/);
      expect(r.stderr).toContain(`${broken} "Broken zone"`);
      expect(r.stderr).toMatch(/Mars\/Olympus_Mons/);
      expect(r.stdout).toMatch(/done, \d+ snapshots for 5 teams/);
      const rows = await snapshotRows(sql`date = '2026-03-19' AND snapshot_type = 'Daily'`);
      expect(rows).toHaveLength(4 + accounts.length);
    } finally {
      await target.use((db) => db.rows(sql`DELETE FROM teams WHERE id = ${broken}`));
    }
  }, 400_000);
});

describe(`db:migrate and seed:demo command line (${backendName()})`, () => {
  let target: Target;
  beforeAll(async () => {
    target = await createTarget({ migrated: false });
  }, 120_000);
  afterAll(async () => {
    await target?.drop();
  });

  it('migrates an empty database, seeds it with snapshots, and leaves a seeded database alone', async () => {
    const migrated = await run('src/cli/migrate.ts', [], target.env);
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(new RegExp(`^db:migrate: .*: applied ${journal.entries.length} migration\\(s\\)`));
    const again = await run('src/cli/migrate.ts', [], target.env);
    expect(again.stdout).toMatch(/already up to date, nothing to apply/);

    const seeded = await run('src/cli/seed-demo.ts', ['--days', '3', '--seed', '2'], target.env);
    expect(seeded.stderr).toBe('');
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toMatch(/seeded the .* 4 teams, 10 WhatsApp accounts, \d+ contacts \(\d+ blocked\), \d+ conversations, \d+ campaigns, \d+ messages over 3 days/);
    expect(seeded.stdout).toMatch(/\d+ Daily snapshots written\n/);
    expect(seeded.stdout).toContain(`demo team ${DEMO_TEAM_ID} (Northwind Coffee, America/New_York)`);

    const counts = await target.use(async (db) =>
      (
        await db.rows<{ type: string; n: number; teams: number }>(
          sql`SELECT snapshot_type::text AS type, count(*)::int AS n, count(DISTINCT team_id)::int AS teams
              FROM analytics_snapshots GROUP BY 1 ORDER BY 1`,
        )
      ).map((r) => [r.type, r.teams]),
    );
    expect(counts).toEqual([
      ['Daily', 4],
      ['Monthly', 4],
      ['Weekly', 4],
    ]);

    const second = await run('src/cli/seed-demo.ts', [], target.env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/already has teams; nothing seeded/);

    const bad = await run('src/cli/seed-demo.ts', ['--days', '0'], target.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--days "0" is not allowed: expected an integer from 1 to 366/);
  }, 900_000);
});
