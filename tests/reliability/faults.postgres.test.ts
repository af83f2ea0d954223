/**
 * Faults of Postgres itself (issue 7, item 2), on a PRIVATE Postgres cluster of this file (its own
 * data directory and port; the machine's shared Postgres is never stopped):
 *  - Postgres restarted during a snapshot run: the run is retried or recorded as failed, no team has
 *    a partial set of rows for a period, and the next run fills everything;
 *  - start-up while Postgres is not reachable yet: the gateway process stays up, retries, and /ready
 *    says why until Postgres answers; then it migrates and serves.
 * The gateway runs as a child process (`node dist/main.js`, as `npm start` runs it), production mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { RedisServer, redisServerInstalled } from '../support/redis-server.js';
import { GatewayProcess, getJson, startPrivateRedis } from '../support/reliability-gateway.js';
import { PrivatePostgres, privatePostgresUnavailable } from '../support/reliability-postgres.js';
import { ReportSection } from '../support/reliability-report.js';
import { seedTeams, tokensFor, withClient, type SeededTeam } from '../support/reliability-seed.js';

const why = privatePostgresUnavailable() ?? (redisServerInstalled() ? null : 'no redis-server binary on PATH');
const title = 'faults: a private Postgres restarted and unreachable';
const report = new ReportSection('fault-postgres', 'Faults: Postgres restart and start-up without Postgres', 11, { fault: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const REFRESH_DAYS = 20;
const TEAMS = 20;
const ROW_DELAY_MS = 4;

/** Team-wide + one row per account, per team and date: the complete set of a team's period. */
async function groups(url: string): Promise<Array<{ team_id: string; date: string; n: number }>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ team_id: string; date: string; n: number }>(
      `SELECT team_id::text, date::text, count(*)::int AS n FROM analytics_snapshots WHERE snapshot_type = 'Daily' GROUP BY 1, 2`,
    );
    return rows;
  });
}

function partialGroups(rows: Array<{ team_id: string; date: string; n: number }>, teams: SeededTeam[]): string[] {
  const scopes = new Map(teams.map((t) => [t.id, 1 + t.accounts.length]));
  return rows.filter((r) => r.n !== scopes.get(r.team_id)).map((r) => `${r.team_id} ${r.date}: ${r.n} of ${scopes.get(r.team_id)} rows`);
}

async function triggerJob(gw: GatewayProcess, token: string): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now();
  const r = await fetch(gw.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'mutation { triggerJob(name: "daily-analytics-snapshot") { id status snapshotsWritten teamsTotal teamsFailed error } }' }),
    signal: AbortSignal.timeout(240_000),
  });
  return { status: r.status, body: await r.json(), ms: Date.now() - started };
}

describe.skipIf(why !== null)(why ? `${title} — NOT RUN: ${why}` : title, () => {
  let cluster: PrivatePostgres;
  let redis: RedisServer;
  const gateways: GatewayProcess[] = [];

  beforeAll(async () => {
    const t0 = Date.now();
    cluster = await PrivatePostgres.create();
    redis = await startPrivateRedis();
    report.set('private cluster ready in (s)', Number(((Date.now() - t0) / 1000).toFixed(1)));
  }, 400_000);

  afterAll(async ({}, suite) => {
    try {
      await Promise.all(gateways.map((g) => g.kill()));
      await redis?.stop();
      await cluster?.destroy();
    } finally {
      await report.write(suite);
    }
  });

  it('Postgres restarted in the middle of a snapshot run: retried or recorded as failed, no partial rows, the next run fills everything', { timeout: 300_000 }, async () => {
    const url = await cluster.createDatabase('restart_during_run');
    const database = connectPostgres(url, { poolSize: 2 });
    await migrateDatabase(database);
    await database.close();
    const teams = await seedTeams(url, { teams: TEAMS, days: REFRESH_DAYS + 2, contactsPerAccount: 4, messagesPerConversation: 4 });
    const scopes = teams.reduce((n, t) => n + 1 + t.accounts.length, 0);
    const expected = scopes * REFRESH_DAYS;
    // Each written row takes a few ms, so the run lasts long enough to be cut in the middle.
    await withClient(url, async (c) => {
      await c.query(`CREATE FUNCTION reliability_slow_row() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(${ROW_DELAY_MS / 1000}); RETURN NEW; END $$`);
      await c.query(`CREATE TRIGGER reliability_slow_row BEFORE INSERT OR UPDATE ON analytics_snapshots FOR EACH ROW EXECUTE FUNCTION reliability_slow_row()`);
    });
    const [admin] = await tokensFor(teams.slice(0, 1));
    const gw = await GatewayProcess.start({
      env: { DATABASE_URL: url, REDIS_URL: redis.url, ANALYTICS_REFRESH_DAYS: String(REFRESH_DAYS), SNAPSHOT_CONCURRENCY: '1' },
    });
    gateways.push(gw);

    const run = triggerJob(gw, admin!.token);
    let writtenBeforeRestart = 0;
    for (const deadline = Date.now() + 120_000; ; await sleep(100)) {
      writtenBeforeRestart = (await groups(url)).reduce((n, g) => n + g.n, 0);
      if (writtenBeforeRestart >= expected * 0.2) break;
      if (Date.now() > deadline) throw new Error(`the run did not get going: ${writtenBeforeRestart} of ${expected} rows`);
    }
    const restartStarted = Date.now();
    await cluster.restart('fast', 1500);
    const downSeconds = (Date.now() - restartStarted) / 1000;
    const answer = await run;

    const afterFirst = await groups(url);
    const partialAfterFirst = partialGroups(afterFirst, teams);
    const { rows: runsAfterFirst } = await withClient(url, (c) =>
      c.query<{ id: string; status: string; error: string | null; snapshots_written: number; teams_failed: number }>(
        `SELECT id::text, status, error, snapshots_written, teams_failed FROM job_runs ORDER BY started_at`,
      ),
    );
    const first = runsAfterFirst[0];

    // The next run (slow rows off) fills every team and date.
    await withClient(url, (c) => c.query('DROP TRIGGER reliability_slow_row ON analytics_snapshots'));
    const next = await triggerJob(gw, admin!.token);
    const afterNext = await groups(url);
    const { rows: runsAfterNext } = await withClient(url, (c) =>
      c.query<{ id: string; status: string; error: string | null }>(`SELECT id::text, status, error FROM job_runs ORDER BY started_at`),
    );
    const ready = await getJson(`${gw.url}/ready`);

    report.headline = `restart mid-run (${writtenBeforeRestart}/${expected} rows written): run ${first?.status ?? 'not recorded'}, ${partialAfterFirst.length} partial periods, next run ${next.body?.data?.triggerJob?.status ?? 'failed'}`;
    report
      .set('restart: teams × days × scopes', `${TEAMS} × ${REFRESH_DAYS} × ${(scopes / TEAMS).toFixed(1)} = ${expected} rows`)
      .set('restart: rows written before the restart', writtenBeforeRestart)
      .set('restart: Postgres down (s)', Number(downSeconds.toFixed(1)))
      .set('restart: first run answer', answer.body?.data?.triggerJob ? `${answer.body.data.triggerJob.status} (${answer.body.data.triggerJob.snapshotsWritten} written, ${answer.body.data.triggerJob.teamsFailed} teams failed)` : JSON.stringify(answer.body).slice(0, 300))
      .set('restart: first run recorded as', first ? `${first.status}${first.error ? `: ${first.error.slice(0, 200)}` : ''}` : 'not recorded')
      .set('restart: partial team periods after the first run', partialAfterFirst.length)
      .set('restart: rows after the next run', afterNext.reduce((n, g) => n + g.n, 0))
      .set('restart: next run', next.body?.data?.triggerJob?.status ?? JSON.stringify(next.body).slice(0, 300));

    expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
    expect(partialAfterFirst, 'no team has a partial set of rows for a period').toEqual([]);
    expect(first, 'the interrupted run is in job_runs').toBeDefined();
    // Retried to success, or recorded as failed/partial with its reason — never left 'running'.
    const firstFinal = runsAfterNext.find((r) => r.id === first!.id)!;
    expect(['succeeded', 'partial', 'failed']).toContain(firstFinal.status);
    if (firstFinal.status !== 'succeeded') expect(firstFinal.error ?? '', 'a failed run says why').not.toBe('');
    expect(next.body?.errors, JSON.stringify(next.body)).toBeUndefined();
    expect(next.body.data.triggerJob.status).toBe('succeeded');
    expect(partialGroups(afterNext, teams)).toEqual([]);
    expect(afterNext.length, 'every team has every date').toBe(TEAMS * REFRESH_DAYS);
    expect(afterNext.reduce((n, g) => n + g.n, 0)).toBe(expected);
    expect(ready.status, JSON.stringify(ready.body)).toBe(200);
    expect(gw.alive, gw.describe()).toBe(true);
    const dates = new Set(afterNext.map((g) => g.date));
    expect(dates.size).toBeGreaterThanOrEqual(REFRESH_DAYS);
  });

  it(
    'start-up while Postgres is not reachable: the process stays up and retries, /ready says why until Postgres answers, then it migrates and serves',
    { timeout: 240_000 },
    async () => {
      await cluster.start();
      const url = await cluster.createDatabase('startup_without_postgres');
      await cluster.stop('fast');

      const gw = await GatewayProcess.start({ env: { DATABASE_URL: url }, waitFor: 'none' });
      gateways.push(gw);
      // Once the process listens (loading the code takes a few seconds), watch it while Postgres is down.
      const listening = await gw.waitUntil('/health', 60_000).then(
        () => true,
        () => false,
      );
      const observed: Array<{ t: number; health: number; ready: number; body: unknown }> = [];
      const t0 = Date.now();
      for (let i = 0; i < 8; i++) {
        await sleep(1000);
        if (!gw.alive) break;
        const [health, ready] = await Promise.all([getJson(`${gw.url}/health`, 2000), getJson(`${gw.url}/ready`, 4000)]);
        observed.push({ t: (Date.now() - t0) / 1000, health: health.status, ready: ready.status, body: ready.body });
      }
      const aliveWhileDown = gw.alive;
      const lastWhileDown = observed.at(-1);

      await cluster.start();
      const upAt = Date.now();
      let readyAfterS: number | null = null;
      for (const deadline = upAt + 60_000; gw.alive && Date.now() < deadline; await sleep(250)) {
        if ((await getJson(`${gw.url}/ready`, 3000)).status === 200) {
          readyAfterS = (Date.now() - upAt) / 1000;
          break;
        }
      }
      const query = gw.alive
        ? await fetch(gw.graphqlUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
            body: JSON.stringify({ query: '{ __typename }' }),
          }).then(async (r) => ({ status: r.status, body: await r.text() }))
        : null;
      const migrated = await withClient(url, async (c) => (await c.query(`SELECT to_regclass('public.analytics_snapshots') IS NOT NULL AS ok`)).rows[0]!.ok as boolean).catch(() => false);

      report.headline += `; start-up without Postgres: ${aliveWhileDown ? `stayed up, /ready ${lastWhileDown?.ready ?? '—'} until Postgres came, ready ${readyAfterS === null ? 'never' : `${readyAfterS.toFixed(1)} s`} after` : 'exited'}`;
      report
        .set('start-up: process alive while Postgres was down (8 s)', aliveWhileDown)
        .set('start-up: exit status', gw.exitStatus ? JSON.stringify(gw.exitStatus) : 'still running')
        .set('start-up: /health while down', lastWhileDown ? lastWhileDown.health : 'no answer')
        .set('start-up: /ready while down', lastWhileDown ? `${lastWhileDown.ready} ${JSON.stringify(lastWhileDown.body)}` : 'no answer')
        .set('start-up: /ready 200 after Postgres started (s)', readyAfterS === null ? 'never' : Number(readyAfterS.toFixed(1)))
        .set('start-up: migrated by the gateway', migrated);
      if (!aliveWhileDown) report.note(`Start-up without Postgres: the gateway exited — ${gw.stderr.split('\n').find((l) => /Error|ECONN/.test(l)) ?? gw.stderr.slice(0, 200)}`);

      expect(listening, `the gateway did not listen while Postgres was down:\n${gw.describe()}`).toBe(true);
      expect(aliveWhileDown, `the gateway exited while Postgres was down:\n${gw.describe()}`).toBe(true);
      expect(observed.length).toBeGreaterThanOrEqual(6);
      expect(observed.every((o) => o.health === 200), JSON.stringify(observed)).toBe(true);
      expect(observed.every((o) => o.ready === 503), JSON.stringify(observed)).toBe(true);
      // /ready says why: Postgres, and what is wrong with it.
      expect(JSON.stringify(lastWhileDown?.body)).toMatch(/postgres/i);
      expect(JSON.stringify(lastWhileDown?.body)).toMatch(/unreachable|refused|connect|migrat|starting|not ready/i);
      expect(readyAfterS, 'ready within 60 s of Postgres starting').not.toBeNull();
      expect(migrated).toBe(true);
      expect(query?.status).toBe(200);
      expect(gw.errors().filter((l) => !/postgres|database|connect|migrat/i.test(JSON.stringify(l)))).toEqual([]);
    },
  );
});
