/**
 * Load (issue 7, item 1): the real gateway (`node dist/main.js`, as `npm start` runs it, production mode, Redis,
 * scheduler off) over a test database with the demo data plus many generated teams, polled by 200
 * connections with the mix of a dashboard page — 70 % realTimeMetrics, 25 % dashboard, 5 % snapshots —
 * for 30 s (CI) or 10 min (SOAK=1), after a warm-up. Zero errors, zero 5xx, p99 reported, RSS of the
 * gateway process at the end within 20 % of its RSS after the warm-up.
 *
 * The gateway uses a private redis-server: the demo teams have fixed ids, so on the shared Redis the
 * cache keys of this database could meet those of another test's database.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeDays } from '../../src/metrics/periods.js';
import { backendName, createTestDatabase, type TestDatabase } from '../support/db.js';
import { RedisServer, redisServerInstalled } from '../support/redis-server.js';
import { GatewayProcess, getJson, startPrivateRedis } from '../support/reliability-gateway.js';
import { pollingMix, runLoad, sampler, type LoadResult } from '../support/reliability-load.js';
import { ReportSection, SOAK, percentile, round } from '../support/reliability-report.js';
import { seedRealistic, seedTeams, tokensFor, type SeededTeam, type TeamToken } from '../support/reliability-seed.js';

const CONNECTIONS = Number(process.env.RELIABILITY_CONNECTIONS ?? 200);
const WARMUP_S = Number(process.env.RELIABILITY_WARMUP_SECONDS ?? (SOAK ? 60 : 20));
const LOAD_S = Number(process.env.RELIABILITY_LOAD_SECONDS ?? (SOAK ? 600 : 30));
const EXTRA_TEAMS = SOAK ? 96 : 36;
const RSS_TOLERANCE = 0.2;
/** "RSS after warm-up" and "RSS at the end" are medians over this window (RSS moves with each GC). */
const RSS_WINDOW_S = 5;

const why = backendName() !== 'postgres' ? 'no Postgres at TEST_DATABASE_URL' : !redisServerInstalled() ? 'no redis-server binary on PATH' : null;
const title = `load: ${CONNECTIONS} connections, 70/25/5 mix, ${LOAD_S} s`;

const report = new ReportSection('load', 'Load', 1);

describe.skipIf(why !== null)(why ? `${title} — NOT RUN: ${why} (set REQUIRE_SERVICES=1 to fail instead)` : title, () => {
  let db: TestDatabase;
  let redis: RedisServer;
  let gateway: GatewayProcess | undefined;
  let tokens: TeamToken[];
  let from: string;
  let to: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await startPrivateRedis();
    const seeded = await seedRealistic(db.database, db.url!, { extraTeams: EXTRA_TEAMS, days: 35 });
    tokens = await tokensFor(seeded.teams);
    const days = completeDays(30, 'UTC').dates;
    [from, to] = [days[0]!, days.at(-1)!];
    report.set('teams (tokens)', seeded.teams.length);
    report.set('rows seeded', Object.entries(seeded.rows).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', '));
    gateway = await GatewayProcess.start({ env: { DATABASE_URL: db.url!, REDIS_URL: redis.url } });
  }, 300_000);

  afterAll(async ({}, suite) => {
    try {
      await gateway?.stop();
      await redis?.stop();
      await db?.drop();
    } finally {
      await report.write(suite);
    }
  });

  it(`serves ${LOAD_S} s of polling from ${CONNECTIONS} connections: zero errors, zero 5xx, RSS flat`, { timeout: (WARMUP_S + LOAD_S) * 1000 + 180_000 }, async () => {
    const gw = gateway!;
    const mix = pollingMix({ snapshotFrom: from, snapshotTo: to });
    const rssStart = gw.rssMB()!;
    const rss = sampler(() => gw.rssMB(), 500);
    let warm: LoadResult;
    let main: LoadResult;
    let warmEndS: number;
    try {
      warm = await runLoad({ url: gw.graphqlUrl, teams: tokens, mix, connections: CONNECTIONS, durationSeconds: WARMUP_S, seed: 1 });
      warmEndS = rss.values.at(-1)!.t;
      main = await runLoad({ url: gw.graphqlUrl, teams: tokens, mix, connections: CONNECTIONS, durationSeconds: LOAD_S, seed: 2 });
    } finally {
      rss.stop();
    }
    const loadEndS = rss.values.at(-1)!.t;
    const within = (from: number, to: number) => rss.values.filter((x) => x.t >= from && x.t <= to).map((x) => x.v);
    const rssAfterWarmup = percentile(within(warmEndS - RSS_WINDOW_S, warmEndS), 50);
    const rssEnd = percentile(within(loadEndS - RSS_WINDOW_S, loadEndS), 50);
    const ready = await getJson(`${gw.url}/ready`);
    const growth = (rssEnd - rssAfterWarmup) / rssAfterWarmup;
    const samples = within(warmEndS, loadEndS);

    report.headline = `${main.requests.toLocaleString('en-US')} requests, ${main.requests - main.ok} failed, p50 ${main.latencyMs.p50} ms / p99 ${main.latencyMs.p99} ms, RSS ${round(rssAfterWarmup)} → ${round(rssEnd)} MB`;
    report
      .glance(`Requests served (${LOAD_S} s, ${CONNECTIONS} connections)`, main.requests)
      .glance('Errors (connection errors, timeouts, non-2xx, GraphQL errors)', main.connectionErrors + main.timeouts + main.non2xx + main.graphqlErrors)
      .glance('Latency p50 / p99 (ms)', `${main.latencyMs.p50} / ${main.latencyMs.p99}`)
      .glance('Gateway RSS after warm-up → end (MB)', `${round(rssAfterWarmup)} → ${round(rssEnd)} (${round(growth * 100)} %)`)
      .set('connections', CONNECTIONS)
      .set('warm-up (s)', WARMUP_S)
      .set('load (s)', LOAD_S)
      .set('requests served (load)', main.requests)
      .set('requests served (warm-up)', warm.requests)
      .set('answered OK (2xx with data, no errors)', main.ok)
      .set('errors (connection errors + timeouts)', main.connectionErrors + main.timeouts)
      .set('non-2xx', main.non2xx)
      .set('5xx', main.status5xx)
      .set('GraphQL errors in 2xx', main.graphqlErrors)
      .set('throughput (req/s)', main.rps)
      .set('latency p50 (ms)', main.latencyMs.p50)
      .set('latency p90 (ms)', main.latencyMs.p90)
      .set('latency p99 (ms)', main.latencyMs.p99)
      .set('latency max (ms)', main.latencyMs.max)
      .set('RSS at start (MB)', round(rssStart))
      .set(`RSS after warm-up (MB, median of its last ${RSS_WINDOW_S} s)`, round(rssAfterWarmup))
      .set(`RSS at end (MB, median of the last ${RSS_WINDOW_S} s of load)`, round(rssEnd))
      .set('RSS max during load (MB)', round(Math.max(...samples)))
      .set('RSS median during load (MB)', round(percentile(samples, 50)))
      .set('RSS change end vs warm-up', `${round(growth * 100)} % (limit +${RSS_TOLERANCE * 100} %)`)
      .set('ERROR log lines of the gateway', gw.errors().length)
      .table(
        'Requests by kind (load phase)',
        ['kind', 'share of answers', 'answered OK', 'failed'],
        Object.entries(main.byKind).map(([k, v]) => {
          const answered = Object.values(main.byKind).reduce((n, x) => n + x.ok + x.failed, 0);
          return [k, `${round((100 * (v.ok + v.failed)) / Math.max(1, answered))} %`, v.ok, v.failed];
        }),
      );
    const every = Math.max(1, Math.round((WARMUP_S + LOAD_S) / 15));
    const trace: string[] = [];
    for (let t = 0; t <= loadEndS; t += every) trace.push(String(Math.round(percentile(within(t, t + every), 50) || 0)));
    report.set(`RSS from the start of the warm-up, MB (every ${every} s)`, trace.join(' → '));
    if (main.samples.length) report.note(`First failures: ${main.samples.slice(0, 3).join(' | ')}`);
    report.note('Latency figures are autocannon\'s (HDR histogram, 2xx responses); the load generator and the gateway share the machine, so they are indicative, not a benchmark.');

    const failures = `\n${main.samples.join('\n')}\n${gw.errors().slice(0, 5).map((l) => JSON.stringify(l).slice(0, 800)).join('\n')}`;
    expect(warm.requests - warm.ok, `warm-up failures:\n${warm.samples.join('\n')}`).toBe(0);
    expect(main.requests, 'the load must have run').toBeGreaterThan(CONNECTIONS);
    expect(main.connectionErrors + main.timeouts, failures).toBe(0);
    expect(main.status5xx, failures).toBe(0);
    expect(main.non2xx, failures).toBe(0);
    expect(main.graphqlErrors, failures).toBe(0);
    expect(main.ok, failures).toBe(main.requests);
    for (const [kind, v] of Object.entries(main.byKind)) expect(v.ok, `${kind} answered`).toBeGreaterThan(0);
    expect(gw.alive, gw.describe()).toBe(true);
    expect(gw.errors(), 'the gateway logged errors').toEqual([]);
    expect(ready.status, JSON.stringify(ready.body)).toBe(200);
    expect(rssEnd, `RSS grew from ${round(rssAfterWarmup)} MB after warm-up to ${round(rssEnd)} MB at the end`).toBeLessThanOrEqual(
      rssAfterWarmup * (1 + RSS_TOLERANCE),
    );
  });
});

interface BurstResult {
  name: string;
  requests: number;
  computations: number;
  failed: number;
  ms: number;
}

/** Runs tests/support/reliability-burst.ts (the composition root with counted engine statements). */
function runBursts(env: Record<string, string>): Promise<BurstResult[]> {
  const script = fileURLToPath(new URL('../support/reliability-burst.ts', import.meta.url));
  const root = fileURLToPath(new URL('../..', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`burst harness exited with ${code}:\n${err.slice(-3000)}`));
      resolve(out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as BurstResult));
    });
  });
}

const burstTitle = 'a burst of identical polls on a cold cache computes each key once (spec §8), so load does not pile up on the pool';
describe.skipIf(backendName() !== 'postgres')(
  backendName() === 'postgres' ? burstTitle : `${burstTitle} — NOT RUN: no Postgres at TEST_DATABASE_URL`,
  () => {
    let db: TestDatabase;
    const section = new ReportSection('load-bursts', 'Load: cold-cache bursts', 2);
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async ({}, suite) => {
      try {
        await db?.drop();
      } finally {
        await section.write(suite);
      }
    });

    it('50 concurrent identical requests per operation: one computation per cache key', { timeout: 180_000 }, async () => {
      const teams = await seedTeams(db.url!, { teams: 6, days: 10 });
      const tokens = await tokensFor(teams);
      const tok = (id: string) => tokens.find((t) => t.team.id === id)!.token;
      // Every burst on a team of its own: each starts on a cold key.
      const [t1, t3, t4, t2, t0] = [...teams].sort((a, b) => b.accounts.length - a.accounts.length) as [SeededTeam, SeededTeam, SeededTeam, SeededTeam, SeededTeam];
      const size = 50;
      const RT = 'query($a: ID) { realTimeMetrics(whatsappAccountId: $a) { messages { total } } }';
      const DASH = 'query($a: ID, $d: Int!) { dashboard(days: $d, whatsappAccountId: $a) { current { messages { total } } } }';
      const NESTED = 'query { team { whatsappAccounts { id realTimeMetrics { messages { total } } } } }';
      const bursts = [
        { name: 'realTimeMetrics (team-wide)', token: tok(t0.id), query: RT, variables: { a: null }, size, max: 1 },
        { name: 'realTimeMetrics(whatsappAccountId)', token: tok(t1.id), query: RT, variables: { a: t1.accounts[0] }, size, max: 1 },
        // A dashboard: which days have stored activity, then its current and previous window.
        { name: 'dashboard(days: 7) (team-wide)', token: tok(t2.id), query: DASH, variables: { a: null, d: 7 }, size, max: 3 },
        { name: 'dashboard(days: 30, whatsappAccountId)', token: tok(t3.id), query: DASH, variables: { a: t3.accounts[0], d: 30 }, size, max: 3 },
        { name: `team.whatsappAccounts.realTimeMetrics (${t4.accounts.length} accounts)`, token: tok(t4.id), query: NESTED, size, max: t4.accounts.length },
      ];
      const results = await runBursts({ DATABASE_URL: db.url!, BURSTS: JSON.stringify(bursts) });
      section.headline = results.map((r) => `${r.name}: ${r.computations}`).join('; ');
      section.glance('Engine computations for 50 identical cold requests (worst operation)', Math.max(...results.map((r) => r.computations)));
      section.table(
        'Engine computations for a burst of identical concurrent requests on a cold cache',
        ['operation', 'requests', 'computations', 'allowed', 'failed requests', 'ms'],
        results.map((r, i) => [r.name, r.requests, r.computations, bursts[i]!.max, r.failed, r.ms]),
      );
      section.note('Dashboards compute two windows (current and previous), hence two statements per key.');
      expect(results).toHaveLength(bursts.length);
      expect(results.filter((r) => r.failed > 0)).toEqual([]);
      const overComputed = results
        .filter((r, i) => r.computations > bursts[i]!.max)
        .map((r) => `${r.name}: ${r.computations} engine statements for ${r.requests} identical requests (allowed ${bursts[results.indexOf(r)]!.max})`);
      expect(overComputed).toEqual([]);
    });
  },
);
