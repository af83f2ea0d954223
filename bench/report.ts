/**
 * Writes docs/benchmarks.md (every figure with its floor, ratio, target and pass/fail, the machine,
 * the data set, the checks and the profiles) and the SVG charts (vega-lite rendered by vega in Node,
 * no browser): docs/benchmarks-throughput.svg, docs/benchmarks-job.svg, docs/benchmarks-latency.svg.
 *
 * `npx tsx bench/report.ts bench/results/results-s1.json [out.md] [previous.json]` re-renders a report from saved
 * results; the previous run's results (default: results-s<scale>-previous.json beside them) fill the "previous run" column.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { DatasetManifest } from './dataset.js';
import type { HttpResults } from './http.js';
import { findings } from './findings.js';
import { execution, fmtInt, fmtMs, fmtRatio, fullScans, httpOf, mark, medOf, planning } from './format.js';
import { percentile, type HostSpeed, type MachineInfo } from './lib.js';
import type { GatewaySettings } from './sql.js';

export interface ProfiledStatement {
  label: string;
  ms: number;
  samples: number[];
  rows: number;
  plan: string;
}

export interface Results {
  args: { scale: number; days: number; shortDays: number; rounds: number; realtimeCalls: number; dashboardCalls?: number; jobCalls?: number; settings: GatewaySettings };
  machine: MachineInfo;
  datasets: DatasetManifest[];
  date: string;
  verification: Array<{ name: string; scopes: number; messages: number; diffs: string[]; diffCount: number }>;
  /** Milliseconds per configuration, one entry per timed run. */
  samples: Record<string, number[]>;
  profiles: { statements?: ProfiledStatement[]; pieces?: Array<{ label: string; ms: number }>; dashboardFamilies?: Array<{ label: string; ms: number }> };
  /** Set-up before the rounds: the largest team's nightly jobs over the dashboards' days. */
  setup?: { backfillDays: number; backfillSeconds: number; refreshSeconds?: number };
  loadAverages: string[];
  http: HttpResults | null;
  seconds: number;
}

interface Row {
  /** Stable identity of the figure, to line it up with the previous run's. */
  key: string;
  figure: string;
  measured: string;
  floor: string;
  ratio: string;
  target: string;
  pass: boolean | null;
}

async function svgOf(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Every figure of a run with its floor, ratio, target and pass/fail. */
function figureRows(r: Results): Row[] {
  const s = r.samples;
  const med = medOf(r);
  const D = r.args.days;
  const SD = r.args.shortDays;
  const rows: Row[] = [];

  // 1. Snapshot job
  const job = med(`job.engine.${D}`);
  const jobFloor = med(`job.floor.${D}`);
  rows.push({
    key: 'job', figure: `Snapshot job, one Daily run, all teams and accounts (${D}-day table)`,
    measured: fmtMs(job), floor: fmtMs(jobFloor), ratio: fmtRatio(job / jobFloor), target: '≤ 1.3×', pass: job / jobFloor <= 1.3,
  });
  rows.push({
    key: 'job.floorCompute', figure: '  ↳ floor computation alone, one statement for all teams (no write, one core)',
    measured: fmtMs(med(`job.floorCompute.${D}`)), floor: '', ratio: '', target: '', pass: null,
  });
  // 2. History independence
  const j30 = med(`job.engine.${SD}`);
  const f30 = med(`job.floor.${SD}`);
  rows.push({
    key: 'history', figure: `History independence: job on the ${D}-day / ${SD}-day table`,
    measured: `${fmtMs(job)} / ${fmtMs(j30)}`, floor: `${fmtMs(jobFloor)} / ${fmtMs(f30)} (${fmtRatio(jobFloor / f30)})`,
    ratio: fmtRatio(job / j30), target: '≤ 1.2×', pass: job / j30 <= 1.2,
  });
  // 3. Real-time and dashboards
  const rt = med('realtime.engine');
  const rtFloor = med('realtime.floor');
  rows.push({
    key: 'realtime', figure: 'Real-time uncached, largest team (p50)', measured: fmtMs(rt), floor: fmtMs(rtFloor), ratio: fmtRatio(rt / rtFloor),
    target: '≤ 1.5×', pass: rt / rtFloor <= 1.5,
  });
  rows.push({ key: 'realtime.p50', figure: 'Real-time uncached, largest team: p50 latency', measured: fmtMs(rt), floor: '', ratio: '', target: '≤ 20 ms', pass: rt <= 20 });
  rows.push({
    key: 'realtime.p90', figure: '  ↳ real-time p90', measured: fmtMs(percentile(s['realtime.engine'] ?? [], 90)), floor: fmtMs(percentile(s['realtime.floor'] ?? [], 90)),
    ratio: '', target: '', pass: null,
  });
  // The floor of an uncached dashboard: the minimal steps over one window's stored activity (the two
  // windows run at once on the two cores), measured for 30 days; 365 days has no floor measured.
  const pieces = (r.profiles.pieces ?? []).filter((x) => x.label.startsWith('dashboard 30 d'));
  const dashFloor = pieces.length ? pieces.reduce((a, x) => a + x.ms, 0) : NaN;
  for (const d of [30, 365]) {
    const v = med(`dashboard${d}.engine`);
    const f = d === 30 ? dashFloor : NaN;
    const limit = d === 30 ? 150 : 1500;
    rows.push({
      key: `dashboard${d}`, figure: `Dashboard uncached, largest team, ${d} days (current + previous + series)`, measured: fmtMs(v), floor: fmtMs(f),
      ratio: fmtRatio(v / f), target: `≤ ${fmtMs(limit)}`, pass: v <= limit,
    });
    if (d === 30 && s['dashboard30.account']) {
      rows.push({
        key: 'dashboard30.account', figure: "  ↳ 30 days for the largest team's busiest account (dashboard(days: 30, whatsappAccountId))",
        measured: fmtMs(med('dashboard30.account')), floor: '', ratio: '', target: '', pass: null,
      });
    }
    const source = r.samples[`dashboard${d}.source`] ? med(`dashboard${d}.source`) : med(`dashboard${d}.floor`);
    rows.push({
      key: `dashboard${d}.source`, figure: `  ↳ ${d} days computed from the source tables (the fastest SQL over messages; no stored activity)`,
      measured: fmtMs(source), floor: '', ratio: '', target: '', pass: null,
    });
  }
  // 4–5. HTTP
  const x = httpOf(r);
  if (x) {
    const { h, g, bare, merc } = x;
    rows.push({
      key: 'polls.bare', figure: `Cached polls: gateway req/s (70 % realTimeMetrics / 30 % dashboard(days: 30), ${h.teams} teams)`,
      measured: fmtInt(g.rps), floor: `${fmtInt(bare.rps)} (node:http + Redis GET)`, ratio: fmtRatio(g.rps / bare.rps), target: '≥ 0.5×', pass: g.rps / bare.rps >= 0.5,
    });
    rows.push({
      key: 'polls.mercurius', figure: 'Cached polls: gateway / Mercurius + graphql-jit (from memory)', measured: fmtInt(g.rps), floor: `${fmtInt(merc.rps)}`,
      ratio: fmtRatio(g.rps / merc.rps), target: '≥ 1.0×', pass: g.rps / merc.rps >= 1.0,
    });
    rows.push({ key: 'polls.latency', figure: 'Cached polls: gateway p50 / p99 latency', measured: `${fmtMs(g.p50)} / ${fmtMs(g.p99)}`, floor: `${fmtMs(bare.p50)} / ${fmtMs(bare.p99)}`, ratio: '', target: 'p99 ≤ 15 ms', pass: g.p99 <= 15 });
    rows.push({ key: 'rss', figure: 'Gateway RSS under load (max)', measured: `${g.rssMaxMB.toFixed(0)} MB`, floor: '', ratio: '', target: '≤ 200 MB', pass: g.rssMaxMB <= 200 });
    if (h.batching && h.batching.length) {
      const counts = h.batching.map((b) => b.statements);
      rows.push({
        key: 'batching', figure: `SQL statements per nested request (${h.batching.map((b) => `${b.accounts} accounts`).join(', ')})`,
        measured: counts.join(' / '), floor: '', ratio: '', target: 'constant', pass: counts.every((c) => c === counts[0]),
      });
    } else {
      rows.push({ key: 'batching', figure: 'SQL statements per nested request', measured: 'not measured', floor: '', ratio: '', target: 'constant', pass: null });
    }
  } else {
    rows.push({ key: 'polls', figure: 'Cached polls over HTTP (req/s, p50, p99, RSS)', measured: 'not measured', floor: '', ratio: '', target: '≥ 0.5× bare, ≥ 1.0× Mercurius, p99 ≤ 15 ms, RSS ≤ 200 MB', pass: null });
    rows.push({ key: 'batching', figure: 'SQL statements per nested request', measured: 'not measured', floor: '', ratio: '', target: 'constant', pass: null });
  }
  return rows;
}

/**
 * Renders docs/benchmarks.md and its charts. `previous`: the results of an earlier run (e.g. before a
 * round of fixes), shown beside this run's figures ("previous run" column, grey series in the charts).
 */
export async function writeReport(r: Results, out: string, previous: Results | null = null): Promise<string[]> {
  const med = medOf(r);
  const pmed = previous ? medOf(previous) : () => NaN;
  const D = r.args.days;
  const SD = r.args.shortDays;
  const rows = figureRows(r);
  const prevRows = new Map((previous ? figureRows(previous) : []).map((x) => [x.key, x]));
  const written: string[] = [out];
  const PREV = 'gateway, previous run';

  // Charts
  const dir = dirname(out);
  mkdirSync(dir, { recursive: true });
  const charts: Array<[string, vl.TopLevelSpec]> = [];
  charts.push([
    'benchmarks-job.svg',
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: 'Snapshot job (one Daily run, all teams) vs history length', subtitle: `median of ${r.args.rounds} rounds, scale ${r.args.scale}` },
      width: 420,
      height: 260,
      data: {
        values: [
          ...[SD, D].flatMap((d) => [
            { history: d, config: 'gateway', seconds: med(`job.engine.${d}`) / 1000 },
            { history: d, config: 'floor (one statement)', seconds: med(`job.floor.${d}`) / 1000 },
            ...(previous ? [{ history: d, config: PREV, seconds: pmed(`job.engine.${d}`) / 1000 }] : []),
          ]),
        ],
      },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'history', type: 'quantitative', title: 'days of message history in the table', scale: { domain: [0, D + 10] } },
        y: { field: 'seconds', type: 'quantitative', title: 'seconds' },
        color: {
          field: 'config', type: 'nominal', title: null, legend: { orient: 'top', columns: 1, labelLimit: 400 },
          scale: { domain: ['gateway', 'floor (one statement)', PREV], range: ['#4c78a8', '#f58518', '#bbbbbb'] },
        },
      },
    },
  ]);
  const dashPieces = (r.profiles.pieces ?? []).filter((x) => x.label.startsWith('dashboard 30 d'));
  const floorOf = (key: string) =>
    key === 'realtime' ? med('realtime.floor') : key === 'dashboard30' && dashPieces.length ? dashPieces.reduce((a, x) => a + x.ms, 0) : NaN;
  const latency = [
    ['real-time (p50)', 'realtime'],
    ['dashboard 30 d', 'dashboard30'],
    ['dashboard 365 d', 'dashboard365'],
  ].flatMap(([label, key]) => [
    { figure: label, config: 'gateway', ms: med(`${key}.engine`), label: fmtMs(med(`${key}.engine`)) },
    { figure: label, config: 'floor', ms: floorOf(key!), label: fmtMs(floorOf(key!)) },
    { figure: label, config: 'from source tables', ms: med(`${key}.source`), label: fmtMs(med(`${key}.source`)) },
    ...(previous ? [{ figure: label, config: PREV, ms: pmed(`${key}.engine`), label: fmtMs(pmed(`${key}.engine`)) }] : []),
  ]).filter((x) => Number.isFinite(x.ms));
  charts.push([
    'benchmarks-latency.svg',
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: 'Uncached reads, largest team: gateway vs floor', subtitle: 'median' },
      width: 420,
      height: 200,
      data: { values: latency },
      layer: [
        { mark: { type: 'rule', color: '#bbb' }, encoding: { x: { aggregate: 'min', field: 'ms' }, x2: { aggregate: 'max', field: 'ms' } } },
        {
          mark: { type: 'point', filled: true, size: 140 },
          encoding: {
            color: {
              field: 'config', type: 'nominal', title: null, legend: { orient: 'top', labelLimit: 300 },
              scale: { domain: ['gateway', 'floor', 'from source tables', PREV], range: ['#4c78a8', '#f58518', '#54a24b', '#bbbbbb'] },
            },
          },
        },
        // Gateway labels above the points, floor labels below, so close values do not overlap.
        {
          transform: [{ filter: "datum.config === 'gateway'" }],
          mark: { type: 'text', dy: -13, fontSize: 10, color: '#4c78a8' },
          encoding: { text: { field: 'label' } },
        },
        {
          transform: [{ filter: "datum.config === 'floor'" }],
          mark: { type: 'text', dy: 15, fontSize: 10, color: '#f58518' },
          encoding: { text: { field: 'label' } },
        },
      ],
      encoding: {
        y: { field: 'figure', type: 'nominal', title: null, axis: { labelLimit: 200 } },
        x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'milliseconds (log scale)' },
      },
    },
  ]);
  const x = httpOf(r);
  if (x) {
    const px = httpOf(previous);
    const bars = [
      ...x.h.configs.map((c) => ({ config: httpLabel(c.name), rps: c.rps })),
      ...(px ? [{ config: 'gateway, previous run (Apollo per poll)', rps: px.g.rps }] : []),
    ];
    charts.push([
      'benchmarks-throughput.svg',
      {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: { text: 'Cached polls over HTTP', subtitle: `autocannon, ${x.h.connections} connections, loopback, median of ${x.h.rounds} rounds` },
        width: 380,
        height: 180,
        data: { values: bars },
        mark: 'bar',
        encoding: {
          y: { field: 'config', type: 'nominal', title: null, sort: '-x', axis: { labelLimit: 360 } },
          x: { field: 'rps', type: 'quantitative', title: 'requests per second' },
          color: { field: 'config', type: 'nominal', legend: null },
        },
      },
    ]);
  }
  for (const [file, spec] of charts) {
    const path = join(dir, file);
    writeFileSync(path, await svgOf(spec));
    written.push(path);
  }

  writeFileSync(out, markdown(r, rows, prevRows, previous, charts.map(([f]) => f)));
  return written;
}

/** Server labels for the report (the gateway's changed since the results of the previous run were saved). */
function httpLabel(name: 'gateway' | 'bare' | 'mercurius' | 'null'): string {
  return {
    gateway: 'gateway (response cache, Redis)',
    bare: 'floor: node:http + one Redis GET (2 KB)',
    mercurius: 'Mercurius + graphql-jit, from memory',
    null: 'reference: node:http answering a constant 2 KB (the load generator\'s ceiling)',
  }[name];
}

function markdown(r: Results, rows: Row[], prevRows: Map<string, Row>, previous: Results | null, charts: string[]): string {
  const m = r.machine;
  const [long, short] = r.datasets as [DatasetManifest, DatasetManifest];
  const lines: string[] = [];
  const p = (...xs: string[]) => lines.push(...xs);
  p(
    '# Benchmarks',
    '',
    `Generated by \`npm run bench -- --scale ${r.args.scale}\` on ${m.date.slice(0, 10)} (${r.seconds.toFixed(0)} s in all). ` +
      `Every figure is the median of ${r.args.rounds} interleaved rounds measured in the same run as its floor. ` +
      'Timing targets live here, never in the test suite.' +
      (previous
        ? ` The "previous run" column is the run of ${previous.machine.date.slice(0, 10)} ${previous.machine.date.slice(11, 16)} UTC ` +
          `(${previous.args.rounds} round${previous.args.rounds === 1 ? '' : 's'}, same data set), before the changes listed in Findings; its raw results are kept in ` +
          '`bench/results/results-s<scale>-previous.json`.'
        : ''),
    '',
    '## How to run',
    '',
    '```sh',
    'npm run bench -- --scale 0.01          # quick (≈ 2 min): 10 teams, 200 k messages',
    'npm run bench                          # full: 1,000 teams, 20 M messages over 90 days (+ the 30-day table)',
    'npm run bench -- --reuse --rounds 3    # keep the generated databases of an earlier run',
    'npx tsx bench/report.ts bench/results/results-s1.json docs/benchmarks.md bench/results/results-s1-previous.json   # re-render',
    '```',
    '',
    'Needs Postgres (`BENCH_DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/postgres) and Redis (`BENCH_REDIS_URL`, ' +
      'default redis://127.0.0.1:6379; the benchmark uses its database 9). It creates `analytics_bench_s<scale>_<days>d` databases. ' +
      'Raw results: `bench/results/results-s<scale>.json`; query plans: `bench/results/plan-*.txt`. ' +
      '`tests/bench/bench-smoke.test.ts` runs the same pieces at a tiny scale in CI (numbers, not timings).',
    '',
    '## Results',
    '',
    `| figure | measured | floor | ratio | target | |${previous ? ' previous run: measured (ratio) | |' : ''}`,
    `|---|---|---|---|---|---|${previous ? '---|---|' : ''}`,
    ...rows.map((x) => {
      const p = prevRows.get(x.key);
      const prev = previous ? (p ? ` ${p.measured}${p.ratio ? ` (${p.ratio})` : ''} | ${mark(p.pass)} |` : ' — | |') : '';
      return `| ${x.figure.replace(/^ {2}/, '&nbsp;&nbsp;')} | ${x.measured} | ${x.floor} | ${x.ratio} | ${x.target} | ${mark(x.pass)} |${prev}`;
    }),
    '',
    `Targets: ${rows.filter((x) => x.pass === true).length} hold, ${rows.filter((x) => x.pass === false).length} missed` +
      `${rows.some((x) => x.pass === null && x.measured === 'not measured') ? ', some not measured' : ''}` +
      (previous ? ` (previous run: ${[...prevRows.values()].filter((x) => x.pass === true).length} hold, ${[...prevRows.values()].filter((x) => x.pass === false).length} missed)` : '') +
      '. Why each miss happens: see Findings.',
    '',
    ...charts.map((c) => `![${c}](${c})`),
    '',
  );
  p(
    '## Machine',
    '',
    `- ${m.nproc} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory; ${m.postgres}; Node ${m.node}.`,
    `- Postgres settings (server defaults, untouched): ${Object.entries(m.postgresSettings).map(([k, v]) => `${k}=${v}`).join(', ')}.`,
    '- A virtual machine on a shared host: its speed varies with what the host runs (the same CPU loop, timed here minute after minute, ' +
      'varies by ±25 %). Nothing else of ours ran during the benchmark; the load averages include the benchmark itself, which keeps both ' +
      `cores busy. Load average (1/5/15 min) at start and after each round: ${r.loadAverages.join(' → ')}. ` +
      'Ratios come from interleaved rounds, so both sides of a ratio saw the same load; absolute times are pessimistic.',
    ...hostSpeedLines(m, previous?.machine),
    '',
    '## Data set',
    '',
    `Generated inside Postgres (generate_series, INSERT … SELECT) by \`bench/dataset.ts\`, migrated with the gateway's migrations ` +
      'and no other index; the tables are VACUUM ANALYZEd after the load (autovacuum is off on this server).',
    '',
    '| | teams | accounts | contacts | conversations | campaigns | messages | messages size | generated in |',
    '|---|---|---|---|---|---|---|---|---|',
    ...[long, short].map(
      (d) =>
        `| ${d.days}-day table | ${fmtInt(d.counts.teams)} | ${fmtInt(d.counts.whatsapp_accounts)} | ${fmtInt(d.counts.contacts)} | ${fmtInt(d.counts.conversations)} | ${fmtInt(d.counts.campaigns)} | ${fmtInt(d.counts.messages)} | ${(d.messagesBytes / 2 ** 20).toFixed(0)} MiB | ${d.generatedSeconds.toFixed(0)} s |`,
    ),
    '',
    `- Team sizes follow Zipf weights 1/rank: the largest team (${long.largestTeam.timezone}, ${long.largestTeam.accounts} accounts) has ` +
      `${fmtInt(long.largestTeam.messages)} messages, the median team ${fmtInt(long.medianTeamMessages)} ` +
      `(${(long.largestTeam.messages / Math.max(1, long.medianTeamMessages)).toFixed(0)}×). Teams are spread over 8 time zones ` +
      '(America/New_York, Europe/London, Asia/Kolkata, UTC, America/Los_Angeles, Europe/Berlin, Asia/Tokyo, Australia/Sydney; 5 with DST).',
    '- Conversations: 1–39 messages (mean 20) over an exponential duration (mean 6 h, ≤ 72 h); 25 % start from a campaign ' +
      '(outbound template first), the rest 80 % from the customer; then inbound/outbound with equal odds (so replies and ' +
      'answered turns occur naturally, within and across day boundaries). Outbound status: 50 % read, 30 % delivered, 14 % sent, ' +
      '2 % pending, 4 % failed; inbound: received. 85 % of conversations close 1–24 h after their last message.',
    `- The ${short.days}-day table has the same per-day density (conversations, messages and campaigns scale with the history; ` +
      'teams, accounts and contacts — the address book — do not).',
    '- Rows are appended in time order, as a CRM writes them; message ids are time-ordered (UUIDv7-like). `messages` is UNLOGGED ' +
      'in the benchmark databases (reads cost the same; the load skips ~5 GB of WAL).',
    '',
  );
  p(
    '## What is measured',
    '',
    `- **Snapshot job**: \`SnapshotService.generate({ dates: ['${r.date}'], type: 'Daily' })\` — every team's local day ${r.date}, ` +
      `team-wide and per account (${fmtInt(long.counts.teams + long.counts.whatsapp_accounts)} snapshots), with the gateway's defaults ` +
      `(pool ${r.args.settings.poolSize}, ${r.args.settings.snapshotConcurrency} batches of 250 teams at once; statement timeout raised to ` +
      `${r.args.settings.statementTimeoutMs / 1000} s so a slow batch is measured, not retried). Each batch also rewrites its days' stored ` +
      'activity (`analytics_daily_activity`), in the same transaction. **Floor**: `bench/floor.sql.ts` — one statement per batch of 250 teams, ' +
      'run with the same concurrency, that computes every metric of every scope and upserts the same rows (the metrics JSON built in SQL). ' +
      `Every job configuration runs ${r.args.jobCalls ?? 1} time(s) per round.`,
    '- **History independence**: the same job on the two tables.',
    '- **Real-time**: `computeMetrics` for the largest team, team-wide, local midnight → now (what `RealtimeService.forTeam` computes on a miss), ' +
      `${r.args.realtimeCalls} calls per round; floor: the floor statement for that window.`,
    `- **Dashboards**: \`DashboardService.get(largestTeam, days)\` through a cache that always misses, ${r.args.dashboardCalls ?? 1} call(s) per round ` +
      'and length (the from-source references once per round): a coverage look-up, then two engine ' +
      'statements in parallel (current and previous window) that merge the stored day-level activity, plus the series read. Set-up: the largest ' +
      `team's nightly jobs over its last ${r.setup?.backfillDays ?? 730} local days (\`SnapshotService.generate\`, ` +
      `${r.setup ? fmtMs(r.setup.backfillSeconds * 1000) : '—'}), as a deployment that has run, or was backfilled, that long` +
      (r.setup?.refreshSeconds !== undefined
        ? `, then the refresh of every team's stored closures that the Daily job runs after its batches (\`ActivityStore.refreshClosures\`, ${fmtMs(r.setup.refreshSeconds * 1000)})`
        : '') +
      '. Floor (30 days): ' +
      'the sum of the minimal steps over one window\'s stored activity (see Profiles). For reference, the same dashboards computed from the ' +
      'source tables by the floor statement (both windows in parallel): the "from the source tables" rows. The same 30-day dashboard ' +
      'for one account (the largest team\'s account with the most conversations) is measured alongside, without a target.',
    '- The gateway runs through its own `connectPostgres` handle, whose sessions set `jit=off` and `work_mem=32MB`; the floors run on plain ' +
      'sessions with the same settings (the server itself keeps its defaults, `jit=on`, `work_mem=4MB`).',
    '- The job and the backfill rewrite snapshot and activity rows; the benchmark VACUUMs (and ANALYZEs) those tables after the backfill and ' +
      'before every round, as autovacuum would in a live database (this server runs with autovacuum off).',
    '',
    '### The floor returns the engine\'s numbers',
    '',
    'Before anything is timed, every field of every scope (counts and rates exactly; means within 0.01, since float sums depend on summation order):',
    '',
    ...r.verification.map(
      (v) => `- ${v.name}: ${fmtInt(v.scopes)} scopes, ${fmtInt(v.messages)} messages — ${v.diffCount === 0 ? 'identical' : `**${v.diffCount} differences**: ${v.diffs.slice(0, 5).join('; ')}`}`,
    ),
    '',
  );
  const st = r.profiles.statements ?? [];
  if (st.length) {
    p(
      '## Profiles',
      '',
      'Single statements timed on fresh connections (median), with their `EXPLAIN (ANALYZE, BUFFERS)` saved under `bench/results/plan-*.txt`:',
      '',
      '| statement | median | planning | execution (EXPLAIN ANALYZE) | JIT (compile) | messages read by | full scans |',
      '|---|---|---|---|---|---|---|',
      ...st.map((x) => `| ${x.label} | ${fmtMs(x.ms)} | ${fmtMs(planning(x.plan))} | ${fmtMs(execution(x.plan))} | ${jitTime(x.plan)} | ${messagesAccess(x.plan)} | ${fullScans(x.plan)} |`),
      '',
      ...(previous?.profiles.statements?.length
        ? [
            'Previous run (before the fixes), same statements: ' +
              previous.profiles.statements.map((x) => `${x.label}: ${fmtMs(x.ms)}`).join('; ') +
              '. Plans of earlier runs are in the git history of `bench/results/`.',
            '',
          ]
        : []),
      ...(r.profiles.pieces?.length
        ? [
            'The least work an uncached figure cannot avoid, one minimal statement per step on the largest team (median of 5, same session ' +
              'settings; `SqlBench.floorPieces` in `bench/sql.ts`):',
            '',
            '| step | median |',
            '|---|---|',
            ...r.profiles.pieces.map((x) => `| ${x.label} | ${fmtMs(x.ms)} |`),
            '',
          ]
        : []),
      ...(r.profiles.dashboardFamilies?.length
        ? [
            'Where one uncached dashboard window spends its time: the engine statement of the largest team\'s current 30-day window, as ' +
              'DashboardService issues it, whole and with each metric family alone (the same statement answering with that family only; ' +
              'median of 5, interleaved; `SqlBench.dashboardFamilies`). The dashboard runs two such statements at once, for the current ' +
              'and the previous window:',
            '',
            '| statement | median |',
            '|---|---|',
            ...r.profiles.dashboardFamilies.map((x) => `| ${x.label} | ${fmtMs(x.ms)} |`),
            '',
          ]
        : []),
    );
  }
  const h = r.http;
  p('## Cached polls over HTTP and batching', '');
  if (!h || ('notMeasured' in h && h.notMeasured)) {
    p(`**Not measured**: ${h?.notMeasured?.split('\n')[0] ?? 'not run'}.`, '');
  } else {
    p(
      `autocannon, ${h.connections} connections, ${h.durationSeconds} s per run, loopback only, ${h.rounds} interleaved rounds (median). ` +
        `${h.teams} teams, one signed HS256 JWT each (member role, 1 h expiry), requests spread over them; ` +
        '70 % `realTimeMetrics`, 30 % `dashboard(days: 30)`, the same GraphQL documents for every server. Caches warmed before measuring ' +
        '(the gateway is re-warmed right before each of its runs: real-time answers live 30 s). The gateway runs as `npm start` does (the compiled ' +
        'build, `node dist/main.js`, NODE_ENV=production, Redis cache, its own database pool), with its whole-answer response cache checked right ' +
        'after the token is verified; Mercurius resolves the same schema (`schema.graphql`) from memory and checks no token; the bare server ' +
        'answers every request with one Redis GET; the reference server does no work at all, so its figures are what the load generator itself can ' +
        'drive on this machine. Each server is a child process (the references start through tsx); RSS is sampled from /proc every 200 ms.',
      '',
      '| server | req/s | p50 | p99 | RSS max | errors / non-2xx |',
      '|---|---|---|---|---|---|',
      ...h.configs.map((c) => `| ${httpLabel(c.name)} | ${fmtInt(c.rps)} | ${fmtMs(c.p50)} | ${fmtMs(c.p99)} | ${c.rssMaxMB ? `${c.rssMaxMB.toFixed(0)} MB` : '—'} | ${c.errors} / ${c.non2xx} |`),
      '',
    );
    if (h.batching?.length) {
      p(
        'Statements per nested request (`Database.statements.count` around one HTTP request, cold cache):',
        '',
        '| accounts | statements |',
        '|---|---|',
        ...h.batching.map((b) => `| ${b.accounts} | ${b.statements} |`),
        '',
        `Query: \`${h.batchingQuery ?? ''}\``,
        '',
      );
    }
    if (h.notes?.length) p(...h.notes.map((n) => `- ${n}`), '');
  }
  p('## Findings', '', ...findings(r, previous), '');
  return lines.join('\n');
}

/** How the statement's window scan reads `messages`: a full scan, or index range scans. */
function messagesAccess(plan: string): string {
  if (/Seq Scan on messages x/.test(plan) || /Parallel Seq Scan on messages x/.test(plan)) return '**full scan** (Seq Scan)';
  if (/(Bitmap Index Scan|Index Scan) on messages_team_created_idx/.test(plan) || /using messages_team_created_idx/.test(plan)) return 'per-team index range';
  return '—';
}

function jitTime(plan: string): string {
  const m = /Timing: .*Total ([\d.]+) ms/.exec(plan);
  return m ? fmtMs(Number(m[1])) : 'no JIT';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? 'bench/results/results-s1.json';
  const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
  const prevFile = process.argv[4] ?? file.replace(/\.json$/, '-previous.json');
  const previous = existsSync(prevFile) ? (JSON.parse(readFileSync(prevFile, 'utf8')) as Results) : null;
  writeReport(results, process.argv[3] ?? 'docs/benchmarks.md', previous).then((files) => console.log(`wrote ${files.join(', ')}`));
}

/** The host's speed on fixed work, this run (start → end) and the previous run, when they were timed. */
function hostSpeedLines(m: MachineInfo, prev: MachineInfo | undefined): string[] {
  if (!m.speed) return [];
  const fmt = (x: { start: HostSpeed; end?: HostSpeed }, pick: (h: HostSpeed) => number) =>
    x.end ? `${fmtMs(pick(x.start))} → ${fmtMs(pick(x.end))}` : fmtMs(pick(x.start));
  const before = prev?.speed ? ` (previous run: ${fmt(prev.speed, (h) => h.sqlMs)} and ${fmt(prev.speed, (h) => h.jsMs)})` : '';
  return [
    `- Host speed, the same fixed work timed at the start and the end of the run: a SQL loop (\`sum(i)\` over \`generate_series(1, 5000000)\`, ` +
      `JIT off) ${fmt(m.speed, (h) => h.sqlMs)}, a JavaScript loop of 200 million additions ${fmt(m.speed, (h) => h.jsMs)}${before}. ` +
      'Absolute times of different runs compare only as far as these do.',
  ];
}
