import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/analytics-cache.js';
import { cacheKeys } from '../../src/cache/cache.keys.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { RedisServer, redisServerInstalled } from '../support/redis-server.js';

const installed = redisServerInstalled();
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
      for (let i = 0; !(await cache.ping()); i++) if (i > 250 ? true : (await sleep(20), false)) throw new Error('no Redis');
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
        expect(Date.now() - started).toBeLessThan(1_000);
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
});
