import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheOver, createCache, type AnalyticsCache, type Codec } from '../../src/cache/analytics-cache.js';
import { cacheKeys, lockKey } from '../../src/cache/cache.keys.js';
import { RedisStore, connectRedis } from '../../src/cache/redis.store.js';
import { createLogger } from '../../src/logging/logger.js';
import { redisSuiteName, testRedisUrl, uniqueNamespace } from '../support/redis.js';

// Two caches = two ioredis connections over one Redis and one namespace: two gateway processes.
const url = testRedisUrl();
const logger = createLogger('silent');
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function twoProcesses(): Promise<{ namespace: string; a: AnalyticsCache; b: AnalyticsCache }> {
  const namespace = uniqueNamespace();
  const [a, b] = [createCache({ redisUrl: url!, logger, namespace }), createCache({ redisUrl: url!, logger, namespace })];
  closers.push(() => a.close(), () => b.close());
  for (let i = 0; !((await a.ping()) && (await b.ping())); i++) {
    if (i > 200) throw new Error('Redis did not answer');
    await sleep(20);
  }
  return { namespace, a, b };
}

describe.skipIf(!url)(redisSuiteName('cache across processes (one Redis, two connections)'), () => {
  it('two processes racing on one cold key compute it once', async () => {
    const { a, b } = await twoProcesses();
    const key = cacheKeys.dashboard(randomUUID(), 30, null);
    let calls = 0;
    const compute = async () => {
      calls++;
      await sleep(200);
      return { total: 7 };
    };
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).getOrCompute('dashboard', key, 300, compute)),
    );
    expect(calls).toBe(1);
    expect(results.every((r) => r.total === 7)).toBe(true);
  });

  it('when the lock holder’s computation fails, the waiting process computes at once', async () => {
    const { a, b } = await twoProcesses();
    const key = cacheKeys.realtime(randomUUID(), null);
    let holding!: () => void;
    const aHoldsLock = new Promise<void>((r) => (holding = r));
    const failing = a.getOrCompute('realtime', key, 30, async () => {
      holding(); // a computes only while holding the lock
      await sleep(150);
      throw new Error('db error');
    }).catch((err: Error) => err.message);
    await aHoldsLock;
    const started = Date.now();
    const value = await b.getOrCompute('realtime', key, 30, async () => ({ by: 'b' }));
    expect(await failing).toBe('db error');
    expect(value).toEqual({ by: 'b' });
    expect(Date.now() - started).toBeLessThan(2_000); // well before the 2.5 s wait runs out
  });

  it('a lock left by a dead process costs a bounded wait, never a hang', async () => {
    const { namespace, a } = await twoProcesses();
    const key = cacheKeys.dashboard(randomUUID(), 7, 'acc');
    const raw = new Redis(url!);
    closers.push(async () => void raw.disconnect());
    await raw.set(`${namespace}:${lockKey(key)}`, 'dead-process', 'PX', 60_000);
    const started = Date.now();
    expect(await a.getOrCompute('dashboard', key, 300, async () => ({ ok: 1 }))).toEqual({ ok: 1 });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(2_000);
    expect(waited).toBeLessThan(5_000);
    expect(await raw.get(`${namespace}:${lockKey(key)}`)).toBe('dead-process'); // never deletes another's lock
  });

  it('the lock is not taken for a value written since the read, and is released only by its holder', async () => {
    const store = new RedisStore(connectRedis(url!), uniqueNamespace());
    closers.push(() => store.close());
    for (let i = 0; !(await store.ping()); i++) if (i < 250) await sleep(20); else throw new Error('no Redis');
    const key = cacheKeys.realtime(randomUUID(), null);
    expect(await store.lock(key, 'p1', 5_000)).toBe('locked');
    expect(await store.lock(key, 'p2', 5_000)).toBe('busy');
    await store.unlock(key, 'p2'); // not p2's lock: stays
    expect(await store.lock(key, 'p3', 5_000)).toBe('busy');
    await store.write(key, '{"n":1}', 30_000);
    await store.unlock(key, 'p1');
    expect(await store.lock(key, 'p2', 5_000)).toBe('cached');
  });

  it('invalidation from one process is seen by the other, and only for that team', async () => {
    const { a, b } = await twoProcesses();
    const [t1, t2] = [randomUUID(), randomUUID()];
    await a.set(cacheKeys.dashboard(t1, 30, null), { t: 1 }, 300);
    await a.set(cacheKeys.dashboard(t2, 30, null), { t: 2 }, 300);
    await b.invalidateTeam(t1);
    expect(await a.get(cacheKeys.dashboard(t1, 30, null))).toBeUndefined();
    expect(await a.get(cacheKeys.dashboard(t2, 30, null))).toEqual({ t: 2 });
  });

  it('near copies of answers: served again after reading only the epoch, retired at once by another process’s invalidation', async () => {
    const namespace = uniqueNamespace();
    // Process A counts what it asks its store for; B is a second process over the same Redis.
    const counted = { read: 0, readEpoch: 0 };
    const storeA = new RedisStore(connectRedis(url!), namespace);
    const spied = Object.assign(Object.create(storeA) as RedisStore, {
      read: (key: string) => (counted.read++, storeA.read(key)),
      readEpoch: (key: string) => (counted.readEpoch++, storeA.readEpoch(key)),
    });
    const a = cacheOver(spied, { logger });
    const b = createCache({ redisUrl: url!, logger, namespace });
    closers.push(() => a.close(), () => b.close());
    for (let i = 0; !((await a.ping()) && (await b.ping())); i++) if (i < 250) await sleep(20); else throw new Error('no Redis');

    const codec: Codec<{ n: number; freshUntil: number }> = {
      encode: (v) => JSON.stringify(v),
      decode: (text) => JSON.parse(text) as { n: number; freshUntil: number },
      freshUntil: (v) => v.freshUntil,
    };
    const team = randomUUID();
    const key = cacheKeys.response(team, 'member', 'q');
    let computed = 0;
    const compute = async () => ({ value: { n: ++computed, freshUntil: Date.now() + 30_000 }, ttlSeconds: 30 });

    expect((await a.readThrough('response', key, compute, codec)).n).toBe(1); // miss: computed, stored, kept near
    expect((await a.readThrough('response', key, compute, codec)).n).toBe(1);
    expect((await a.readThrough('response', key, compute, codec)).n).toBe(1);
    expect(counted).toEqual({ read: 1, readEpoch: 2 }); // the hits fetched the epoch, not the answer
    expect((await b.readThrough('response', key, compute, codec)).n).toBe(1); // B reads it from Redis

    await b.invalidateTeam(team); // e.g. B wrote the team's snapshots
    expect((await a.readThrough('response', key, compute, codec)).n).toBe(2); // A's near copy is not served
    expect(computed).toBe(2);
    // Another team's near copy is untouched by that invalidation.
    const other = cacheKeys.response(randomUUID(), 'member', 'q');
    await a.readThrough('response', other, compute, codec);
    await b.invalidateTeam(team);
    const before = { ...counted };
    expect((await a.readThrough('response', other, compute, codec)).n).toBe(3);
    expect(counted.read - before.read).toBe(0);
  });

  it('keeps the team key set alive at least as long as the longest TTL', async () => {
    const { namespace, a } = await twoProcesses();
    const team = randomUUID();
    const raw = new Redis(url!);
    closers.push(async () => void raw.disconnect());
    await a.set(cacheKeys.realtime(team, null), { n: 1 }, 30);
    const setKey = `${namespace}:analytics:keys:{${team}}`;
    expect(await raw.smembers(setKey)).toEqual([`${namespace}:${cacheKeys.realtime(team, null)}`]);
    expect(await raw.pttl(setKey)).toBeGreaterThan(3_590_000);
    await a.set(cacheKeys.snapshots(team, 'long'), { n: 2 }, 7_200); // a longer TTL extends the set
    expect(await raw.pttl(setKey)).toBeGreaterThan(7_190_000);
  });
});
