/**
 * Fault (issue 7, item 2): a gateway process killed with SIGKILL in the middle of a snapshot run, and
 * another gateway process finishing the work. Two real gateways (`node dist/main.js`, as `npm start` runs it) over
 * one test database; the run of the first is cut by SIGKILL (no shutdown hook runs); the second runs
 * the job: the dead run is marked abandoned, every team gets every period, and no period of a team is
 * ever left half written.
 *
 * CI runs the deployment without Redis (the job lock is a Postgres advisory lock, freed when the dead
 * process's session closes). The soak also runs it with a Redis lock, which the dead process holds
 * until its TTL (60 s) runs out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestDatabase, type TestDatabase } from '../support/db.js';
import { RedisServer, redisServerInstalled } from '../support/redis-server.js';
import { GatewayProcess, startPrivateRedis } from '../support/reliability-gateway.js';
import { ReportSection, SOAK } from '../support/reliability-report.js';
import { seedTeams, tokensFor, withClient, type SeededTeam } from '../support/reliability-seed.js';

const TEAMS = 16;
const REFRESH_DAYS = 15;
const ROW_DELAY_MS = 5;

const why = backendName() !== 'postgres' ? 'no Postgres at TEST_DATABASE_URL (two processes cannot share an embedded PGlite)' : null;
const title = 'fault: a gateway SIGKILLed in the middle of a run, another one finishing the work';
const report = new ReportSection('fault-sigkill', 'Fault: gateway killed mid-run', 13, { fault: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const variants: Array<{ lock: 'advisory' | 'redis' }> = SOAK && redisServerInstalled() ? [{ lock: 'advisory' }, { lock: 'redis' }] : [{ lock: 'advisory' }];

async function groups(url: string) {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ team_id: string; date: string; n: number }>(
      `SELECT team_id::text, date::text, count(*)::int AS n FROM analytics_snapshots WHERE snapshot_type = 'Daily' GROUP BY 1, 2`,
    );
    return rows;
  });
}

function partial(rows: Array<{ team_id: string; date: string; n: number }>, teams: SeededTeam[]): string[] {
  const scopes = new Map(teams.map((t) => [t.id, 1 + t.accounts.length]));
  return rows.filter((r) => r.n !== scopes.get(r.team_id)).map((r) => `${r.team_id} ${r.date}: ${r.n} of ${scopes.get(r.team_id)}`);
}

function trigger(gw: GatewayProcess, token: string) {
  return fetch(gw.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'mutation { triggerJob(name: "daily-analytics-snapshot") { id status snapshotsWritten teamsTotal teamsFailed error } }' }),
    signal: AbortSignal.timeout(240_000),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
}

describe.skipIf(why !== null)(why ? `${title} — NOT RUN: ${why}` : title, () => {
  const gateways: GatewayProcess[] = [];
  const dbs: TestDatabase[] = [];
  let redis: RedisServer | undefined;

  beforeAll(async () => {
    if (variants.some((v) => v.lock === 'redis')) redis = await startPrivateRedis();
  });

  afterAll(async ({}, suite) => {
    try {
      await Promise.all(gateways.map((g) => g.kill()));
      await redis?.stop();
      for (const db of dbs) await db.drop();
    } finally {
      await report.write(suite);
    }
  });

  for (const { lock } of variants) {
    it(`job lock: ${lock === 'advisory' ? 'Postgres advisory lock (no Redis)' : 'Redis'} — the dead run is marked abandoned, the other process writes everything, no half-written period`, { timeout: 300_000 }, async () => {
      const db = await createTestDatabase();
      dbs.push(db);
      const url = db.url!;
      const teams = await seedTeams(url, { teams: TEAMS, days: REFRESH_DAYS + 2, contactsPerAccount: 4, messagesPerConversation: 4 });
      const expected = teams.reduce((n, t) => n + 1 + t.accounts.length, 0) * REFRESH_DAYS;
      await withClient(url, async (c) => {
        await c.query(`CREATE FUNCTION reliability_slow_row() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN PERFORM pg_sleep(${ROW_DELAY_MS / 1000}); RETURN NEW; END $$`);
        await c.query(`CREATE TRIGGER reliability_slow_row BEFORE INSERT OR UPDATE ON analytics_snapshots FOR EACH ROW EXECUTE FUNCTION reliability_slow_row()`);
      });
      const [admin] = await tokensFor(teams.slice(0, 1));
      const env = {
        DATABASE_URL: url,
        ANALYTICS_REFRESH_DAYS: String(REFRESH_DAYS),
        SNAPSHOT_CONCURRENCY: '1',
        ...(lock === 'redis' ? { REDIS_URL: redis!.url } : {}),
      };
      const [a, b] = await Promise.all([GatewayProcess.start({ env }), GatewayProcess.start({ env })]);
      gateways.push(a!, b!);

      const doomed = trigger(a!, admin!.token).catch((err: Error) => ({ status: 0, body: err.message }));
      let writtenAtKill = 0;
      for (const deadline = Date.now() + 120_000; ; await sleep(100)) {
        writtenAtKill = (await groups(url)).reduce((n, g) => n + g.n, 0);
        if (writtenAtKill >= expected * 0.25) break;
        if (Date.now() > deadline) throw new Error(`the run did not get going (${writtenAtKill} of ${expected} rows)`);
      }
      await a!.kill();
      const killedAt = Date.now();
      const answerOfKilled = await doomed;

      // The statement the dead process had in flight ends on its own (committed whole or rolled back).
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
        const busy = await withClient(url, async (c) =>
          (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query ILIKE '%analytics_snapshots%' AND pid <> pg_backend_pid()`)).rows[0]!.n as number,
        );
        if (busy === 0) break;
      }
      const afterKill = await groups(url);
      const halfWritten = partial(afterKill, teams);
      const { rows: runsAfterKill } = await withClient(url, (c) => c.query<{ id: string; status: string }>(`SELECT id::text, status FROM job_runs ORDER BY started_at`));

      // The other process finishes the work (its first attempts may find the dead process's lock).
      let conflicts = 0;
      let finished: { status: number; body: any } | undefined;
      for (const deadline = Date.now() + (lock === 'redis' ? 120_000 : 60_000); Date.now() < deadline; ) {
        const r = await trigger(b!, admin!.token);
        if (r.body?.errors?.[0]?.extensions?.code === 'CONFLICT') {
          conflicts++;
          await sleep(1000);
          continue;
        }
        finished = r;
        break;
      }
      const tookOverAfterS = (Date.now() - killedAt) / 1000;
      const final = await groups(url);
      const { rows: runs } = await withClient(url, (c) =>
        c.query<{ id: string; status: string; error: string | null; run_key: string }>(`SELECT id::text, status, error, run_key FROM job_runs ORDER BY started_at`),
      );
      const dead = runs.find((r) => r.id === runsAfterKill[0]?.id);

      const label = lock === 'advisory' ? 'advisory lock' : 'Redis lock';
      report
        .set(`${label}: rows at SIGKILL`, `${writtenAtKill} of ${expected}`)
        .set(`${label}: killed process's request`, answerOfKilled.status === 0 ? `no answer (${String(answerOfKilled.body).slice(0, 80)})` : `HTTP ${answerOfKilled.status}`)
        .set(`${label}: half-written team periods after the kill`, halfWritten.length)
        .set(`${label}: CONFLICT answers before the lock was free`, conflicts)
        .set(`${label}: work finished by the other process after (s)`, Number(tookOverAfterS.toFixed(1)))
        .set(`${label}: other process's run`, finished?.body?.data?.triggerJob ? `${finished.body.data.triggerJob.status}, ${finished.body.data.triggerJob.snapshotsWritten} written` : JSON.stringify(finished?.body ?? null).slice(0, 200))
        .set(`${label}: dead run recorded as`, dead ? `${dead.status}: ${dead.error ?? ''}`.slice(0, 200) : 'missing')
        .set(`${label}: rows at the end`, final.reduce((n, g) => n + g.n, 0));
      report.headline = `killed at ${writtenAtKill}/${expected} rows: ${halfWritten.length} half-written periods; the other process wrote all ${final.reduce((n, g) => n + g.n, 0)} rows`;
      if (!SOAK) report.note('The variant with the Redis job lock (held by the dead process until its 60 s TTL) runs in the soak only.');

      expect(halfWritten, 'no team period is half written after the kill').toEqual([]);
      expect(runsAfterKill.map((r) => r.status)).toEqual(['running']); // nobody finished it for the dead process
      expect(finished, 'the other process could run the job').toBeDefined();
      expect(finished!.body.errors, JSON.stringify(finished!.body)).toBeUndefined();
      expect(finished!.body.data.triggerJob).toMatchObject({ status: 'succeeded', teamsFailed: 0, teamsTotal: TEAMS });
      expect(dead?.status).toBe('failed');
      expect(dead?.error ?? '').toMatch(/abandoned/);
      expect(partial(final, teams)).toEqual([]);
      expect(final.length).toBe(TEAMS * REFRESH_DAYS);
      expect(final.reduce((n, g) => n + g.n, 0)).toBe(expected);
      expect(b!.alive, b!.describe()).toBe(true);
      expect(b!.errors().map((l) => l.msg)).toEqual([]);
    });
  }
});
