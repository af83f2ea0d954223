/**
 * Cached polls over HTTP (autocannon, loopback only, bounded in time) against two references run in
 * the same script, and SQL statements per nested request.
 *
 *  - gateway:   the real composition root (src/app.ts: startApp) over the benchmark database and Redis,
 *               NODE_ENV=production, in a child process; 70 % realTimeMetrics / 30 % dashboard(days: 30)
 *               over many teams, one signed HS256 JWT per team; caches warmed first.
 *  - bare:      node:http answering every request with one Redis GET of a 2 KB value (the floor of "a
 *               cached answer over HTTP").
 *  - mercurius: Fastify + Mercurius + graphql-jit, the gateway's own schema, the same documents and
 *               response shapes, resolved from memory (no token check, no cache look-up).
 *
 * Each server runs in its own process; its RSS is sampled from /proc/<pid>/status during the load.
 * Batching: an in-process gateway over the same database with the in-process (empty) cache; one
 * nested request per team with 5, 20 and 100 accounts; Database.statements.count before and after.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { secretKey, signToken } from '../src/auth/jwt.js';
import type { DatasetManifest } from './dataset.js';
import { BARE_KEY } from './http-server.js';
import { median } from './lib.js';

export interface HttpConfigResult {
  name: 'gateway' | 'bare' | 'mercurius' | 'null';
  label: string;
  rps: number;
  p50: number;
  p99: number;
  rssMaxMB: number;
  errors: number;
  non2xx: number;
  runs: Array<{ rps: number; p50: number; p99: number; rssMaxMB: number }>;
}

export interface HttpResults {
  notMeasured?: string;
  connections: number;
  durationSeconds: number;
  rounds: number;
  teams: number;
  configs: HttpConfigResult[];
  batching: Array<{ accounts: number; teamId: string; statements: number }> | null;
  batchingQuery?: string;
  notes: string[];
}

const METRICS = `period { start end }
  messages { total inbound outbound sent delivered read failed replied deliveryRate readRate replyRate failureRate }
  campaigns { total active completed failed totalRecipients messagesSent avgDeliveryRate avgReadRate }
  contacts { total new active blocked avgEngagementScore }
  conversations { total open closed avgResponseTime answeredTurns }
  generatedAt`;
const GROWTH = `messages { total sent deliveryRate readRate replyRate failureRate }
  campaigns { total messagesSent avgDeliveryRate }
  contacts { total new active avgEngagementScore }
  conversations { total avgResponseTime }`;
export const REALTIME_QUERY = `query RealTime { realTimeMetrics { ${METRICS} } }`;
export const DASHBOARD_QUERY = `query Dashboard { dashboard(days: 30) { days current { ${METRICS} } previous { ${METRICS} } growth { ${GROWTH} } series { date } } }`;

const JWT_SECRET = 'bench-jwt-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

interface Spawned {
  child: ChildProcess;
  url: string;
}

/** Reads the child's stdout until `pattern` matches a line; resolves with its first group. */
function awaitUrl(child: ChildProcess, name: string, pattern: RegExp, log: (l: string) => void): Promise<Spawned> {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 120 s: ${stderr}`)), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${stderr.slice(-2000)}`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const url = pattern.exec(line)?.[1];
      if (!url) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.on('exit', (code) => code && log(`${name} exited with ${code}: ${stderr.slice(-500)}`));
      resolve({ child, url });
    });
  });
}

/** A reference server of bench/http-server.ts in its own process; it prints `{ "url": … }` when listening. */
function startServer(args: string[], log: (l: string) => void): Promise<Spawned> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/http-server.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  return awaitUrl(child, args[0]!, /^\{"url":"([^"]+)"\}$/, log);
}

/**
 * The gateway exactly as `npm start` runs it (the compiled build, `node dist/main.js`), configured by its
 * environment: production, the benchmark's database and Redis, no scheduler, no demo data. Its start-up
 * banner names the explorer's address.
 */
function startGateway(databaseUrl: string, redisUrl: string, log: (l: string) => void): Promise<Spawned> {
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  // BENCH_GATEWAY_NODE_ARGS: extra node flags (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof for a profile under load).
  const extra = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...extra, 'dist/main.js'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      JWT_SECRET,
      HOST: '127.0.0.1',
      PORT: '0',
      SCHEDULER_ENABLED: 'false',
      SEED_DEMO: 'false',
      // Raised from 30 s: the warm-up computes the largest team's dashboards from the source tables when
      // their days have no stored activity, and must fill the cache rather than time out.
      DB_STATEMENT_TIMEOUT_MS: '600000',
      LOG_LEVEL: process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'error',
    },
  });
  return awaitUrl(child, 'gateway', /Explorer:\s+(\S+)\/graphql/, log);
}

async function stopServer(s: Spawned): Promise<void> {
  if (s.child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    s.child.once('exit', () => resolve());
    s.child.kill('SIGTERM');
    setTimeout(() => s.child.kill('SIGKILL'), 10_000).unref();
  });
}

function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function post(url: string, token: string, query: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

/** Runs autocannon against a server with the poll mix; samples the server's RSS meanwhile. */
async function load(
  url: string,
  pid: number,
  tokens: string[],
  opts: { connections: number; durationSeconds: number },
): Promise<{ rps: number; p50: number; p99: number; rssMaxMB: number; errors: number; non2xx: number }> {
  let rssMax = rssMB(pid);
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssMB(pid))), 200);
  const bodies = { rt: JSON.stringify({ query: REALTIME_QUERY }), dash: JSON.stringify({ query: DASHBOARD_QUERY }) };
  let i = 0;
  try {
    const result = await autocannon({
      url: `${url}/graphql`,
      connections: opts.connections,
      duration: opts.durationSeconds,
      requests: [
        {
          method: 'POST',
          setupRequest: (req: any) => {
            // Deterministic 70/30 mix spread over the teams (no Math.random in the hot loop).
            const n = i++;
            const token = tokens[(n * 7919) % tokens.length]!;
            return {
              ...req,
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: n % 10 < 7 ? bodies.rt : bodies.dash,
            };
          },
        },
      ],
    });
    return {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      rssMaxMB: rssMax,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
    };
  } finally {
    clearInterval(sampler);
  }
}

export async function runHttpBench(opts: {
  manifest: DatasetManifest;
  redisUrl: string;
  durationSeconds: number;
  connections: number;
  rounds: number;
  log: (l: string) => void;
}): Promise<HttpResults> {
  const { manifest, log } = opts;
  // A Redis database of our own on the shared server, emptied first: no other run's keys, no stale answers.
  const redisUrl = (() => {
    const u = new URL(opts.redisUrl);
    u.pathname = '/9';
    return u.toString();
  })();
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  await redis.set(BARE_KEY, JSON.stringify({ data: { pad: 'x'.repeat(2048 - 20) } }).slice(0, 2048));

  const c = new pg.Client({ connectionString: manifest.url });
  await c.connect();
  const allTeams = (await c.query<{ id: string }>(`SELECT id FROM teams ORDER BY id`)).rows.map((r) => r.id);
  await c.end();
  // "Many teams": up to 100, spread over the whole size range (the largest team included).
  const step = Math.max(1, Math.floor(allTeams.length / 100));
  const teams = [manifest.largestTeam.id, ...allTeams.filter((id, k) => k % step === 0 && id !== manifest.largestTeam.id)].slice(0, 100);
  const key = secretKey(JWT_SECRET);
  const tokens = await Promise.all(teams.map((teamId) => signToken({ teamId, role: 'member' }, key, { expiresInSeconds: 3600 })));
  const notes: string[] = [];

  const results: Record<HttpConfigResult['name'], HttpConfigResult['runs']> = { gateway: [], bare: [], mercurius: [], null: [] };
  const zero = () => ({ errors: 0, non2xx: 0 });
  const totals = { gateway: zero(), bare: zero(), mercurius: zero(), null: zero() };

  log('  starting the gateway (child process)');
  const gw = await startGateway(manifest.url, redisUrl, log);
  let merc: Spawned | undefined;
  let bare: Spawned | undefined;
  let none: Spawned | undefined;
  try {
    // Warm the caches through the gateway itself, and keep one real answer of each kind for Mercurius.
    const warm = async () => {
      const t0 = performance.now();
      let next = 0;
      let sample: { realTimeMetrics: unknown; dashboard: unknown } | undefined;
      let failed = 0;
      let lastError = '';
      const worker = async () => {
        while (next < tokens.length) {
          const token = tokens[next++]!;
          const [rt, dash] = await Promise.all([post(gw.url, token, REALTIME_QUERY), post(gw.url, token, DASHBOARD_QUERY)]);
          if (rt.status !== 200 || rt.body?.errors || dash.status !== 200 || dash.body?.errors) {
            failed++;
            lastError = `${rt.status} ${JSON.stringify(rt.body).slice(0, 300)} / ${dash.status} ${JSON.stringify(dash.body).slice(0, 300)}`;
            continue;
          }
          sample ??= { realTimeMetrics: rt.body.data.realTimeMetrics, dashboard: dash.body.data.dashboard };
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      if (!sample) throw new Error(`every warm-up request failed; last: ${lastError}`);
      if (failed) log(`  warm-up: ${failed} teams failed; last: ${lastError}`);
      return { ms: performance.now() - t0, sample, failed };
    };
    const first = await warm();
    log(`  warm-up of ${teams.length} teams × 2 queries: ${(first.ms / 1000).toFixed(1)} s`);
    notes.push(
      `Warming ${teams.length} teams (real-time + dashboard 30 d each, cold cache, 8 at a time) took ${(first.ms / 1000).toFixed(1)} s` +
        (first.failed ? ` (${first.failed} teams failed to warm).` : '.'),
    );
    const responsesFile = join(tmpdir(), `bench-responses-${process.pid}.json`);
    writeFileSync(responsesFile, JSON.stringify(first.sample));
    const sizes = {
      realtime: Buffer.byteLength(JSON.stringify({ data: { realTimeMetrics: first.sample.realTimeMetrics } })),
      dashboard: Buffer.byteLength(JSON.stringify({ data: { dashboard: first.sample.dashboard } })),
    };
    notes.push(`Response sizes: realTimeMetrics ${sizes.realtime} B, dashboard(days: 30) ${sizes.dashboard} B; bare server: 2,048 B.`);

    merc = await startServer(['mercurius', responsesFile], log);
    bare = await startServer(['bare', redisUrl], log);
    none = await startServer(['null'], log);
    // Check that Mercurius answers the same documents with the same shape.
    const m = await post(merc.url, tokens[0]!, REALTIME_QUERY);
    if (m.status !== 200 || m.body?.errors) throw new Error(`mercurius reference failed: ${JSON.stringify(m.body).slice(0, 300)}`);

    const servers = { gateway: gw, bare, mercurius: merc, null: none };
    const order: Array<HttpConfigResult['name']> = ['gateway', 'bare', 'mercurius', 'null'];
    for (let r = 0; r < opts.rounds; r++) {
      for (let k = 0; k < order.length; k++) {
        const name = order[(k + r) % order.length]!;
        const s = servers[name];
        // Real-time answers live 30 s and the first warm-up takes longer than that: re-warm the gateway right
        // before each of its runs (dashboards are still cached; only real-time answers are recomputed) so the
        // run measures hits.
        if (name === 'gateway') await warm();
        // A short unmeasured run first: connections opened, JIT compiled.
        await load(s.url, s.child.pid!, tokens, { connections: opts.connections, durationSeconds: 1 });
        const run = await load(s.url, s.child.pid!, tokens, { connections: opts.connections, durationSeconds: opts.durationSeconds });
        results[name].push({ rps: run.rps, p50: run.p50, p99: run.p99, rssMaxMB: run.rssMaxMB });
        totals[name].errors += run.errors;
        totals[name].non2xx += run.non2xx;
        log(`  round ${r + 1} ${name}: ${run.rps.toFixed(0)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms, RSS ${run.rssMaxMB.toFixed(0)} MB, errors ${run.errors}, non-2xx ${run.non2xx}`);
      }
    }
  } finally {
    await stopServer(gw);
    if (merc) await stopServer(merc);
    if (bare) await stopServer(bare);
    if (none) await stopServer(none);
    redis.disconnect();
  }

  const labels = {
    gateway: 'gateway (response cache before Apollo, Redis)',
    bare: 'floor: node:http + one Redis GET (2 KB)',
    mercurius: 'Mercurius + graphql-jit, from memory',
    null: 'load generator reference: node:http answering a constant 2 KB',
  };
  const configs = (Object.keys(results) as Array<HttpConfigResult['name']>).map((name) => ({
    name,
    label: labels[name],
    rps: median(results[name].map((x) => x.rps)),
    p50: median(results[name].map((x) => x.p50)),
    p99: median(results[name].map((x) => x.p99)),
    rssMaxMB: Math.max(...results[name].map((x) => x.rssMaxMB)),
    errors: totals[name].errors,
    non2xx: totals[name].non2xx,
    runs: results[name],
  }));

  let batching: HttpResults['batching'] = null;
  try {
    batching = await countStatements(manifest, log);
  } catch (err) {
    notes.push(`Batching not measured: ${(err as Error).message}`);
  }
  return {
    connections: opts.connections,
    durationSeconds: opts.durationSeconds,
    rounds: opts.rounds,
    teams: teams.length,
    configs,
    batching,
    batchingQuery: NESTED_QUERY,
    notes,
  };
}

export const NESTED_QUERY = (() => {
  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
  return `{ team { id whatsappAccounts { id phoneNumber realTimeMetrics { messages { total sent } conversations { total } } snapshots(type: Daily, from: "${from}", to: "${to}") { id date } } } }`;
})();

/** Statements per nested request for the teams with 5, 20 and 100 accounts (in-process gateway, empty cache). */
async function countStatements(manifest: DatasetManifest, log: (l: string) => void) {
  const { startApp } = await import('../src/app.js');
  const { loadConfig } = await import('../src/config/config.js');
  const { createLogger } = await import('../src/logging/logger.js');
  const { connectPostgres } = await import('../src/db/client.js');
  const out: Array<{ accounts: number; teamId: string; statements: number }> = [];
  for (const [accounts, teamId] of Object.entries(manifest.teamsByAccountCount).sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const database = connectPostgres(manifest.url, { poolSize: 4, statementTimeoutMs: 600_000 });
    const config = loadConfig({
      NODE_ENV: 'production', JWT_SECRET, HOST: '127.0.0.1', PORT: '0', SCHEDULER_ENABLED: 'false', SEED_DEMO: 'false', LOG_LEVEL: 'error',
      DATABASE_URL: manifest.url,
    });
    const app = await startApp(config, createLogger('error'), { database });
    try {
      const token = await signToken({ teamId, role: 'member' }, secretKey(JWT_SECRET), { expiresInSeconds: 600 });
      const before = database.statements.count;
      const res = await post(app.url, token, NESTED_QUERY);
      const statements = database.statements.count - before;
      const got = res.body?.data?.team?.whatsappAccounts?.length;
      if (res.status !== 200 || res.body?.errors || got !== Number(accounts)) {
        throw new Error(`nested request for ${accounts} accounts failed: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      }
      out.push({ accounts: Number(accounts), teamId, statements });
      log(`  nested request, ${accounts} accounts: ${statements} statements`);
    } finally {
      await app.close();
      await database.close();
    }
  }
  return out;
}
