/**
 * Hostile input (issue 7, item 3): a corpus generated from the gateway's own schema
 * (tests/support/reliability-corpus.ts) — malformed JSON, oversized bodies, deeply nested and
 * alias-bombed queries, huge variable lists, wrong types, SQL-looking strings and unicode in every
 * string argument and id, impossible and extreme dates, odd HTTP and raw malformed HTTP — sent to the
 * real gateway (a child process, production mode). Never a 5xx (nor an INTERNAL_SERVER_ERROR inside a
 * 200), never a stack trace, never a crash, never an answer slower than the limit, and the database
 * untouched: the row count and checksum of every table are the same before and after.
 */
import { buildClientSchema, getIntrospectionQuery, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretKey, signToken } from '../../src/auth/jwt.js';
import { completeDays } from '../../src/metrics/periods.js';
import { backendName, createTestDatabase, type TestDatabase } from '../support/db.js';
import { generateCorpus, problems, sendAll, type HostileResult } from '../support/reliability-corpus.js';
import { GatewayProcess, RELIABILITY_JWT_SECRET, getJson } from '../support/reliability-gateway.js';
import { ReportSection, SOAK, percentile, round } from '../support/reliability-report.js';
import { databaseFingerprint, seedTeams, withClient, writeDailySnapshots, type SeededTeam } from '../support/reliability-seed.js';

const LIMIT_MS = Number(process.env.RELIABILITY_HOSTILE_LIMIT_MS ?? 5000);
const SEEDS = SOAK ? [1, 2, 3, 4, 5] : [1];
const SCALE = SOAK ? 10 : 1;
const MAX_BODY_BYTES = 102_400;

const why = backendName() !== 'postgres' ? 'no Postgres at TEST_DATABASE_URL' : null;
const title = 'hostile input: a generated corpus against the real gateway';
const report = new ReportSection('hostile', 'Hostile input', 20);

describe.skipIf(why !== null)(why ? `${title} — NOT RUN: ${why} (set REQUIRE_SERVICES=1 to fail instead)` : title, () => {
  let db: TestDatabase;
  let gateway: GatewayProcess | undefined;
  let team: SeededTeam;
  let adminToken: string;
  let memberToken: string;
  let schema: GraphQLSchema;
  let snapshotId: string;
  let range: { from: string; to: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    const teams = await seedTeams(db.url!, { teams: 3, days: 20 });
    await writeDailySnapshots(db.database, teams, 14);
    team = teams.find((t) => t.accounts.length > 0)!;
    const key = secretKey(RELIABILITY_JWT_SECRET);
    adminToken = await signToken({ teamId: team.id, role: 'admin' }, key);
    memberToken = await signToken({ teamId: team.id, role: 'member' }, key);
    const days = completeDays(14, team.timezone).dates;
    range = { from: days[0]!, to: days.at(-1)! };
    snapshotId = await withClient(db.url!, async (c) => (await c.query<{ id: string }>(`SELECT id::text FROM analytics_snapshots WHERE team_id = $1 LIMIT 1`, [team.id])).rows[0]!.id);
    gateway = await GatewayProcess.start({ env: { DATABASE_URL: db.url!, MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
    const r = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${memberToken}` },
      body: JSON.stringify({ query: getIntrospectionQuery() }),
    });
    schema = buildClientSchema(((await r.json()) as { data: IntrospectionQuery }).data);
  }, 300_000);

  afterAll(async ({}, suite) => {
    try {
      await gateway?.stop();
      await db?.drop();
    } finally {
      await report.write(suite);
    }
  });

  it(`never a 5xx, a crash, a stack trace or an answer over ${LIMIT_MS} ms; the database untouched`, { timeout: SOAK ? 3_600_000 : 240_000 }, async () => {
    const gw = gateway!;
    const before = await databaseFingerprint(db.url!);
    const rssBefore = gw.rssMB();
    const results: HostileResult[] = [];
    const started = Date.now();
    for (const seed of SEEDS) {
      const corpus = generateCorpus({ schema, adminToken, memberToken, accountId: team.accounts[0]!, snapshotId, ...range, maxBodyBytes: MAX_BODY_BYTES, seed, scale: SCALE });
      results.push(...(await sendAll(gw.url, corpus, { concurrency: 8, timeoutMs: LIMIT_MS + 5000 })));
    }
    const seconds = (Date.now() - started) / 1000;
    const after = await databaseFingerprint(db.url!);
    const health = await getJson(`${gw.url}/health`);
    const bad = results.map((r) => ({ r, p: problems(r, LIMIT_MS) })).filter((x) => x.p.length);

    const categories = new Map<string, HostileResult[]>();
    for (const r of results) categories.set(r.request.category, [...(categories.get(r.request.category) ?? []), r]);
    const statusClass = (r: HostileResult) => (r.status <= 0 ? (r.closed ? 'closed' : 'none') : `${Math.floor(r.status / 100)}xx`);
    const times = results.map((r) => r.ms);
    const changed = Object.keys({ ...before, ...after }).filter((t) => JSON.stringify(before[t]) !== JSON.stringify(after[t]));

    report.headline = `${results.length.toLocaleString('en-US')} inputs: ${bad.length} with a problem, slowest ${Math.max(...times)} ms, ${changed.length} tables changed`;
    report
      .glance('Hostile inputs tried', results.length)
      .glance('Hostile inputs with a bad answer (5xx, internal error, stack trace, slow, no answer)', bad.length)
      .set('inputs tried', results.length)
      .set('corpus seeds', SEEDS.join(', '))
      .set('schema fields with arguments walked', new Set(results.filter((r) => r.request.category.startsWith('argument')).map((r) => r.request.label.split('(')[0])).size)
      .set('answers: 2xx / 3xx / 4xx / 5xx / closed', ['2xx', '3xx', '4xx', '5xx', 'closed'].map((c) => results.filter((r) => statusClass(r) === c).length).join(' / '))
      .set('inputs with a problem', bad.length)
      .set('answer time p50 / p99 / max (ms)', `${percentile(times, 50)} / ${percentile(times, 99)} / ${Math.max(...times)}`)
      .set('limit per answer (ms)', LIMIT_MS)
      .set('run time (s)', round(seconds))
      .set('tables whose rows or checksum changed', changed.length ? changed.join(', ') : 'none')
      .set('tables checked', Object.keys(before).length)
      .set('gateway alive / RSS before → after (MB)', `${gw.alive} / ${round(rssBefore ?? 0)} → ${round(gw.rssMB() ?? 0)}`)
      .set('ERROR log lines of the gateway', gw.errors().length)
      .set(
        'distinct ERROR log messages',
        [...new Set(gw.errors().map((l) => `${l.msg}: ${String((l.err as { message?: string } | undefined)?.message ?? '').split('\n')[0]!.slice(0, 140)}`))].slice(0, 6).join(' | ') || 'none',
      )
      .table(
        'Inputs by category',
        ['category', 'inputs', '2xx', '4xx', '5xx', 'closed', 'max ms', 'problems'],
        [...categories].map(([c, rs]) => [
          c,
          rs.length,
          rs.filter((r) => statusClass(r) === '2xx').length,
          rs.filter((r) => statusClass(r) === '4xx').length,
          rs.filter((r) => statusClass(r) === '5xx').length,
          rs.filter((r) => statusClass(r) === 'closed').length,
          Math.max(...rs.map((r) => r.ms)),
          bad.filter((b) => b.r.request.category === c).length,
        ]),
      );
    if (bad.length) {
      const distinct = new Map<string, { r: HostileResult; p: string[]; n: number }>();
      for (const x of bad) {
        const k = `${x.r.request.category}|${x.r.request.label}|${x.p.join(';')}`;
        distinct.set(k, { ...x, n: (distinct.get(k)?.n ?? 0) + 1 });
      }
      report.table(
        'Inputs with a problem (distinct)',
        ['category', 'input', 'times', 'problem', 'answer'],
        [...distinct.values()].slice(0, 20).map(({ r, p, n }) => [r.request.category, r.request.label.slice(0, 100), n, p.join('; '), `${r.status} ${r.body.slice(0, 160)}`]),
      );
    }

    const describeBad = bad.slice(0, 20).map(({ r, p }) => `[${r.request.category}] ${r.request.label.slice(0, 120)} → ${p.join('; ')} :: ${r.status} ${r.body.slice(0, 200)}`);
    expect(results.length).toBeGreaterThan(1000);
    expect(gw.alive, gw.describe()).toBe(true);
    expect(health.status).toBe(200);
    expect(describeBad, `${bad.length} of ${results.length} hostile inputs got a bad answer`).toEqual([]);
    expect(changed, 'tables changed by hostile input').toEqual([]);
    expect(gw.errors().slice(0, 5).map((l) => `${l.msg} ${JSON.stringify(l.err ?? '').slice(0, 300)}`)).toEqual([]);
  });

  it('valid but extreme dates in the mutation that writes: never a 5xx, and only the caller’s rows change', { timeout: 120_000 }, async () => {
    const gw = gateway!;
    const dates = ['0001-01-01', '1582-10-10', '1970-01-01', '2024-02-29', '2038-01-19', '9999-12-31'];
    const answers: Array<{ date: string; type: string; status: number; codes: string[]; ms: number }> = [];
    const othersBefore = await withClient(db.url!, async (c) => (await c.query(`SELECT md5(string_agg(s::text, ',' ORDER BY s.id)) AS h FROM analytics_snapshots s WHERE team_id <> $1`, [team.id])).rows[0]!.h as string);
    for (const date of dates) {
      for (const type of ['Daily', 'Weekly', 'Monthly']) {
        const started = Date.now();
        const r = await fetch(gw.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
          body: JSON.stringify({ query: 'mutation($d: Date!, $t: SnapshotType!) { generateSnapshot(date: $d, type: $t) { id date snapshotType metrics { period { start end } messages { total } } } }', variables: { d: date, t: type } }),
        });
        const body = (await r.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
        answers.push({ date, type, status: r.status, codes: (body.errors ?? []).map((e) => e.extensions?.code ?? '?'), ms: Date.now() - started });
      }
    }
    const othersAfter = await withClient(db.url!, async (c) => (await c.query(`SELECT md5(string_agg(s::text, ',' ORDER BY s.id)) AS h FROM analytics_snapshots s WHERE team_id <> $1`, [team.id])).rows[0]!.h as string);
    report.table(
      'generateSnapshot with extreme valid dates (admin)',
      ['date', 'type', 'HTTP', 'error codes', 'ms'],
      answers.map((a) => [a.date, a.type, a.status, a.codes.join(',') || '—', a.ms]),
    );
    const bad = answers.filter((a) => a.status >= 500 || a.codes.includes('INTERNAL_SERVER_ERROR') || a.ms > LIMIT_MS);
    expect(bad.map((a) => `${a.date} ${a.type}: HTTP ${a.status} ${a.codes.join(',')} ${a.ms} ms`)).toEqual([]);
    expect(othersAfter, 'other teams’ snapshots untouched').toBe(othersBefore);
    expect(gw.alive).toBe(true);
  });
});
