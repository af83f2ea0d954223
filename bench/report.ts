/**
 * Writes docs/benchmarks.md (every figure with its floor, ratio, target and pass/fail, the machine,
 * the data set, the checks and the profiles) and the SVG charts (vega-lite rendered by vega in Node,
 * no browser): docs/benchmarks-throughput.svg, docs/benchmarks-job.svg, docs/benchmarks-latency.svg.
 *
 * `npx tsx bench/report.ts bench/results/results-s1.json` re-renders a report from saved results.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { DatasetManifest } from './dataset.js';
import type { HttpResults } from './http.js';
import { median, percentile, type MachineInfo } from './lib.js';
import type { GatewaySettings } from './sql.js';

export interface ProfiledStatement {
  label: string;
  ms: number;
  samples: number[];
  rows: number;
  plan: string;
}

export interface Results {
  args: { scale: number; days: number; shortDays: number; rounds: number; realtimeCalls: number; settings: GatewaySettings };
  machine: MachineInfo;
  datasets: DatasetManifest[];
  date: string;
  verification: Array<{ name: string; scopes: number; messages: number; diffs: string[]; diffCount: number }>;
  /** Milliseconds per configuration, one entry per timed run. */
  samples: Record<string, number[]>;
  profiles: { patchesApplied?: string[]; patchedSameRows?: boolean; statements?: ProfiledStatement[] };
  loadAverages: string[];
  http: HttpResults | null;
  seconds: number;
}

interface Row {
  figure: string;
  measured: string;
  floor: string;
  ratio: string;
  target: string;
  pass: boolean | null;
}

const fmtMs = (x: number | undefined) =>
  x === undefined || Number.isNaN(x) ? '—' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`;
const fmtRatio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');
const mark = (p: boolean | null) => (p === null ? 'n/a' : p ? '**pass**' : '**FAIL**');

async function svgOf(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export async function writeReport(r: Results, out: string): Promise<string[]> {
  const s = r.samples;
  const med = (k: string) => (s[k]?.length ? median(s[k]!) : NaN);
  const D = r.args.days;
  const SD = r.args.shortDays;
  const rows: Row[] = [];
  const written: string[] = [out];

  // 1. Snapshot job
  const job = med(`job.engine.${D}`);
  const jobFloor = med(`job.floor.${D}`);
  const jobNoJit = med(`job.engineNoJit.${D}`);
  rows.push({
    figure: `Snapshot job, one Daily run, all teams and accounts (${D}-day table)`,
    measured: fmtMs(job), floor: fmtMs(jobFloor), ratio: fmtRatio(job / jobFloor), target: '≤ 1.3×', pass: job / jobFloor <= 1.3,
  });
  rows.push({
    figure: '  ↳ same job, gateway sessions with `jit=off` (proposed fix)',
    measured: fmtMs(jobNoJit), floor: fmtMs(jobFloor), ratio: fmtRatio(jobNoJit / jobFloor), target: '(≤ 1.3×)', pass: null,
  });
  rows.push({
    figure: '  ↳ floor computation alone (no write)',
    measured: fmtMs(med(`job.floorCompute.${D}`)), floor: '', ratio: '', target: '', pass: null,
  });
  // 2. History independence
  const j30 = med(`job.engine.${SD}`);
  const f30 = med(`job.floor.${SD}`);
  const n30 = med(`job.engineNoJit.${SD}`);
  rows.push({
    figure: `History independence: job on the ${D}-day / ${SD}-day table`,
    measured: `${fmtMs(job)} / ${fmtMs(j30)}`, floor: `${fmtMs(jobFloor)} / ${fmtMs(f30)} (${fmtRatio(jobFloor / f30)})`,
    ratio: fmtRatio(job / j30), target: '≤ 1.2×', pass: job / j30 <= 1.2,
  });
  rows.push({
    figure: '  ↳ same, gateway sessions with `jit=off`',
    measured: `${fmtMs(jobNoJit)} / ${fmtMs(n30)}`, floor: '', ratio: fmtRatio(jobNoJit / n30), target: '(≤ 1.2×)', pass: null,
  });
  // 3. Real-time and dashboards
  const rt = med('realtime.engine');
  const rtFloor = med('realtime.floor');
  rows.push({
    figure: 'Real-time uncached, largest team (p50)', measured: fmtMs(rt), floor: fmtMs(rtFloor), ratio: fmtRatio(rt / rtFloor),
    target: '≤ 1.5×', pass: rt / rtFloor <= 1.5,
  });
  rows.push({ figure: 'Real-time uncached, largest team: p50 latency', measured: fmtMs(rt), floor: '', ratio: '', target: '≤ 20 ms', pass: rt <= 20 });
  rows.push({
    figure: '  ↳ real-time p90', measured: fmtMs(percentile(s['realtime.engine'] ?? [], 90)), floor: fmtMs(percentile(s['realtime.floor'] ?? [], 90)),
    ratio: '', target: '', pass: null,
  });
  for (const d of [30, 365]) {
    const v = med(`dashboard${d}.engine`);
    const f = med(`dashboard${d}.floor`);
    const limit = d === 30 ? 150 : 1500;
    rows.push({
      figure: `Dashboard uncached, largest team, ${d} days (current + previous + series)`, measured: fmtMs(v), floor: fmtMs(f),
      ratio: fmtRatio(v / f), target: `≤ ${fmtMs(limit)}`, pass: v <= limit,
    });
  }
  // 4–5. HTTP
  const h = r.http;
  const httpMeasured = h && !('notMeasured' in h && h.notMeasured);
  if (httpMeasured) {
    const g = h.configs.find((c) => c.name === 'gateway')!;
    const bare = h.configs.find((c) => c.name === 'bare')!;
    const merc = h.configs.find((c) => c.name === 'mercurius')!;
    rows.push({
      figure: `Cached polls: gateway req/s (70 % realTimeMetrics / 30 % dashboard(days: 30), ${h.teams} teams)`,
      measured: fmtInt(g.rps), floor: `${fmtInt(bare.rps)} (node:http + Redis GET)`, ratio: fmtRatio(g.rps / bare.rps), target: '≥ 0.5×', pass: g.rps / bare.rps >= 0.5,
    });
    rows.push({
      figure: 'Cached polls: gateway / Mercurius + graphql-jit (from memory)', measured: fmtInt(g.rps), floor: `${fmtInt(merc.rps)}`,
      ratio: fmtRatio(g.rps / merc.rps), target: '≥ 1.0×', pass: g.rps / merc.rps >= 1.0,
    });
    rows.push({ figure: 'Cached polls: gateway p50 / p99 latency', measured: `${fmtMs(g.p50)} / ${fmtMs(g.p99)}`, floor: `${fmtMs(bare.p50)} / ${fmtMs(bare.p99)}`, ratio: '', target: 'p99 ≤ 15 ms', pass: g.p99 <= 15 });
    rows.push({ figure: 'Gateway RSS under load (max)', measured: `${g.rssMaxMB.toFixed(0)} MB`, floor: '', ratio: '', target: '≤ 200 MB', pass: g.rssMaxMB <= 200 });
    if (h.batching && h.batching.length) {
      const counts = h.batching.map((b) => b.statements);
      rows.push({
        figure: `SQL statements per nested request (${h.batching.map((b) => `${b.accounts} accounts`).join(', ')})`,
        measured: counts.join(' / '), floor: '', ratio: '', target: 'constant', pass: counts.every((c) => c === counts[0]),
      });
    } else {
      rows.push({ figure: 'SQL statements per nested request', measured: 'not measured', floor: '', ratio: '', target: 'constant', pass: null });
    }
  } else {
    rows.push({ figure: 'Cached polls over HTTP (req/s, p50, p99, RSS)', measured: 'not measured', floor: '', ratio: '', target: '≥ 0.5× bare, ≥ 1.0× Mercurius, p99 ≤ 15 ms, RSS ≤ 200 MB', pass: null });
    rows.push({ figure: 'SQL statements per nested request', measured: 'not measured', floor: '', ratio: '', target: 'constant', pass: null });
  }

  // Charts
  const dir = dirname(out);
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
            { history: d, config: 'gateway (server default: JIT on)', seconds: med(`job.engine.${d}`) / 1000 },
            { history: d, config: 'gateway, jit=off', seconds: med(`job.engineNoJit.${d}`) / 1000 },
            { history: d, config: 'floor (one statement)', seconds: med(`job.floor.${d}`) / 1000 },
          ]),
        ],
      },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'history', type: 'quantitative', title: 'days of message history in the table', scale: { domain: [0, D + 10] } },
        y: { field: 'seconds', type: 'quantitative', title: 'seconds' },
        color: { field: 'config', type: 'nominal', title: null, legend: { orient: 'top', columns: 1, labelLimit: 400 } },
      },
    },
  ]);
  const latency = [
    ['real-time (p50)', 'realtime'],
    ['dashboard 30 d', 'dashboard30'],
    ['dashboard 365 d', 'dashboard365'],
  ].flatMap(([label, key]) => [
    { figure: label, config: 'gateway', ms: med(`${key}.engine`), label: fmtMs(med(`${key}.engine`)) },
    { figure: label, config: 'floor', ms: med(`${key}.floor`), label: fmtMs(med(`${key}.floor`)) },
  ]);
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
        { mark: { type: 'point', filled: true, size: 140 }, encoding: { color: { field: 'config', type: 'nominal', title: null, legend: { orient: 'top' } } } },
        // Gateway labels above the points, floor labels below, so close values do not overlap.
        {
          transform: [{ filter: "datum.config === 'gateway'" }],
          mark: { type: 'text', dy: -13, fontSize: 10 },
          encoding: { text: { field: 'label' }, color: { field: 'config', type: 'nominal', legend: null } },
        },
        {
          transform: [{ filter: "datum.config === 'floor'" }],
          mark: { type: 'text', dy: 15, fontSize: 10 },
          encoding: { text: { field: 'label' }, color: { field: 'config', type: 'nominal', legend: null } },
        },
      ],
      encoding: {
        y: { field: 'figure', type: 'nominal', title: null, axis: { labelLimit: 200 } },
        x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'milliseconds (log scale)' },
      },
    },
  ]);
  if (httpMeasured) {
    charts.push([
      'benchmarks-throughput.svg',
      {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: { text: 'Cached polls over HTTP', subtitle: `autocannon, ${h.connections} connections, loopback, median of ${h.rounds} rounds` },
        width: 380,
        height: 180,
        data: { values: h.configs.map((c) => ({ config: c.label, rps: c.rps })) },
        mark: 'bar',
        encoding: {
          y: { field: 'config', type: 'nominal', title: null, sort: '-x', axis: { labelLimit: 320 } },
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

  writeFileSync(out, markdown(r, rows, charts.map(([f]) => f)));
  return written;
}

function markdown(r: Results, rows: Row[], charts: string[]): string {
  const m = r.machine;
  const [long, short] = r.datasets as [DatasetManifest, DatasetManifest];
  const lines: string[] = [];
  const p = (...xs: string[]) => lines.push(...xs);
  p(
    '# Benchmarks',
    '',
    `Generated by \`npm run bench -- --scale ${r.args.scale}\` on ${m.date.slice(0, 10)} (${r.seconds.toFixed(0)} s in all). ` +
      `Every figure is the median of ${r.args.rounds} interleaved rounds measured in the same run as its floor. ` +
      'Timing targets live here, never in the test suite.',
    '',
    '## How to run',
    '',
    '```sh',
    'npm run bench -- --scale 0.01          # quick (≈ 2 min): 10 teams, 200 k messages',
    'npm run bench                          # full: 1,000 teams, 20 M messages over 90 days (+ the 30-day table)',
    'npm run bench -- --reuse --rounds 3    # keep the generated databases of an earlier run',
    '```',
    '',
    'Needs Postgres (`BENCH_DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/postgres) and Redis (`BENCH_REDIS_URL`, ' +
      'default redis://127.0.0.1:6379; the benchmark uses its database 9). It creates `analytics_bench_s<scale>_<days>d` databases. ' +
      'Raw results: `bench/results/results-s<scale>.json`; query plans: `bench/results/plan-*.txt`. ' +
      '`tests/bench/bench-smoke.test.ts` runs the same pieces at a tiny scale in CI (numbers, not timings).',
    '',
    '## Results',
    '',
    '| figure | measured | floor | ratio | target | |',
    '|---|---|---|---|---|---|',
    ...rows.map((x) => `| ${x.figure.replace(/^ {2}/, '&nbsp;&nbsp;')} | ${x.measured} | ${x.floor} | ${x.ratio} | ${x.target} | ${mark(x.pass)} |`),
    '',
    `Targets: ${rows.filter((x) => x.pass === true).length} hold, ${rows.filter((x) => x.pass === false).length} missed` +
      `${rows.some((x) => x.pass === null && x.measured === 'not measured') ? ', some not measured' : ''}. Rows in parentheses are informational ` +
      '(the gateway with a proposed fix, measured in the same rounds). Why each miss happens and what fixes it: see Findings.',
    '',
    ...charts.map((c) => `![${c}](${c})`),
    '',
  );
  p(
    '## Machine',
    '',
    `- ${m.nproc} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory; ${m.postgres}; Node ${m.node}.`,
    `- Postgres settings (server defaults, untouched): ${Object.entries(m.postgresSettings).map(([k, v]) => `${k}=${v}`).join(', ')}.`,
    `- Shared machine: other test suites ran at the same time. Load average (1/5/15 min) at start and after each round: ${r.loadAverages.join(' → ')}. ` +
      'Ratios come from interleaved rounds, so both sides of a ratio saw the same load; absolute times are pessimistic.',
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
      `${r.args.settings.statementTimeoutMs / 1000} s so a slow batch is measured, not retried). **Floor**: \`bench/floor.sql.ts\` — one ` +
      'statement that computes every metric of every scope and upserts the same rows (the metrics JSON built in SQL).',
    '- **History independence**: the same job on the two tables.',
    '- **Real-time**: `computeMetrics` for the largest team, team-wide, local midnight → now (what `RealtimeService.forTeam` computes on a miss), ' +
      `${r.args.realtimeCalls} calls per round; floor: the floor statement for that window.`,
    '- **Dashboards**: `DashboardService.get(largestTeam, days)` through a cache that always misses (two engine statements in parallel plus the ' +
      'series read); floor: the floor statement for the current and previous windows, in parallel.',
    '- The floors run with `jit=off` (the fastest this server can do); the gateway runs as it would in production, with the server\'s settings ' +
      '(JIT on). The rows marked "jit=off" run the gateway\'s own code on sessions with `jit=off`.',
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
      '| statement | median | planning | JIT (compile) | messages read by |',
      '|---|---|---|---|---|',
      ...st.map((x) => `| ${x.label} | ${fmtMs(x.ms)} | ${fmtMs(planning(x.plan))} | ${jitTime(x.plan)} | ${messagesAccess(x.plan)} |`),
      '',
      `Proposed SQL changes applied for the third row: ${(r.profiles.patchesApplied ?? []).join('; ') || 'none'} — ` +
        `${r.profiles.patchedSameRows ? 'same rows as the original statement' : '**rows differ from the original statement**'}.`,
      '',
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
        '(the gateway is re-warmed before each of its runs: real-time answers live 30 s). The gateway runs as `npm start` does (tsx, NODE_ENV=production, ' +
        'Redis cache, its own database pool); Mercurius resolves the same schema (`schema.graphql`) from memory and checks no token; the bare server ' +
        'answers every request with one Redis GET. Each server is a child process; RSS is sampled from /proc every 200 ms.',
      '',
      '| server | req/s | p50 | p99 | RSS max | errors / non-2xx |',
      '|---|---|---|---|---|---|',
      ...h.configs.map((c) => `| ${c.label} | ${fmtInt(c.rps)} | ${fmtMs(c.p50)} | ${fmtMs(c.p99)} | ${c.rssMaxMB ? `${c.rssMaxMB.toFixed(0)} MB` : '—'} | ${c.errors} / ${c.non2xx} |`),
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
  p('## Findings', '', ...findings(r), '');
  return lines.join('\n');
}

const planning = (plan: string) => Number(/Planning Time: ([\d.]+) ms/.exec(plan)?.[1] ?? NaN);
const jitMs = (plan: string) => Number(/Timing: .*Total ([\d.]+) ms/.exec(plan)?.[1] ?? 0);

/** How the statement's window scan reads `messages`: a full scan, or index range scans. */
function messagesAccess(plan: string): string {
  if (/Seq Scan on messages x/.test(plan) || /Parallel Seq Scan on messages x/.test(plan)) return '**full scan** (Seq Scan)';
  if (/(Bitmap Index Scan|Index Scan) on messages_team_created_idx/.test(plan) || /using messages_team_created_idx/.test(plan)) return 'per-team index range';
  return '—';
}

/**
 * What the run shows, with its numbers. The analysis (causes and fixes) was established by profiling
 * (EXPLAIN (ANALYZE, BUFFERS) of the statements above, saved under bench/results/) and holds for the
 * gateway code as benchmarked; the numbers are this run's.
 */
function findings(r: Results): string[] {
  const s = r.samples;
  const med = (k: string) => (s[k]?.length ? median(s[k]!) : NaN);
  const D = r.args.days;
  const SD = r.args.shortDays;
  const st = r.profiles.statements ?? [];
  const find = (re: RegExp) => st.find((x) => re.test(x.label));
  const batchJit = find(/batch statement \(250 teams\), server default/);
  const batchNoJit = find(/batch statement, jit=off$/);
  const batchPatched = find(/proposed SQL changes/);
  const floorBatch = find(/^floor, same 250 teams/);
  const rtJit = find(/real-time statement \(largest team\)/);
  const rtNoJit = find(/real-time statement, jit=off/);
  const seq = (plan: string | undefined, table: string) => (plan ? new RegExp(`Seq Scan on ${table} \\w+ .*rows=(\\d+)`).exec(plan)?.[1] : undefined);
  const out: string[] = [];
  if (batchJit && batchNoJit) {
    out.push(
      `1. **Postgres JIT compiles every engine statement, and that dominates.** The server runs with \`jit=on\` (the PG 15 default). ` +
        'The engine statement is large (≈ 230 expressions) and its cost estimate is inflated by the LATERAL neighbour probes, so it crosses ' +
        '`jit_above_cost`, `jit_optimize_above_cost` and `jit_inline_above_cost`: LLVM compilation costs ' +
        `${fmtMs(jitMs(batchJit.plan))} for one 250-team batch statement (${fmtMs(batchJit.ms)} in all, ${fmtMs(batchNoJit.ms)} with \`jit=off\`)` +
        (rtJit && rtNoJit ? ` and ${fmtMs(jitMs(rtJit.plan))} for the largest team's real-time statement (${fmtMs(rtJit.ms)} in all, ${fmtMs(rtNoJit.ms)} with \`jit=off\`).` : '.') +
        ` On the whole job: ${fmtMs(med(`job.engine.${D}`))} with JIT, ${fmtMs(med(`job.engineNoJit.${D}`))} without ` +
        `(${fmtRatio(med(`job.engine.${D}`) / med(`job.floor.${D}`))} → ${fmtRatio(med(`job.engineNoJit.${D}`) / med(`job.floor.${D}`))} of the floor). ` +
        '**Fix** (`src/db/client.ts`, not one of my files): turn JIT off for the gateway\'s sessions — in `connectPostgres`, pass ' +
        "`options: '-c jit=off'` to `new pg.Pool({...})` (or `SET LOCAL jit = off` around the engine statement). Every analytic statement of the gateway " +
        'is re-planned per call and runs for well under a minute, the case where JIT never pays back. The "jit=off" rows measure this change on the gateway\'s own code.',
    );
  }
  if (batchNoJit && batchPatched) {
    const conv = seq(batchNoJit.plan, 'conversations');
    const cont = seq(batchNoJit.plan, 'contacts');
    const msgFull = /Seq Scan on messages x/.test(batchNoJit.plan);
    out.push(
      '2. **The job statement reads whole tables after the message pass.** ' +
        (conv ? `To find the window's conversations it hash-joins a full scan of \`conversations\` (${fmtInt(Number(conv))} rows) ` : '') +
        (cont ? `and, for the engagement scores, a full scan of \`contacts\` (${fmtInt(Number(cont))} rows), ` : '') +
        'instead of primary-key look-ups of the few thousand it needs: the planner cannot see the windows (`unnest` of array parameters) and ' +
        'over-estimates how many conversations and contacts the message pass yields. `conversations` grows with the history, which is what is left of the history dependence ' +
        `(${D}/${SD}-day ratio ${fmtRatio(med(`job.engineNoJit.${D}`) / med(`job.engineNoJit.${SD}`))} with jit=off). ` +
        (msgFull
          ? 'In this run the window\'s messages were also read by a full Seq Scan of `messages`. '
          : 'At this scale the messages themselves are read by per-team range scans, but on a smaller table (scale 0.1, batches of 100 teams) the same ' +
            'statement chose a full Seq Scan of `messages` hash-joined to the windows (the range conditions get default selectivities) — the job then reads the whole history. ') +
        '**Fix**: in `src/metrics/sql/conversations.sql.ts` replace `JOIN conversations c ON c.id = t.conversation_id AND c.team_id = t.team_id` with ' +
        '`CROSS JOIN LATERAL (SELECT * FROM conversations c WHERE c.id = t.conversation_id AND c.team_id = t.team_id OFFSET 0) c`; the same in ' +
        '`src/metrics/sql/contacts.sql.ts` (`engagement_agg`) for `contacts ct` on `ct.id = p.contact_id`; and in `src/metrics/sql/messages.sql.ts` ' +
        '(`messageRowsSql`) read the window with `FROM w CROSS JOIN LATERAL (SELECT * FROM messages x WHERE x.team_id = w.team_id AND ' +
        'x.created_at >= w.start_at AND x.created_at < w.end_at ${accountFilter} OFFSET 0) x`, which pins one `messages_team_created_idx` range scan per team ' +
        '(`OFFSET 0` stops the planner from flattening the subquery back into a join). ' +
        `Measured on the job's first batch statement (250 teams, jit=off): ${fmtMs(batchNoJit.ms)} → ${fmtMs(batchPatched.ms)} ` +
        `(${fmtRatio(batchPatched.ms / batchNoJit.ms)}; ${r.profiles.patchedSameRows ? 'identical results' : 'RESULTS DIFFER — do not apply as is'}, ` +
        `also checked by tests/bench/bench-smoke.test.ts)` +
        (floorBatch ? `; the floor statement does the same 250 teams in ${fmtMs(floorBatch.ms)}, so with 1 and 2 the engine\'s computation is at the floor ` +
          'and what is left of the job ratio is the round trip of the metrics JSON (built in Node, sent back as one jsonb parameter, upserted) and ' +
          `running ${r.args.settings.snapshotConcurrency} batch statements at once on ${r.machine.nproc} cores (not measured separately).` : '.'),
    );
  }
  const rt = med('realtime.engine');
  const rtFloor = med('realtime.floor');
  if (rtNoJit) {
    const contacts = /Bitmap Heap Scan on contacts ct .*rows=(\d+)/.exec(rtNoJit.plan)?.[1];
    out.push(
      `3. **Real-time** (largest team, ${fmtInt(r.verification.find((v) => v.name.startsWith('real-time'))?.messages ?? 0)} messages since local midnight): ` +
        `p50 ${fmtMs(rt)} vs floor ${fmtMs(rtFloor)}. Besides JIT (finding 1): ` +
        (contacts ? `(a) contacts.total/new/blocked read every contact of the team on every call (${fmtInt(Number(contacts))} heap rows for this team), ` +
          'the largest part of the statement; ' : '') +
        '(b) a team-wide request still aggregates every account (GROUPING SETS with `(team_id, account_id)` in all five families) and sorts the ' +
        'contacts by account for it; (c) the statement is re-planned on every call ' +
        `(${fmtMs(planning(rtNoJit.plan))} of planning here). **Fixes**: group by team only when \`accounts: 'none'\` (the \`GROUPING SETS\` ` +
        'are fixed in `src/metrics/sql/*.sql.ts`; make them depend on the request); a covering index `contacts (team_id, created_at) INCLUDE (whatsapp_account_id, blocked_at)` ' +
        'in the gateway\'s migration so the contact counts are an index-only scan; prepared statements (node-pg `{ name, text, values }`). ' +
        `**The 20 ms target is not reachable by computing from the source tables on this machine**: the floor, which does the least work we could write, ` +
        `needs ${fmtMs(rtFloor)} (p50) for this team, and its largest step (≈ half of it in EXPLAIN ANALYZE) is counting the team\'s ${contacts ? fmtInt(Number(contacts)) : ''} contacts; below that needs ` +
        'per-team counters (contacts created/blocked per day in a table maintained by the job, plus today\'s rows).',
    );
  }
  const d30 = med('dashboard30.engine');
  const d30f = med('dashboard30.floor');
  const d365 = med('dashboard365.engine');
  const d365f = med('dashboard365.floor');
  out.push(
    `4. **Dashboards uncached** (largest team): 30 d ${fmtMs(d30)} (floor ${fmtMs(d30f)}), 365 d ${fmtMs(d365)} (floor ${fmtMs(d365f)}). ` +
      `The targets (150 ms, 1.5 s) **cannot be met by any computation from the source tables** here: the 30-day windows hold ` +
      `${fmtInt(r.verification.find((v) => v.name.startsWith('dashboard'))?.messages ?? 0)} messages of this team (×2 with the previous window), ` +
      'and even the floor takes seconds to read, sort and aggregate them (the engine is no slower than the floor: both are bound by the data). ' +
      'The spec requires exact distinct counts over the window (active contacts, conversations), so Daily snapshots cannot simply be summed. ' +
      'Reaching the targets needs a mergeable pre-aggregate written by the nightly job — e.g. one row per (team, account, contact, day) and per ' +
      '(team, account, conversation, day) with the counts the metrics need (≈ 20× fewer rows than messages), merged with one GROUP BY over the window ' +
      'plus today\'s raw rows — or relying on the cache, which the gateway already warms (7- and 30-day dashboards) after a team\'s snapshots are written.',
  );
  const h = r.http;
  if (h && !h.notMeasured && h.configs?.length) {
    const g = h.configs.find((c) => c.name === 'gateway')!;
    const bare = h.configs.find((c) => c.name === 'bare')!;
    const merc = h.configs.find((c) => c.name === 'mercurius')!;
    out.push(
      `5. **Cached polls**: the gateway serves ${fmtInt(g.rps)} req/s (p50 ${fmtMs(g.p50)}, p99 ${fmtMs(g.p99)}) against ${fmtInt(bare.rps)} for node:http + Redis GET ` +
        `and ${fmtInt(merc.rps)} for Mercurius + graphql-jit. Every poll, cached or not, runs Apollo's whole request pipeline ` +
        '(parse, validate, plugins, resolvers, one Redis GET per cached field, serialisation), and real-time entries expire every 30 s, so ' +
        'some polls in each run recompute with JIT on. ' +
        '**Fix** (HTTP layer, not in my files): a response cache checked right after the token is verified, keyed by team, operation and variables ' +
        '(`analytics:response:{teamId}:{hash}`), holding the serialised response with the data cache\'s TTL (30 s real-time, 300 s dashboard) and ' +
        'cleared by the same per-team invalidation, so a hit costs what the floor costs: one Redis GET and one write. ' +
        `Gateway RSS reached ${g.rssMaxMB.toFixed(0)} MB under load (the bare and Mercurius processes, under the same tsx loader, stay at ` +
        `≈ ${bare.rssMaxMB.toFixed(0)}–${merc.rssMaxMB.toFixed(0)} MB); not profiled further here.`,
    );
    const failedWarm = h.notes.find((n) => /failed to warm/.test(n));
    if (failedWarm) {
      out.push(
        '6. **Errors seen**: during the cold warm-up (8 teams at a time, each asking real-time and the 30-day dashboard at once) the gateway answered ' +
          '`INTERNAL_SERVER_ERROR` on `dashboard(days: 30)` for some teams (see the notes above); the measured runs had no errors and no non-2xx. ' +
          'Worth reproducing with logs on: a cold dashboard under concurrency should be slow, not fail.',
      );
    }
    if (h.batching?.length) {
      const counts = h.batching.map((b) => b.statements);
      out.push(
        `${failedWarm ? 7 : 6}. **Batching** holds: ${h.batching.map((b) => `${b.accounts} accounts → ${b.statements}`).join(', ')} statements for one nested request ` +
          `(${counts.every((c) => c === counts[0]) ? 'constant' : 'NOT constant'}).`,
      );
    }
  }
  out.push(
    '',
    'The machine was shared with other engineers\' test suites during the run (see the load averages above): absolute times are pessimistic, ' +
      'ratios are measured side by side in interleaved rounds.',
  );
  return out;
}

function jitTime(plan: string): string {
  const m = /Timing: .*Total ([\d.]+) ms/.exec(plan);
  return m ? fmtMs(Number(m[1])) : 'no JIT';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? 'bench/results/results-s1.json';
  const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
  writeReport(results, process.argv[3] ?? 'docs/benchmarks.md').then((files) => console.log(`wrote ${files.join(', ')}`));
}
