/**
 * Data safety (issue 7, item 5), through the real entry points (`npm run snapshots -- backfill`,
 * `npm run db:migrate`, `npm start`) as child processes:
 *  - a backfill run twice, and two backfills racing, produce identical rows (metrics compared without
 *    generatedAt; ids and created_at kept by the upsert), one row per scope and period;
 *  - migrations run twice, or by several processes at once, are harmless: same schema, each migration
 *    recorded once, data kept; two gateways starting at once on one empty database both come up.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { rangeDates } from '../../src/jobs/jobs.js';
import { completeDays } from '../../src/metrics/periods.js';
import { SnapshotService } from '../../src/snapshots/snapshot.service.js';
import { backendName, createEmptyPostgresDatabase, createTestDatabase, type TestDatabase } from '../support/db.js';
import { GatewayProcess } from '../support/reliability-gateway.js';
import { ReportSection } from '../support/reliability-report.js';
import { databaseFingerprint, seedTeams, withClient } from '../support/reliability-seed.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const why = backendName() !== 'postgres' ? 'no Postgres at TEST_DATABASE_URL (processes cannot share an embedded PGlite)' : null;
const title = 'data safety: backfills and migrations, twice and racing';
const report = new ReportSection('data-safety', 'Data safety', 40);

function cli(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

interface Row {
  key: string;
  id: string;
  created_at: string;
  updated_at: string;
  metrics: string;
}

/** Every snapshot row by scope and period, metrics without generatedAt. */
async function snapshotRows(url: string): Promise<Row[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<Row>(`
      SELECT team_id || '/' || coalesce(whatsapp_account_id::text, 'team') || '/' || date || '/' || snapshot_type AS key,
             id::text, created_at::text, updated_at::text, (metrics - 'generatedAt')::text AS metrics
      FROM analytics_snapshots ORDER BY 1`);
    return rows;
  });
}

async function schemaDump(url: string): Promise<string[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ line: string }>(`
      SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
        FROM information_schema.columns WHERE table_schema IN ('public', 'drizzle')
      UNION ALL SELECT 'index ' || schemaname || '.' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname IN ('public', 'drizzle')
      UNION ALL SELECT 'constraint ' || conrelid::regclass || '.' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
      UNION ALL SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname
      UNION ALL SELECT 'migrations ' || count(*) || ' ' || count(DISTINCT hash) FROM drizzle.__drizzle_migrations
      ORDER BY 1`);
    return rows.map((r) => r.line);
  });
}

describe.skipIf(why !== null)(why ? `${title} — NOT RUN: ${why} (set REQUIRE_SERVICES=1 to fail instead)` : title, () => {
  const drops: Array<() => Promise<void>> = [];
  const gateways: GatewayProcess[] = [];

  afterAll(async ({}, suite) => {
    try {
      await Promise.all(gateways.map((g) => g.kill()));
      for (const drop of drops) await drop().catch(() => {});
    } finally {
      await report.write(suite);
    }
  });

  it('a backfill run twice, and two backfills racing, write identical rows (metrics without generatedAt), once per scope and period', { timeout: 300_000 }, async () => {
    const db: TestDatabase = await createTestDatabase();
    drops.push(() => db.drop());
    const url = db.url!;
    const teams = await seedTeams(url, { teams: 10, days: 40 });
    const days = completeDays(35, 'UTC').dates;
    const range = ['--from', days[0]!, '--to', days.at(-1)!];
    const env = { DATABASE_URL: url };
    // Daily through the command line (separate processes); Weekly and Monthly through the SnapshotService
    // in this process (the same code the jobs and the command line call).
    const backfill = () => cli('src/cli/snapshots.ts', ['backfill', ...range, '--type', 'Daily'], env);
    const service = new SnapshotService({ database: db.database, logger: pino({ level: 'silent' }), concurrency: 4 });
    const inProcess = async (type: 'Weekly' | 'Monthly') => {
      const r = await service.generate({ type, dates: rangeDates(type, days[0]!, days.at(-1)!) });
      return { code: r.failed.length ? 1 : 0, stdout: '', stderr: JSON.stringify(r.failed), ms: 0 };
    };
    const all = () => Promise.all([backfill(), inProcess('Weekly').then(async (w) => [w, await inProcess('Monthly')])]).then(([d, [w, m]]) => [d, w!, m!]);

    const first = await all();
    const once = await snapshotRows(url);
    const second = await all();
    const twice = await snapshotRows(url);

    // Racing: the same backfills twice at once (two processes for Daily), over an emptied table.
    await withClient(url, (c) => c.query('DELETE FROM analytics_snapshots'));
    const race = (await Promise.all([all(), all()])).flat();
    const raced = await snapshotRows(url);
    const duplicates = await withClient(url, async (c) =>
      (await c.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM analytics_snapshots GROUP BY team_id, whatsapp_account_id, date, snapshot_type HAVING count(*) > 1) d`)).rows[0]!.n as number,
    );

    const byKey = (rows: Row[]) => new Map(rows.map((r) => [r.key, r]));
    const a = byKey(once);
    const metricsDiffer = (rows: Row[]) => rows.filter((r) => a.get(r.key)?.metrics !== r.metrics).map((r) => r.key);
    const scopes = teams.reduce((n, t) => n + 1 + t.accounts.length, 0);
    report.headline = `${once.length} rows; second backfill: ${metricsDiffer(twice).length} differ; racing backfills: ${metricsDiffer(raced).length} differ, ${duplicates} duplicates`;
    report
      .glance('Snapshot rows differing after a second / a racing backfill', `${metricsDiffer(twice).length} / ${metricsDiffer(raced).length} (duplicates ${duplicates})`)
      .set('backfill: teams × scopes', `${teams.length} teams, ${scopes} scopes`)
      .set('backfill: range', `${days[0]} .. ${days.at(-1)} (Daily, Weekly, Monthly)`)
      .set('backfill: rows after one run', once.length)
      .set('backfill twice: rows', twice.length)
      .set('backfill twice: rows whose metrics differ', metricsDiffer(twice).length)
      .set('backfill twice: rows whose id or created_at changed', twice.filter((r) => a.get(r.key)?.id !== r.id || a.get(r.key)?.created_at !== r.created_at).length)
      .set('backfill twice: rows with a newer updated_at', twice.filter((r) => r.updated_at > (a.get(r.key)?.updated_at ?? '')).length)
      .set('racing (two at once: Daily in 2 processes, Weekly and Monthly in-process): exit codes', race.map((r) => r.code).join(', '))
      .set('racing: rows', raced.length)
      .set('racing: rows whose metrics differ from one run', metricsDiffer(raced).length)
      .set('racing: duplicate scope/periods', duplicates);

    for (const r of [...first, ...second, ...race]) expect(r.code, r.stderr.slice(-1500)).toBe(0);
    expect(once.length).toBeGreaterThan(scopes * 35);
    expect(twice.map((r) => r.key)).toEqual(once.map((r) => r.key));
    expect(metricsDiffer(twice)).toEqual([]);
    expect(twice.filter((r) => a.get(r.key)?.id !== r.id || a.get(r.key)?.created_at !== r.created_at).map((r) => r.key)).toEqual([]);
    expect(raced.map((r) => r.key)).toEqual(once.map((r) => r.key));
    expect(metricsDiffer(raced)).toEqual([]);
    expect(duplicates).toBe(0);
  });

  it('migrations run twice, and by four processes at once, are harmless: same schema, each recorded once, data kept', { timeout: 300_000 }, async () => {
    const sequential = (await createEmptyPostgresDatabase())!;
    const concurrent = (await createEmptyPostgresDatabase())!;
    drops.push(sequential.drop, concurrent.drop);

    const firstRun = await cli('src/cli/migrate.ts', [], { DATABASE_URL: sequential.url });
    const afterOnce = await schemaDump(sequential.url);
    // Data in every table, then migrate again: nothing lost, nothing changed.
    await seedTeams(sequential.url, { teams: 3, days: 5 });
    await withClient(sequential.url, (c) =>
      c.query(`INSERT INTO analytics_snapshots (team_id, whatsapp_account_id, date, snapshot_type, metrics) SELECT id, NULL, '2026-01-01', 'Daily', '{"x":1}' FROM teams`),
    );
    const dataBefore = await databaseFingerprint(sequential.url);
    const secondRun = await cli('src/cli/migrate.ts', [], { DATABASE_URL: sequential.url });
    const afterTwice = await schemaDump(sequential.url);
    const dataAfter = await databaseFingerprint(sequential.url);

    const racing = await Promise.all(Array.from({ length: 4 }, () => cli('src/cli/migrate.ts', [], { DATABASE_URL: concurrent.url })));
    const afterRace = await schemaDump(concurrent.url);

    // Two gateways starting at once on one empty database: both migrate-and-start, both serve.
    const empty = (await createEmptyPostgresDatabase())!;
    drops.push(empty.drop);
    const started = await Promise.allSettled([GatewayProcess.start({ env: { DATABASE_URL: empty.url } }), GatewayProcess.start({ env: { DATABASE_URL: empty.url } })]);
    for (const s of started) if (s.status === 'fulfilled') gateways.push(s.value);
    const afterGateways = await schemaDump(empty.url);

    const changedTables = Object.keys(dataBefore).filter((t) => JSON.stringify(dataBefore[t]) !== JSON.stringify(dataAfter[t]));
    const migrations = afterOnce.find((l) => l.startsWith('migrations ')) ?? '';
    report
      .set('migrate: schema objects after one run', afterOnce.length)
      .set('migrate: migrations recorded (rows, distinct)', migrations.replace('migrations ', ''))
      .set('migrate twice: second run says', secondRun.stdout.trim().replace(/^db:migrate: .*?: (?=already|applied)/, '').slice(0, 160))
      .set('migrate twice: schema differences', afterTwice.filter((l) => !afterOnce.includes(l)).length + afterOnce.filter((l) => !afterTwice.includes(l)).length)
      .set('migrate twice: tables whose data changed', changedTables.length ? changedTables.join(', ') : 'none')
      .set('4 concurrent migrations: exit codes', racing.map((r) => r.code).join(', '))
      .set('4 concurrent migrations: schema differences', afterRace.filter((l) => !afterOnce.includes(l)).length + afterOnce.filter((l) => !afterRace.includes(l)).length)
      .set('2 gateways started at once on an empty database', started.map((s) => (s.status === 'fulfilled' ? 'up' : `failed: ${String(s.reason).split('\n')[0]!.slice(0, 120)}`)).join(', '));

    expect(firstRun.code, firstRun.stderr).toBe(0);
    expect(secondRun.code, secondRun.stderr).toBe(0);
    expect(afterTwice).toEqual(afterOnce);
    expect(changedTables).toEqual([]);
    for (const r of racing) expect(r.code, r.stderr.slice(-1500)).toBe(0);
    expect(afterRace).toEqual(afterOnce);
    expect(started.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(afterGateways).toEqual(afterOnce);
    for (const g of gateways) expect((await fetch(`${g.url}/ready`)).status).toBe(200);
  });
});
