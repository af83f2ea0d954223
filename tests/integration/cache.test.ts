import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheOver, createCache, type AnalyticsCache } from '../../src/cache/analytics-cache.js';
import { TTL_SECONDS, cacheKeys, type CacheKind } from '../../src/cache/cache.keys.js';
import type { CacheStore } from '../../src/cache/cache.store.js';
import { MemoryStore } from '../../src/cache/memory.store.js';
import { RedisStore, connectRedis } from '../../src/cache/redis.store.js';
import { createLogger } from '../../src/logging/logger.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { redisSuiteName, testRedisUrl, uniqueNamespace } from '../support/redis.js';

const url = testRedisUrl();
const logger = createLogger('silent');
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

async function open(backend: 'memory' | 'redis'): Promise<{ cache: AnalyticsCache; store: CacheStore; metrics: Metrics }> {
  const store = backend === 'memory' ? new MemoryStore() : new RedisStore(connectRedis(url!), uniqueNamespace());
  const metrics = createMetrics();
  const cache = cacheOver(store, { logger, metrics });
  closers.push(() => cache.close());
  await until(() => cache.ping());
  return { cache, store, metrics };
}

const counter = async (c: { get(): Promise<{ values: Array<{ value: number; labels: object }> }> }, kind: string) =>
  (await c.get()).values.find((v) => (v.labels as { kind?: string }).kind === kind)?.value ?? 0;

describe.each(['memory', 'redis'] as const)('%s cache', (backend) => {
  const name = backend === 'memory' ? 'in-process cache (lru-cache)' : redisSuiteName('Redis cache (the machine Redis)');
  describe.skipIf(backend === 'redis' && !url)(name, () => {
    it('stores each kind under its §8 key with its §8 TTL, and serves the second read from cache', async () => {
      const { cache, store, metrics } = await open(backend);
      const team = randomUUID();
      const keys: Record<Exclude<CacheKind, 'response'>, string> = {
        realtime: cacheKeys.realtime(team, null),
        dashboard: cacheKeys.dashboard(team, 30, null),
        snapshots: cacheKeys.snapshots(team, 'daily', '2026-11-01'),
      };
      for (const kind of ['realtime', 'dashboard', 'snapshots'] as const) {
        let calls = 0;
        const compute = async () => ({ kind, n: ++calls });
        expect(await cache.getOrCompute(kind, keys[kind], TTL_SECONDS[kind], compute)).toEqual({ kind, n: 1 });
        const ttl = await store.ttlMs(keys[kind]); // Redis: real PTTL of the namespaced key
        expect(ttl).toBeGreaterThan(TTL_SECONDS[kind] * 1000 - 2_000);
        expect(ttl).toBeLessThanOrEqual(TTL_SECONDS[kind] * 1000);
        expect(await cache.getOrCompute(kind, keys[kind], TTL_SECONDS[kind], compute)).toEqual({ kind, n: 1 });
        expect(calls).toBe(1);
        expect(await counter(metrics.cacheMisses, kind)).toBe(1);
        expect(await counter(metrics.cacheHits, kind)).toBe(1);
        expect((await metrics.cacheComputeSeconds.get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.kind === kind)?.value).toBe(1);
      }
    });

    it('readThrough stores whole answers for the TTL the computation reports, per team', async () => {
      const { cache, store } = await open(backend);
      const team = randomUUID();
      const key = cacheKeys.response(team, 'admin', 'abc');
      let calls = 0;
      const compute = async () => ({ value: { n: ++calls }, ttlSeconds: 30 });
      expect(await cache.readThrough('response', key, compute)).toEqual({ n: 1 });
      expect(await store.ttlMs(key)).toBeGreaterThan(28_000);
      expect(await cache.readThrough('response', key, compute)).toEqual({ n: 1 });
      await cache.invalidateTeam(team);
      expect(await cache.readThrough('response', key, compute)).toEqual({ n: 2 });
      // Not stored: a TTL of 0 (an error or a mutation), and an answer computed across an invalidation.
      const other = cacheKeys.response(team, 'admin', 'def');
      await cache.readThrough('response', other, async () => ({ value: 1, ttlSeconds: 0 }));
      expect(await store.ttlMs(other)).toBeNull();
      await cache.readThrough('response', other, async () => {
        await cache.invalidateTeam(team);
        return { value: 2, ttlSeconds: 30 };
      });
      expect(await cache.get(other)).toBeUndefined();
    });

    it('get/set round-trips plain JSON (Dates come back as ISO strings) and returns copies', async () => {
      const { cache } = await open(backend);
      const key = cacheKeys.dashboard(randomUUID(), 7, 'acc-1');
      expect(await cache.get(key)).toBeUndefined();
      await cache.set(key, { total: 3, at: new Date('2026-11-25T10:00:00Z'), list: [1, null] }, 60);
      const got = await cache.get<{ total: number; at: string; list: unknown[] }>(key);
      expect(got).toEqual({ total: 3, at: '2026-11-25T10:00:00.000Z', list: [1, null] });
      got!.total = 99;
      expect(await cache.get(key)).toMatchObject({ total: 3 });
      await expect(cache.set(key, undefined, 60)).rejects.toThrow(TypeError);
    });

    it('invalidateTeam clears every key of that team and no other team’s', async () => {
      const { cache } = await open(backend);
      const [a, b] = [randomUUID(), randomUUID()];
      const keysOf = (t: string) => [cacheKeys.realtime(t, null), cacheKeys.realtime(t, 'acc'), cacheKeys.dashboard(t, 30, null), cacheKeys.dashboard(t, 7, 'acc'), cacheKeys.snapshots(t, 'x')];
      for (const key of [...keysOf(a), ...keysOf(b)]) await cache.set(key, { key }, 300);
      await cache.invalidateTeam(a);
      for (const key of keysOf(a)) expect(await cache.get(key)).toBeUndefined();
      for (const key of keysOf(b)) expect(await cache.get(key)).toEqual({ key });
      await cache.set(keysOf(a)[0]!, { again: true }, 300); // the team caches again afterwards
      expect(await cache.get(keysOf(a)[0]!)).toEqual({ again: true });
    });

    it('200 concurrent getOrCompute of one cold key compute it once', async () => {
      const { cache } = await open(backend);
      const key = cacheKeys.dashboard(randomUUID(), 30, null);
      let calls = 0;
      const compute = async () => {
        calls++;
        await sleep(50);
        return { total: 42 };
      };
      const results = await Promise.all(Array.from({ length: 200 }, () => cache.getOrCompute('dashboard', key, 300, compute)));
      expect(calls).toBe(1);
      expect(results.every((r) => r.total === 42)).toBe(true);
    });

    it('recomputes after the TTL expires', async () => {
      const { cache } = await open(backend);
      const key = cacheKeys.realtime(randomUUID(), null);
      let calls = 0;
      const compute = async () => ({ n: ++calls });
      expect(await cache.getOrCompute('realtime', key, 1, compute)).toEqual({ n: 1 });
      expect(await cache.getOrCompute('realtime', key, 1, compute)).toEqual({ n: 1 });
      await sleep(1_100);
      expect(await cache.getOrCompute('realtime', key, 1, compute)).toEqual({ n: 2 });
    });

    it('does not store a value computed before an invalidation of its team', async () => {
      const { cache } = await open(backend);
      const team = randomUUID();
      const key = cacheKeys.dashboard(team, 30, null);
      let release!: () => void;
      const stale = cache.getOrCompute('dashboard', key, 300, () => new Promise<{ v: string }>((r) => (release = () => r({ v: 'old' }))));
      await until(async () => release !== undefined);
      await cache.invalidateTeam(team); // e.g. snapshots were written meanwhile
      const fresh = cache.getOrCompute('dashboard', key, 300, async () => ({ v: 'new' }));
      release();
      expect(await stale).toEqual({ v: 'old' });
      expect(await fresh).toEqual({ v: 'new' });
      expect(await cache.get(key)).toEqual({ v: 'new' });
    });

    it('getOrComputeMany reads the cached keys and computes the others once, in one call, for concurrent callers', async () => {
      const { cache, store } = await open(backend);
      const team = randomUUID();
      const [a, b, c] = ['a', 'b', 'c'].map((id) => cacheKeys.realtime(team, id)) as [string, string, string];
      await cache.set(a, { id: 'a', n: 0 }, 30);
      const calls: string[][] = [];
      const compute = async (keys: string[]) => {
        calls.push(keys);
        await sleep(50);
        return keys.map((key) => ({ id: key.split(':').at(-1), n: calls.length }));
      };
      const [first, second] = await Promise.all([
        cache.getOrComputeMany('realtime', [c, a, b, c], 30, compute),
        cache.getOrComputeMany('realtime', [b, c], 30, compute),
      ]);
      expect(calls).toEqual([[c, b]]); // a was cached; the second caller joined the first's computation
      expect(first).toEqual([{ id: 'c', n: 1 }, { id: 'a', n: 0 }, { id: 'b', n: 1 }, { id: 'c', n: 1 }]);
      expect(second).toEqual([{ id: 'b', n: 1 }, { id: 'c', n: 1 }]);
      expect(await store.ttlMs(b)).toBeGreaterThan(28_000);
      expect(await cache.getOrComputeMany('realtime', [a, b, c], 30, compute)).toEqual([{ id: 'a', n: 0 }, { id: 'b', n: 1 }, { id: 'c', n: 1 }]);
      expect(calls).toHaveLength(1);
    });

    it('getOrComputeMany stores nothing computed across an invalidation of its team, and nothing that failed', async () => {
      const { cache } = await open(backend);
      const team = randomUUID();
      const [a, b] = [cacheKeys.realtime(team, 'a'), cacheKeys.realtime(team, 'b')];
      const old = await cache.getOrComputeMany('realtime', [a, b], 30, async (keys) => {
        await cache.invalidateTeam(team); // e.g. snapshots were written meanwhile
        return keys.map(() => 'old');
      });
      expect(old).toEqual(['old', 'old']);
      expect(await cache.get(a)).toBeUndefined();
      await expect(cache.getOrComputeMany('realtime', [a], 30, async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
      await expect(cache.getOrComputeMany('realtime', [a, b], 30, async () => ['one'])).rejects.toThrow('1 values computed for 2 keys');
      expect(await cache.getOrComputeMany('realtime', [a, b], 30, async (keys) => keys.map(() => 'new'))).toEqual(['new', 'new']);
      expect(await cache.get(b)).toBe('new');
    });

    it('does not cache a failed computation', async () => {
      const { cache } = await open(backend);
      const key = cacheKeys.realtime(randomUUID(), 'acc');
      await expect(cache.getOrCompute('realtime', key, 30, async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
      expect(await cache.getOrCompute('realtime', key, 30, async () => ({ ok: true }))).toEqual({ ok: true });
    });
  });
});

describe('createCache', () => {
  it('is in-process without a Redis URL', async () => {
    const cache = createCache({ logger });
    closers.push(() => cache.close());
    expect(cache.backend).toBe('memory');
    expect(await cache.ping()).toBe(true);
  });

  describe.skipIf(!url)(redisSuiteName('uses Redis with a URL, each namespace apart'), () => {
    it('keeps namespaces apart', async () => {
      const [one, two] = [uniqueNamespace(), uniqueNamespace()].map((namespace) => createCache({ redisUrl: url!, logger, namespace }));
      closers.push(() => one!.close(), () => two!.close());
      expect(one!.backend).toBe('redis');
      await until(async () => (await one!.ping()) && (await two!.ping()));
      const key = cacheKeys.realtime(randomUUID(), null);
      await one!.set(key, { from: 'one' }, 30);
      expect(await two!.get(key)).toBeUndefined();
      expect(await one!.get(key)).toEqual({ from: 'one' });
    });
  });
});
