import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InProcessJobLock, PostgresAdvisoryJobLock, RedisJobLock, createJobLock, type LockHandle } from '../../src/jobs/job-lock.js';
import { createLogger } from '../../src/logging/logger.js';
import { backendName, createTestDatabase, type TestDatabase } from '../support/db.js';
import { redisSuiteName, testRedisUrl, uniqueNamespace } from '../support/redis.js';

const logger = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const held: LockHandle[] = [];
afterEach(async () => {
  while (held.length) await held.pop()!.release();
});
const keep = (h: LockHandle | null) => {
  if (h) held.push(h);
  return h;
};

describe.skipIf(!testRedisUrl())(redisSuiteName('job lock on Redis'), () => {
  let redis: Redis;
  let prefix: string;
  beforeAll(async () => {
    redis = new Redis(testRedisUrl()!);
  });
  afterAll(async () => {
    await redis?.quit();
  });
  const lock = (opts: { ttlMs?: number; extendEveryMs?: number } = {}) =>
    new RedisJobLock(redis, { keyPrefix: prefix, logger, ...opts });

  it('is exclusive: SET NX PX; released by its holder only', async () => {
    prefix = `${uniqueNamespace()}:lock:`;
    const a = keep(await lock().acquire('daily-analytics-snapshot'))!;
    expect(a).not.toBeNull();
    expect(await redis.get(`${prefix}daily-analytics-snapshot`)).toBe(a.token);
    expect(await redis.pttl(`${prefix}daily-analytics-snapshot`)).toBeGreaterThan(50_000);
    expect(await lock().acquire('daily-analytics-snapshot')).toBeNull();
    // Another job's lock is independent.
    expect(keep(await lock().acquire('weekly-analytics-snapshot'))).not.toBeNull();
    await a.release();
    expect(await redis.exists(`${prefix}daily-analytics-snapshot`)).toBe(0);
    expect(keep(await lock().acquire('daily-analytics-snapshot'))).not.toBeNull();
  });

  it('release deletes only its own token (a lock that expired and was retaken stays with its new holder)', async () => {
    prefix = `${uniqueNamespace()}:lock:`;
    const a = (await lock({ ttlMs: 200, extendEveryMs: 60_000 }).acquire('j'))!;
    await sleep(300); // expired: a never extended it
    const b = keep(await lock().acquire('j'))!;
    expect(b).not.toBeNull();
    await a.release();
    expect(await redis.get(`${prefix}j`)).toBe(b.token);
  });

  it('is extended while held, so a run longer than the TTL keeps it', async () => {
    prefix = `${uniqueNamespace()}:lock:`;
    const a = keep(await lock({ ttlMs: 300 }).acquire('j'))!;
    await sleep(1000);
    expect(a.lost).toBe(false);
    expect(await redis.get(`${prefix}j`)).toBe(a.token);
    expect(await lock().acquire('j')).toBeNull();
  });

  it('a holder that stops extending (a dead process) loses it after the TTL; a taken-over lock reports lost', async () => {
    prefix = `${uniqueNamespace()}:lock:`;
    const a = (await lock({ ttlMs: 250, extendEveryMs: 100 }).acquire('j'))!;
    // Someone else's token appears (as after an expiry and a takeover): the next extension notices.
    await redis.set(`${prefix}j`, 'someone-else', 'PX', 5000);
    await sleep(250);
    expect(a.lost).toBe(true);
    expect(a.lostSignal.aborted).toBe(true);
    expect(await redis.get(`${prefix}j`)).toBe('someone-else');
    await a.release();
    expect(await redis.get(`${prefix}j`)).toBe('someone-else');
  });

  it('waits for a busy lock when asked to', async () => {
    prefix = `${uniqueNamespace()}:lock:`;
    const a = (await lock().acquire('j'))!;
    setTimeout(() => void a.release(), 300);
    const t0 = Date.now();
    const b = keep(await lock({}).acquire('j', { waitMs: 3000 }));
    expect(b).not.toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });
});

describe(`job lock without Redis on ${backendName()}`, () => {
  let t: TestDatabase;
  afterEach(async () => {
    while (held.length) await held.pop()!.release();
    await t?.drop();
  });

  it.runIf(backendName() === 'postgres')('Postgres: a session advisory lock, exclusive across sessions, freed when the session dies', async () => {
    t = await createTestDatabase();
    expect(createJobLock({ database: t.database }).kind).toBe('postgres');
    const one = new PostgresAdvisoryJobLock(t.url!, { logger, extendEveryMs: 100 });
    const two = new PostgresAdvisoryJobLock(t.url!, { logger });
    const a = (await one.acquire('daily-analytics-snapshot'))!;
    expect(a).not.toBeNull();
    expect(await two.acquire('daily-analytics-snapshot')).toBeNull();
    expect(keep(await two.acquire('weekly-analytics-snapshot'))).not.toBeNull();
    await a.release();
    const b = (await two.acquire('daily-analytics-snapshot'))!;
    expect(b).not.toBeNull();

    // The holder's session dies (crash, network): the server frees the lock; the holder notices.
    const admin = new pg.Client({ connectionString: t.url! });
    await admin.connect();
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'analytics-gateway:job-lock:daily-analytics-snapshot'`,
    );
    await admin.end();
    keep(b);
    await sleep(400);
    expect(keep(await one.acquire('daily-analytics-snapshot'))).not.toBeNull();
  });

  it.runIf(backendName() === 'postgres')('Postgres: the lost lock is reported to the holder', async () => {
    t = await createTestDatabase();
    const one = new PostgresAdvisoryJobLock(t.url!, { logger, extendEveryMs: 100 });
    const a = keep(await one.acquire('monthly-analytics-snapshot'))!;
    const admin = new pg.Client({ connectionString: t.url! });
    await admin.connect();
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'analytics-gateway:job-lock:monthly-analytics-snapshot'`,
    );
    await admin.end();
    await sleep(400);
    expect(a.lost).toBe(true);
  });

  it('PGlite: an in-process lock (one process owns the embedded database)', { timeout: 120_000 }, async () => {
    t = await createTestDatabase({ backend: 'pglite' });
    const lock = createJobLock({ database: t.database });
    expect(lock).toBeInstanceOf(InProcessJobLock);
    const a = (await lock.acquire('j'))!;
    expect(await lock.acquire('j')).toBeNull();
    // Another lock object over the same database (e.g. triggerJob's and the scheduler's) sees it too.
    expect(await createJobLock({ database: t.database }).acquire('j')).toBeNull();
    await a.release();
    expect(keep(await createJobLock({ database: t.database }).acquire('j'))).not.toBeNull();
  });
});
