import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { RedisServer } from '../support/redis-server.js';
import { GatewayProcess } from '../support/reliability-gateway.js';
import { pollingMix, runLoad } from '../support/reliability-load.js';
import { seedRealistic, tokensFor, type TeamToken } from '../support/reliability-seed.js';
import { completeDays } from '../../src/metrics/periods.js';

describe('scratch', () => {
  let db: TestDatabase; let redis: RedisServer; let gw: GatewayProcess; let tokens: TeamToken[];
  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await RedisServer.start();
    const t0 = Date.now();
    const seeded = await seedRealistic(db.database, db.url!, { extraTeams: 36, days: 35 });
    console.log('seed ms', Date.now() - t0, seeded.rows);
    tokens = await tokensFor(seeded.teams);
    gw = await GatewayProcess.start({ env: { DATABASE_URL: db.url!, REDIS_URL: redis.url, LOG_LEVEL: 'info' } });
  }, 300_000);
  afterAll(async () => { await gw?.stop(); await redis?.stop(); await db?.drop(); });
  it('mix', { timeout: 300_000 }, async () => {
    const days = completeDays(30, 'UTC').dates;
    const mixAll = pollingMix({ snapshotFrom: days[0]!, snapshotTo: days.at(-1)! });
    const mode = process.env.MIXMODE ?? 'all';
    const mix = mode === 'team' ? mixAll.map((m) => ({ ...m, body: (t: TeamToken, r: () => number) => m.body({ ...t, team: { ...t.team, accounts: [] } }, r) })) : mixAll;
    for (let round = 0; round < 3; round++) {
      const r = await runLoad({ url: gw.graphqlUrl, teams: tokens, mix, connections: 200, durationSeconds: 20, seed: round });
      const ops = gw.lines.filter((l) => l.msg === 'graphql operation' || l.msg === 'graphql operation failed');
      const slow = gw.lines.filter((l) => String(l.msg).startsWith('cache miss'));
      console.log(mode, round, { req: r.requests, ok: r.ok, to: r.timeouts, p50: r.latencyMs.p50, p99: r.latencyMs.p99, rps: r.rps, errors: gw.errors().length, slowMisses: slow.length, rss: gw.rssMB() });
      gw.lines.length = 0;
    }
    const act = await db.database.rows(sql`select count(*) from pg_stat_activity`);
    console.log(act);
  });
});
