/**
 * Fault (issue 7, item 2): Redis stopped and restarted under load. The gateway (a child process,
 * production mode) uses a private redis-server of this test; polls continue from Postgres while Redis
 * is down — no error, no 5xx, no dropped request — and caching resumes once it is back.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeDays } from '../../src/metrics/periods.js';
import { backendName, createTestDatabase, type TestDatabase } from '../support/db.js';
import { RedisServer, redisServerInstalled } from '../support/redis-server.js';
import { GatewayProcess, getJson, startPrivateRedis } from '../support/reliability-gateway.js';
import { pollingMix, runLoad } from '../support/reliability-load.js';
import { ReportSection, SOAK } from '../support/reliability-report.js';
import { seedRealistic, tokensFor, type TeamToken } from '../support/reliability-seed.js';

const why = backendName() !== 'postgres' ? 'no Postgres at TEST_DATABASE_URL' : !redisServerInstalled() ? 'no redis-server binary on PATH' : null;
const title = 'fault: Redis stopped and restarted under load';
const CONNECTIONS = 50;
const DURATION_S = SOAK ? 90 : 18;
const DOWN_AT_S = SOAK ? 20 : 4;
const UP_AT_S = SOAK ? 60 : 11;

const report = new ReportSection('fault-redis', 'Fault: Redis down under load', 10, { fault: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(why !== null)(why ? `${title} — NOT RUN: ${why} (set REQUIRE_SERVICES=1 to fail instead)` : title, () => {
  let db: TestDatabase;
  let redis: RedisServer;
  let gateway: GatewayProcess | undefined;
  let tokens: TeamToken[];

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await startPrivateRedis();
    const seeded = await seedRealistic(db.database, db.url!, { extraTeams: 8, days: 35 });
    tokens = await tokensFor(seeded.teams);
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

  it(`keeps answering every poll from Postgres while Redis is down (${UP_AT_S - DOWN_AT_S} s), and caches again after it is back`, { timeout: DURATION_S * 1000 + 120_000 }, async () => {
    const gw = gateway!;
    const days = completeDays(30, 'UTC').dates;
    const mix = pollingMix({ snapshotFrom: days[0]!, snapshotTo: days.at(-1)! });
    const readiness: Array<{ at: number; status: number; body: unknown }> = [];
    let readyAgainS = null as number | null;
    const started = Date.now();
    const phase = async () => {
      await sleep(DOWN_AT_S * 1000);
      await redis.stop();
      const downAt = Date.now();
      await sleep(1500);
      readiness.push({ at: (Date.now() - started) / 1000, ...(await getJson(`${gw.url}/ready`)) });
      await sleep(Math.max(0, UP_AT_S * 1000 - (Date.now() - started)));
      await redis.restart();
      const upAt = Date.now();
      const down = (upAt - downAt) / 1000;
      // Back: /ready turns 200 again once the gateway has reconnected by itself.
      for (const deadline = upAt + 15_000; Date.now() < deadline; await sleep(100)) {
        if ((await getJson(`${gw.url}/ready`)).status === 200) {
          readyAgainS = (Date.now() - upAt) / 1000;
          break;
        }
      }
      return down;
    };
    const [load, downSeconds] = await Promise.all([
      runLoad({ url: gw.graphqlUrl, teams: tokens, mix, connections: CONNECTIONS, durationSeconds: DURATION_S, seed: 11 }),
      phase(),
    ]);

    // Values are written to Redis again.
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    let keysAfter = 0;
    try {
      await runLoad({ url: gw.graphqlUrl, teams: tokens, mix, connections: 10, durationSeconds: 3, seed: 12 });
      keysAfter = await client.dbsize();
    } finally {
      client.disconnect();
    }
    const warnings = gw.lines.filter((l) => l.level === 40 && /redis/i.test(JSON.stringify(l)));

    report.headline = `${load.requests.toLocaleString('en-US')} requests over ${DURATION_S} s with Redis down ${downSeconds.toFixed(1)} s: ${load.requests - load.ok} failed`;
    report
      .set('connections', CONNECTIONS)
      .set('load (s)', DURATION_S)
      .set('Redis down (s)', Number(downSeconds.toFixed(1)))
      .set('requests served', load.requests)
      .set('answered OK', load.ok)
      .set('errors (connection + timeouts)', load.connectionErrors + load.timeouts)
      .set('5xx', load.status5xx)
      .set('GraphQL errors in 2xx', load.graphqlErrors)
      .set('latency p50 / p99 (ms)', `${load.latencyMs.p50} / ${load.latencyMs.p99}`)
      .set('/ready while Redis was down', readiness.map((r) => `${r.status} ${JSON.stringify(r.body)}`).join('; '))
      .set('/ready 200 again after restart (s)', readyAgainS === null ? 'not within 15 s' : Number(readyAgainS.toFixed(1)))
      .set('keys in Redis after restart', keysAfter)
      .set('WARN lines about Redis', warnings.length)
      .set('ERROR lines', gw.errors().length);
    if (load.samples.length) report.note(`First failures: ${load.samples.slice(0, 3).join(' | ')}`);

    const failures = `\n${load.samples.join('\n')}\n${gw.errors().slice(0, 5).map((l) => JSON.stringify(l).slice(0, 600)).join('\n')}`;
    expect(load.requests).toBeGreaterThan(CONNECTIONS);
    expect(load.connectionErrors + load.timeouts, failures).toBe(0);
    expect(load.status5xx, failures).toBe(0);
    expect(load.non2xx, failures).toBe(0);
    expect(load.graphqlErrors, failures).toBe(0);
    expect(load.ok).toBe(load.requests);
    expect(gw.alive, gw.describe()).toBe(true);
    expect(readiness[0]?.status, 'GET /ready while Redis is down').toBe(503);
    expect(JSON.stringify(readiness[0]?.body)).toMatch(/redis/i);
    expect(readyAgainS, '/ready 200 again after Redis is back').not.toBeNull();
    expect(keysAfter, 'values are cached in Redis again').toBeGreaterThan(0);
    expect(warnings.length, 'a warning is logged while Redis is down').toBeGreaterThan(0);
    expect(gw.errors().map((l) => l.msg)).toEqual([]);
  });
});
