import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createCache, type AnalyticsCache } from '../../src/cache/analytics-cache.js';
import { cacheKeys } from '../../src/cache/cache.keys.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { RedisServer, redisServerInstalled } from '../support/redis-server.js';

const installed = redisServerInstalled();

async function untilAnswers(cache: AnalyticsCache): Promise<void> {
  for (const deadline = Date.now() + 5_000; !(await cache.ping()); await sleep(20)) {
    if (Date.now() > deadline) throw new Error('Redis did not answer within 5 s');
  }
}
const name = 'cache while its own redis-server stops and restarts';

describe.skipIf(!installed)(installed ? name : `${name} — NOT RUN: no redis-server binary on PATH`, () => {
  let server: RedisServer | undefined;
  afterAll(async () => server?.stop());

  it('answers every call while Redis is down, warns once, and serves hits again after restart', async () => {
    server = await RedisServer.start();
    const logs: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const metrics = createMetrics();
    const cache = createCache({ redisUrl: server.url, logger, metrics, namespace: 'outage' });
    try {
      await untilAnswers(cache);
      const key = cacheKeys.dashboard(randomUUID(), 30, null);
      let calls = 0;
      const compute = async () => ({ total: 42, call: ++calls });
      const ask = () => cache.getOrCompute('dashboard', key, 300, compute);

      await ask();
      expect(await ask()).toEqual({ total: 42, call: 1 }); // a hit
      await server.stop();
      expect(await cache.ping()).toBe(false);

      // Down: every call is answered by computing, fast, without throwing (sequential and in bursts).
      for (let round = 0; round < 20; round++) {
        const started = Date.now();
        const answers = await Promise.all(Array.from({ length: 10 }, ask));
        expect(answers.every((a) => a.total === 42)).toBe(true);
        expect(Date.now() - started).toBeLessThan(1_500);
      }
      expect(calls).toBeGreaterThanOrEqual(21);
      const warns = logs.filter((l) => l.level === 40 && l.msg.includes('answering without cache'));
      expect(warns).toHaveLength(1); // rate-limited: one WARN for the whole outage, not one per request
      expect((await metrics.backendErrors.get()).values.find((v) => v.labels.backend === 'redis')?.value).toBeGreaterThan(0);
      expect((await metrics.cacheErrors.get()).values.find((v) => v.labels.kind === 'dashboard')?.value).toBeGreaterThan(0);

      // Back: within a few seconds the cache reconnects by itself and serves hits again.
      await server.restart();
      const backBy = Date.now() + 5_000;
      let before = calls;
      for (;;) {
        await ask();
        if (calls === before) break; // served from Redis: a hit
        before = calls;
        if (Date.now() > backBy) throw new Error('no cache hits within 5 s of the restart');
        await sleep(100);
      }
      expect(await cache.ping()).toBe(true);
      expect(logs.some((l) => l.level === 30 && l.msg === 'cache: redis connected')).toBe(true);
    } finally {
      await cache.close();
    }
  });

  it('a frozen Redis (connection open, no replies) costs each call at most the command timeout', async () => {
    server ??= await RedisServer.start();
    if (!server.running) await server.restart();
    const cache = createCache({ redisUrl: server.url, logger: pino({ level: 'silent' }), namespace: 'frozen' });
    try {
      await untilAnswers(cache);
      const key = cacheKeys.realtime(randomUUID(), null);
      let calls = 0;
      const ask = () => cache.getOrCompute('realtime', key, 30, async () => ({ call: ++calls }));
      await ask();
      server.freeze(true);
      for (let round = 0; round < 3; round++) {
        const started = Date.now();
        const answers = await Promise.all(Array.from({ length: 10 }, ask));
        expect(answers.every((a) => a.call > 1)).toBe(true); // computed, not waiting on Redis
        expect(Date.now() - started).toBeLessThan(1_500);
      }
      server.freeze(false);
      await sleep(200);
      const before = calls;
      await ask();
      await ask();
      expect(calls - before).toBeLessThanOrEqual(1); // caching again
    } finally {
      server.freeze(false);
      await cache.close();
    }
  });
});
