/**
 * `npm run bench` — the benchmark of issue #6. Generates the data set inside Postgres (or reuses it),
 * checks that the floor queries return the engine's numbers, then measures, in interleaved rounds,
 * the snapshot job, history independence, real-time and dashboards uncached, then the cached polls
 * over HTTP and the statements per nested request, and writes docs/benchmarks.md with SVG charts.
 *
 *   npm run bench -- --scale 0.01            quick run (CI-sized)
 *   npm run bench                            full scale (1,000 teams, 20 M messages over 90 days)
 *   npm run bench -- --reuse                 keep the generated databases of a previous run
 *
 * Options: --scale N (1) · --days N (90) · --short-days N (30) · --rounds N (5) · --realtime-calls N (10)
 *          --job-calls N (2: runs of each job configuration per round)
 *          --dashboard-calls N (3: uncached dashboards from stored activity, per round and length)
 *          --reuse · --skip-http · --duration S (autocannon seconds, 10) · --connections N (100)
 *          --out FILE (docs/benchmarks.md) · --admin-url URL · --redis-url URL · --keep (do not drop databases)
 *          --budget-minutes M (stop the SQL rounds early, 2 at least) · --skip-sql
 *          --previous FILE (results of an earlier run for the report's "previous run" column;
 *                           default bench/results/results-s<scale>-previous.json when it exists)
 *          --results FILE (where the results JSON goes; default bench/results/results-s<scale>.json)
 *   BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": extra node flags for the gateway's child process
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { SESSION_OPTIONS } from '../src/db/client.js';
import { generateDataset, readManifest, type DatasetManifest } from './dataset.js';
import { runHttpBench, type HttpResults } from './http.js';
import { hostSpeed, loadAverage, machineInfo, median, rotate, timed } from './lib.js';
import { writeReport, type Results } from './report.js';
import { SqlBench, engineStatement, jobDate } from './sql.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    days: { type: 'string', default: '90' },
    'short-days': { type: 'string', default: '30' },
    rounds: { type: 'string', default: '5' },
    'realtime-calls': { type: 'string', default: '10' },
    'job-calls': { type: 'string', default: '2' },
    'dashboard-calls': { type: 'string', default: '3' },
    reuse: { type: 'boolean', default: false },
    'skip-http': { type: 'boolean', default: false },
    'skip-sql': { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '100' },
    out: { type: 'string', default: 'docs/benchmarks.md' },
    'admin-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    keep: { type: 'boolean', default: true },
    'budget-minutes': { type: 'string' },
    previous: { type: 'string' },
    results: { type: 'string' },
  },
});

const scale = Number(values.scale);
const days = Number(values.days);
const shortDays = Number(values['short-days']);
const rounds = Number(values.rounds);
const realtimeCalls = Number(values['realtime-calls']);
const jobCalls = Number(values['job-calls']);
const dashboardCalls = Number(values['dashboard-calls']);
const adminUrl = values['admin-url']!;
const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Database names carry the scale so a quick run never clobbers a full-scale data set. */
const dbName = (d: number) => `analytics_bench_s${String(scale).replace('.', '_')}_${d}d`;

async function dataset(d: number): Promise<DatasetManifest> {
  if (values.reuse) {
    const existing = await readManifest(adminUrl, dbName(d));
    if (existing && existing.scale === scale && existing.days === d) {
      log(`reusing ${existing.database} (generated ${existing.end})`);
      return existing;
    }
  }
  log(`generating ${dbName(d)}: scale ${scale}, ${d} days`);
  return generateDataset({ adminUrl, database: dbName(d), scale, days: d, log });
}

async function main() {
  const config = loadConfig({});
  const settings = {
    poolSize: config.dbPoolSize,
    snapshotConcurrency: config.snapshotConcurrency,
    // Raised from the gateway's 30 s so that a slow batch is measured rather than retried team by team.
    statementTimeoutMs: 600_000,
  };
  const started = performance.now();
  const loads: string[] = [loadAverage()];

  const long = await dataset(days);
  const short = await dataset(shortDays);
  const date = jobDate(long);
  const machine = await machineInfo(adminUrl, null);
  machine.speed = { start: await hostSpeed(adminUrl) };
  log(`host speed: fixed SQL loop ${ms(machine.speed.start.sqlMs)}, fixed JavaScript loop ${ms(machine.speed.start.jsMs)}`);

  const b90 = await SqlBench.open(long, settings);
  const b30 = await SqlBench.open(short, settings);
  const results: Results = {
    args: { scale, days, shortDays, rounds, realtimeCalls, dashboardCalls, jobCalls, settings },
    machine,
    datasets: [long, short],
    date,
    verification: [],
    samples: {},
    profiles: {},
    loadAverages: loads,
    http: null,
    seconds: 0,
  };
  const sample = (name: string, ms: number) => (results.samples[name] ??= []).push(ms);

  try {
    if (values['skip-sql']) throw new SkipSql();
    // 1. The floor must return the engine's numbers before it is worth timing.
    log(`verifying floor = engine (job date ${date}, real-time of the largest team)`);
    for (const [name, b] of [[`job ${days} d`, b90], [`job ${shortDays} d`, b30]] as const) {
      const v = await b.verify(b.jobWindows(date), true);
      results.verification.push({ name, ...v, diffs: v.diffs.slice(0, 20), diffCount: v.diffs.length });
      log(`  ${name}: ${v.scopes} scopes, ${v.messages} messages, ${v.diffs.length} differences`);
    }
    for (const [name, windows] of [
      ['real-time, largest team', [b90.realTimeWindow()]],
      ['dashboard 30 d window, largest team', [(() => { const w = b90.realTimeWindow(); return { ...w, start: new Date(w.start.getTime() - 30 * 86_400_000), end: w.start }; })()]],
    ] as const) {
      const v = await b90.verify([...windows], false);
      results.verification.push({ name, ...v, diffs: v.diffs.slice(0, 20), diffCount: v.diffs.length });
      log(`  ${name}: ${v.messages} messages, ${v.diffs.length} differences`);
    }

    // 2. Warm-up: every configuration once (also creates the snapshot rows, so every timed run upserts).
    log('warm-up');
    for (const b of [b90, b30]) {
      await b.floorJob(date);
      await b.engineJob(date);
    }
    // The largest team's nightly jobs over 2 × 365 days (a deployment that ran, or was backfilled, that
    // long): the stored activity that uncached dashboards merge, current and previous window.
    const backfillDays = 2 * 365;
    log(`backfill: the largest team's Daily snapshots and activity for its last ${backfillDays} days`);
    const backfill = await timed(() => b90.backfillLargest(backfillDays));
    // What the Daily job does after its batches: bring every team's stored closures up to date.
    const refresh = await timed(() => b90.refreshClosures());
    results.setup = { backfillDays, backfillSeconds: backfill.ms / 1000, refreshSeconds: refresh.ms / 1000 };
    await b90.vacuumWritten();
    await b90.realTimeEngine();
    await b90.realTimeFloor();
    await b90.dashboard(30);
    await b90.dashboardFloor(30);

    // 3. Rounds, interleaved: every configuration once per round, in a rotating order.
    const jobConfigs: Array<[string, () => Promise<unknown>]> = [
      [`job.engine.${days}`, () => b90.engineJob(date)],
      [`job.floor.${days}`, () => b90.floorJob(date)],
      [`job.engine.${shortDays}`, () => b30.engineJob(date)],
      [`job.floor.${shortDays}`, () => b30.floorJob(date)],
      [`job.floorCompute.${days}`, () => b90.floorCompute(b90.jobWindows(date), true)],
    ];
    const roundsStarted = performance.now();
    const budgetMs = values['budget-minutes'] ? Number(values['budget-minutes']) * 60_000 : Infinity;
    for (let r = 0; r < rounds; r++) {
      // A time budget (--budget-minutes) stops after a round when the next one would not fit (2 rounds at least).
      if (r >= 2 && (performance.now() - roundsStarted) * (r + 1) / r > budgetMs) {
        log(`stopping after ${r} rounds: the time budget of ${values['budget-minutes']} minutes would be exceeded`);
        results.args.rounds = r;
        break;
      }
      await b90.vacuumWritten();
      await b30.vacuumWritten();
      // Each job configuration `jobCalls` times per round, in a rotating order each time (a job run varies by
      // ±15 % from one run to the next here; more runs per round keep the medians steady).
      for (let i = 0; i < jobCalls; i++) {
        for (const [name, fn] of rotate(jobConfigs, r * jobCalls + i)) sample(name, (await timed(fn)).ms);
      }
      for (let i = 0; i < realtimeCalls; i++) {
        const pair: Array<[string, () => Promise<unknown>]> = [
          ['realtime.engine', () => b90.realTimeEngine()],
          ['realtime.floor', () => b90.realTimeFloor()],
        ];
        for (const [name, fn] of rotate(pair, i)) sample(name, (await timed(fn)).ms);
      }
      // Several calls per round for the dashboards read from stored activity (one call right after the
      // jobs' reads sees a colder buffer cache than the next); the from-source references (seconds each) once.
      const dashboards: Array<[string, () => Promise<unknown>]> = [
        ['dashboard30.source', () => b90.dashboardFloor(30)],
        ['dashboard365.source', () => b90.dashboardFloor(365)],
      ];
      for (let i = 0; i < dashboardCalls; i++) {
        dashboards.push(
          ['dashboard30.engine', () => b90.dashboard(30)],
          ['dashboard365.engine', () => b90.dashboard(365)],
          ['dashboard30.account', () => b90.dashboard(30, 'account')],
        );
      }
      for (const [name, fn] of rotate(dashboards, r)) sample(name, (await timed(fn)).ms);
      loads.push(loadAverage());
      log(
        `round ${r + 1}/${rounds}: job ${days} d engine ${ms(results.samples[`job.engine.${days}`]!.at(-1)!)} / floor ${ms(results.samples[`job.floor.${days}`]!.at(-1)!)}, ` +
          `${shortDays} d engine ${ms(results.samples[`job.engine.${shortDays}`]!.at(-1)!)}, real-time p50 ${ms(median(results.samples['realtime.engine']!))}, ` +
          `dashboard 365 d ${ms(results.samples['dashboard365.engine']!.at(-1)!)} (load ${loads.at(-1)})`,
      );
    }

    // 4. Profiles for the findings: the engine's first batch statement as the job issues it, the floor
    //    for the same teams, and the largest team's real-time statement — all on sessions with
    //    `jit=off`, as the gateway's connectPostgres opens them.
    log('profiling');
    const batch = b90.jobWindows(date).slice(0, 250);
    const stmt = await engineStatement({ windows: batch, teamWide: true, accounts: 'all' });
    const profile = async (label: string, sql: string, params: unknown[], options = SESSION_OPTIONS) => {
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < 2; i++) {
        const t = await b90.timeStatement(sql, params, options);
        times.push(t.ms);
        rows = t.rows.length;
      }
      return { label, ms: median(times), samples: times, rows, plan: await b90.explain(sql, params, options) };
    };
    const engineBatch = await profile('engine batch statement (250 teams, jit=off)', stmt.sql, stmt.params);
    const floorBatch = await profile('floor, same 250 teams (compute only, jit=off)', (await import('./floor.sql.js')).floorSql({ accounts: true }), [
      batch.map((w) => w.teamId), batch.map((w) => w.start.toISOString()), batch.map((w) => w.end.toISOString()),
    ]);
    const rt = await engineStatement({ windows: [b90.realTimeWindow()], teamWide: true, accounts: 'none', reportEndAsIs: true });
    const rtEngine = await profile('engine real-time statement (largest team, jit=off)', rt.sql, rt.params);
    const rtFloorText = (await import('./floor.sql.js')).floorSql({ accounts: false });
    const rtW = b90.realTimeWindow();
    const rtFloor = await profile('floor, real-time of the largest team (jit=off)', rtFloorText, [[rtW.teamId], [rtW.start.toISOString()], [rtW.end.toISOString()]]);
    results.profiles = {
      statements: [engineBatch, floorBatch, rtEngine, rtFloor],
      pieces: await b90.floorPieces(),
      dashboardFamilies: await b90.dashboardFamilies(),
    };
    mkdirSync('bench/results', { recursive: true });
    for (const p of results.profiles.statements ?? []) {
      writeFileSync(`bench/results/plan-${slug(p.label)}.txt`, `${p.label}\nmedian ${p.ms.toFixed(0)} ms\n\n${p.plan}\n`);
    }
  } catch (err) {
    if (!(err instanceof SkipSql)) throw err;
  } finally {
    await b90.close();
    await b30.close();
  }

  // 5. Cached polls over HTTP and statements per nested request.
  if (!values['skip-http']) {
    log('HTTP: cached polls and batching');
    try {
      results.http = await runHttpBench({
        manifest: long,
        redisUrl: values['redis-url']!,
        durationSeconds: Number(values.duration),
        connections: Number(values.connections),
        rounds: Math.min(rounds, 3),
        log,
      });
    } catch (err) {
      results.http = { notMeasured: `the HTTP part failed: ${(err as Error).stack ?? String(err)}` } as HttpResults;
      log(`HTTP part failed: ${(err as Error).message}`);
    }
  } else {
    results.http = { notMeasured: 'skipped (--skip-http)' } as HttpResults;
  }

  machine.speed.end = await hostSpeed(adminUrl);
  results.seconds = (performance.now() - started) / 1000;
  loads.push(loadAverage());
  const resultsFile = values.results ?? `bench/results/results-s${String(scale).replace('.', '_')}.json`;
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, JSON.stringify(results, null, 2));
  // The run to compare with: bench/results/results-s<scale>-previous.json (copy the last results there
  // before a round of changes), or --previous FILE.
  const prevFile = values.previous ?? `bench/results/results-s${String(scale).replace('.', '_')}-previous.json`;
  const previous = existsSync(prevFile) ? (JSON.parse(readFileSync(prevFile, 'utf8')) as Results) : null;
  const files = await writeReport(results, values.out!, previous);
  log(`wrote ${files.join(', ')} in ${results.seconds.toFixed(0)} s`);
}

class SkipSql extends Error {}
const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
