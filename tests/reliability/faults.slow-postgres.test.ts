/**
 * Fault (issue 7, item 2): Postgres slow. The gateway (a child process, production mode) runs with a
 * low statement timeout (DB_STATEMENT_TIMEOUT_MS=1000) and a small pool (DB_POOL_SIZE=4) over a test
 * database of its own on the shared Postgres; a session of the test holds an ACCESS EXCLUSIVE lock on
 * `messages`, so every metrics statement waits. Requests must end with a clear error within a bounded
 * time instead of piling up (never more sessions than the pool, the process stays responsive), and once
 * the lock is gone the pool serves again.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestDatabase, type TestDatabase } from '../support/db.js';
import { GatewayProcess, getJson } from '../support/reliability-gateway.js';
import { ReportSection, percentile } from '../support/reliability-report.js';
import { seedTeams, tokensFor, withClient, type TeamToken } from '../support/reliability-seed.js';

const STATEMENT_TIMEOUT_MS = 1000;
const POOL = 4;
/** pg-pool's connectionTimeoutMillis in src/db/client.ts: the longest a request may wait for a session. */
const CONNECT_TIMEOUT_MS = 5000;
/**
 * A request takes the pool twice in a row at most (the team, then the computation), each wait bounded by
 * the pool's connection timeout and each statement by the statement timeout; plus a margin for a busy CI.
 */
const LIMIT_MS = 2 * (STATEMENT_TIMEOUT_MS + CONNECT_TIMEOUT_MS) + 3000;

const why = backendName() !== 'postgres' ? 'no Postgres at TEST_DATABASE_URL' : null;
const title = `fault: Postgres slow (statement timeout ${STATEMENT_TIMEOUT_MS} ms, pool ${POOL})`;
const report = new ReportSection('fault-slow-postgres', 'Fault: Postgres slow', 12, { fault: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  ms: number;
  codes: string[];
  messages: string[];
  ok: boolean;
}

async function ask(gw: GatewayProcess, token: string, query: string, variables: object): Promise<Answer> {
  const started = Date.now();
  try {
    const r = await fetch(gw.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await r.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    const errors = body.errors ?? [];
    return {
      status: r.status,
      ms: Date.now() - started,
      codes: errors.map((e) => e.extensions?.code ?? '?'),
      messages: errors.map((e) => e.message),
      ok: r.status === 200 && !errors.length && body.data != null,
    };
  } catch (err) {
    return { status: 0, ms: Date.now() - started, codes: ['NO_ANSWER'], messages: [(err as Error).message], ok: false };
  }
}

const RT = 'query($a: ID) { realTimeMetrics(whatsappAccountId: $a) { messages { total } } }';
const DASH = 'query($d: Int!, $a: ID) { dashboard(days: $d, whatsappAccountId: $a) { current { messages { total } } } }';

/** Requests for distinct cache keys (so none shares another's computation). */
function distinctRequests(tokens: TeamToken[], round: number): Array<{ token: string; query: string; variables: object }> {
  const out: Array<{ token: string; query: string; variables: object }> = [];
  for (const t of tokens) {
    out.push({ token: t.token, query: RT, variables: { a: null } });
    for (const a of t.team.accounts) out.push({ token: t.token, query: RT, variables: { a } });
    for (let d = 1; d <= 4; d++) out.push({ token: t.token, query: DASH, variables: { d: d + round * 4, a: null } });
  }
  return out;
}

async function gatewaySessions(url: string): Promise<Array<{ state: string; n: number }>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ state: string; n: number }>(
      `SELECT coalesce(state, '?') AS state, count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'analytics-gateway' GROUP BY 1`,
    );
    return rows;
  });
}

describe.skipIf(why !== null)(why ? `${title} — NOT RUN: ${why} (set REQUIRE_SERVICES=1 to fail instead)` : title, () => {
  let db: TestDatabase;
  let gateway: GatewayProcess | undefined;
  let tokens: TeamToken[];

  beforeAll(async () => {
    db = await createTestDatabase();
    tokens = await tokensFor(await seedTeams(db.url!, { teams: 8, days: 20 }));
    gateway = await GatewayProcess.start({
      env: { DATABASE_URL: db.url!, DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS), DB_POOL_SIZE: String(POOL) },
    });
  }, 300_000);

  afterAll(async ({}, suite) => {
    try {
      await gateway?.stop();
      await db?.drop();
    } finally {
      await report.write(suite);
    }
  });

  it('requests end with a clear timeout error within a bounded time instead of piling up, and the pool recovers', { timeout: 180_000 }, async () => {
    const gw = gateway!;
    const before = await Promise.all(tokens.map((t) => ask(gw, t.token, 'query { team { id } }', {})));
    expect(before.every((a) => a.ok), JSON.stringify(before)).toBe(true);

    const locker = new pg.Client({ connectionString: db.url! });
    await locker.connect();
    let answers: Answer[];
    const health: number[] = [];
    const sessions: number[] = [];
    let lockHeldMs = 0;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE messages IN ACCESS EXCLUSIVE MODE');
      const lockedAt = Date.now();
      const requests = distinctRequests(tokens, 0);
      let done = false;
      const watch = (async () => {
        while (!done) {
          const h = await getJson(`${gw.url}/health`, 5000);
          health.push(h.status === 200 ? h.ms : 99_999);
          sessions.push((await gatewaySessions(db.url!)).reduce((n, s) => n + s.n, 0));
          await sleep(250);
        }
      })();
      answers = await Promise.all(requests.map((r) => ask(gw, r.token, r.query, r.variables)));
      done = true;
      await watch;
      lockHeldMs = Date.now() - lockedAt;
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      await locker.end();
    }

    // Recovery: the same kinds of requests (new keys) succeed again, sessions are back to the pool.
    let recovered: Answer[] = [];
    let recoveredAfterMs: number | null = null;
    const releasedAt = Date.now();
    for (let round = 1; round <= 10 && Date.now() - releasedAt < 30_000; round++) {
      recovered = await Promise.all(distinctRequests(tokens, round).map((r) => ask(gw, r.token, r.query, r.variables)));
      if (recovered.every((a) => a.ok)) {
        recoveredAfterMs = Date.now() - releasedAt;
        break;
      }
      await sleep(500);
    }
    const after = await gatewaySessions(db.url!);

    const failed = answers.filter((a) => !a.ok);
    const times = answers.map((a) => a.ms);
    const clear = (a: Answer) => a.messages.some((m) => /time(d)?[ -]?out|did not answer|too long|canceling statement/i.test(m));
    const byCode = Object.entries(failed.reduce<Record<string, number>>((m, a) => ({ ...m, [a.codes.join(',')]: (m[a.codes.join(',')] ?? 0) + 1 }), {}));
    report.headline = `${answers.length} requests while locked: ${failed.length} failed, slowest ${Math.max(...times)} ms (limit ${LIMIT_MS}); ${answers.filter(clear).length} with a clear timeout message; recovered in ${recoveredAfterMs ?? '—'} ms`;
    report
      .set('requests while the lock was held', answers.length)
      .set('failed (as they should)', failed.length)
      .set('answer time p50 / max (ms)', `${percentile(times, 50)} / ${Math.max(...times)}`)
      .set('answer time limit (ms)', LIMIT_MS)
      .set('error codes (count)', byCode.map(([k, v]) => `${k} × ${v}`).join(', '))
      .set('error messages seen', [...new Set(failed.flatMap((a) => a.messages))].slice(0, 4).join(' | '))
      .set('errors naming the timeout', answers.filter(clear).length)
      .set('/health while locked, max (ms)', Math.max(...health))
      .set('gateway sessions while locked, max', Math.max(...sessions))
      .set('pool size', POOL)
      .set('lock held (ms)', lockHeldMs)
      .set('recovered: all requests OK again after (ms)', recoveredAfterMs)
      .set('gateway sessions after recovery', after.map((s) => `${s.state} ${s.n}`).join(', '));

    expect(gw.alive, gw.describe()).toBe(true);
    expect(answers.filter((a) => a.status === 0), 'every request is answered').toEqual([]);
    expect(Math.max(...times), 'no request waits longer than twice (statement timeout + pool wait), plus a margin').toBeLessThanOrEqual(LIMIT_MS);
    expect(failed.length, 'the metrics requests cannot succeed while messages is locked').toBeGreaterThan(0);
    expect(Math.max(...health), 'the process stays responsive').toBeLessThan(2000);
    expect(Math.max(...sessions), 'never more sessions than the pool').toBeLessThanOrEqual(POOL);
    expect(recoveredAfterMs, `after the lock: ${JSON.stringify(recovered.filter((a) => !a.ok).slice(0, 3))}`).not.toBeNull();
    expect(after.filter((s) => s.state.startsWith('idle in transaction'))).toEqual([]);
    expect(after.reduce((n, s) => n + s.n, 0)).toBeLessThanOrEqual(POOL);
    // A clear error: says it timed out, not an anonymous internal error.
    const unclear = failed.filter((a) => !clear(a) || a.codes.includes('INTERNAL_SERVER_ERROR'));
    expect(
      unclear.slice(0, 3).map((a) => `${a.codes.join(',')}: ${a.messages.join(' | ')}`),
      `${unclear.length} of ${failed.length} failed requests did not say that the database timed out`,
    ).toEqual([]);
  });
});
