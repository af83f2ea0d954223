import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Database } from '../db/client.js';
import type { Logger } from '../logging/logger.js';

/**
 * Cluster-wide mutual exclusion for job runs: one lock per job name, taken by scheduled and manual
 * runs alike (croner's `protect` only covers one process, and `trigger()` ignores it).
 *
 * - Redis (REDIS_URL set): `SET key token NX PX ttl`; while held, the TTL is extended every
 *   `extendEveryMs` by a script that extends only our own token; released by a script that deletes
 *   only our own token. A process that dies stops extending, so the lock expires after `ttlMs`.
 * - Postgres without Redis: `pg_try_advisory_lock` on a dedicated session (not a pooled one, whose
 *   session would outlive our use); the server drops it when the session ends, crash included. The
 *   session is pinged every `extendEveryMs` so a dropped session is noticed as a lost lock.
 * - PGlite: one process owns the embedded database, so an in-process lock suffices; the advisory
 *   lock is taken on the embedded session as well, which makes it visible in pg_locks.
 */
export interface JobLock {
  readonly kind: 'redis' | 'postgres' | 'memory';
  /** The lock, or null when someone else holds it (after waiting up to `waitMs`, default 0). */
  acquire(name: string, opts?: { waitMs?: number }): Promise<LockHandle | null>;
}

export interface LockHandle {
  readonly name: string;
  readonly token: string;
  /** True once the lock is known to be gone (expired, taken over, session dropped). */
  readonly lost: boolean;
  /** Resolves when the lock is lost (never, when released normally). */
  readonly lostSignal: AbortSignal;
  release(): Promise<void>;
}

export interface JobLockOptions {
  /** Redis: lock TTL (default 60 s). */
  ttlMs?: number;
  /** How often a held lock is extended (Redis) or its session checked (Postgres). Default ttl/3. */
  extendEveryMs?: number;
  /** Redis key prefix (default 'analytics:job-lock:'). Tests give their own namespace. */
  keyPrefix?: string;
  /** Poll interval while waiting for a busy lock (default 250 ms). */
  pollMs?: number;
  logger?: Logger;
}

export const DEFAULT_LOCK_TTL_MS = 60_000;

const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Class id of the two-key advisory lock space used for jobs (the migration lock uses the one-key space). */
const ADVISORY_CLASS = 0x4a0b5; // "JOBS"

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

/** Picks the lock for the deployment: Redis when given, else a Postgres advisory lock, else in-process (PGlite). */
export function createJobLock(deps: { redis?: Redis | null; database: Database } & JobLockOptions): JobLock {
  const { redis, database, ...opts } = deps;
  if (redis) return new RedisJobLock(redis, opts);
  if (database.kind === 'postgres') {
    if (!database.url) throw new Error('job lock: the postgres Database has no url to open a dedicated session with');
    return new PostgresAdvisoryJobLock(database.url, opts);
  }
  return new InProcessJobLock(database, opts);
}

abstract class BaseLock implements JobLock {
  abstract readonly kind: JobLock['kind'];
  protected readonly pollMs: number;
  protected readonly logger?: Logger;
  constructor(opts: JobLockOptions) {
    this.pollMs = opts.pollMs ?? 250;
    this.logger = opts.logger;
  }
  protected abstract tryAcquire(name: string): Promise<LockHandle | null>;

  async acquire(name: string, opts: { waitMs?: number } = {}): Promise<LockHandle | null> {
    const deadline = Date.now() + (opts.waitMs ?? 0);
    for (;;) {
      const handle = await this.tryAcquire(name);
      if (handle || Date.now() >= deadline) return handle;
      await sleep(Math.min(this.pollMs, Math.max(1, deadline - Date.now())));
    }
  }
}

/** A held lock with a periodic heartbeat (extend / ping); a failed heartbeat past the TTL means lost. */
class Handle implements LockHandle {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private lastOk = Date.now();

  constructor(
    readonly name: string,
    readonly token: string,
    private readonly hooks: {
      /** Heartbeat period; 0 = none. */
      everyMs: number;
      /** Grace after the last successful heartbeat before the lock counts as lost. */
      graceMs: number;
      /** true: still ours; false: definitely lost; throws: could not tell. */
      heartbeat(token: string): Promise<boolean>;
      release(token: string): Promise<void>;
      logger?: Logger;
    },
  ) {
    if (hooks.everyMs > 0) {
      this.timer = setInterval(() => void this.beat(), hooks.everyMs);
      this.timer.unref();
    }
  }

  get lost() {
    return this.controller.signal.aborted;
  }
  get lostSignal() {
    return this.controller.signal;
  }

  private async beat() {
    if (this.released || this.lost) return;
    try {
      if (await this.hooks.heartbeat(this.token)) {
        this.lastOk = Date.now();
        return;
      }
      this.markLost('the lock was taken over or expired');
    } catch (err) {
      if (Date.now() - this.lastOk >= this.hooks.graceMs) this.markLost(`could not extend it: ${(err as Error).message}`);
      else this.hooks.logger?.warn({ err, lock: this.name }, 'job lock: extension failed, retrying');
    }
  }

  markLost(reason: string) {
    if (this.lost || this.released) return;
    clearInterval(this.timer);
    this.hooks.logger?.error({ lock: this.name, reason }, `job lock lost: ${reason}`);
    this.controller.abort(new Error(`job lock "${this.name}" lost: ${reason}`));
  }

  async release() {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    try {
      await this.hooks.release(this.token);
    } catch (err) {
      this.hooks.logger?.warn({ err, lock: this.name }, 'job lock: release failed (it will expire on its own)');
    }
  }
}

export class RedisJobLock extends BaseLock {
  readonly kind = 'redis' as const;
  readonly ttlMs: number;
  private readonly everyMs: number;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    opts: JobLockOptions = {},
  ) {
    super(opts);
    this.ttlMs = opts.ttlMs ?? DEFAULT_LOCK_TTL_MS;
    this.everyMs = opts.extendEveryMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
    this.prefix = opts.keyPrefix ?? 'analytics:job-lock:';
  }

  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  protected async tryAcquire(name: string): Promise<LockHandle | null> {
    const key = this.key(name);
    const token = randomUUID();
    const ok = await this.redis.set(key, token, 'PX', this.ttlMs, 'NX');
    if (ok !== 'OK') return null;
    return new Handle(name, token, {
      everyMs: this.everyMs,
      // An extension that fails (Redis unreachable) is retried; once the TTL has passed without one,
      // another process may hold the lock, so it counts as lost.
      graceMs: this.ttlMs,
      heartbeat: async (t) => Number(await this.redis.eval(EXTEND, 1, key, t, this.ttlMs)) === 1,
      release: async (t) => void (await this.redis.eval(RELEASE, 1, key, t)),
      logger: this.logger,
    });
  }
}

export class PostgresAdvisoryJobLock extends BaseLock {
  readonly kind = 'postgres' as const;
  private readonly everyMs: number;

  constructor(
    private readonly url: string,
    opts: JobLockOptions = {},
  ) {
    super(opts);
    this.everyMs = opts.extendEveryMs ?? Math.floor((opts.ttlMs ?? DEFAULT_LOCK_TTL_MS) / 3);
  }

  protected async tryAcquire(name: string): Promise<LockHandle | null> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: `analytics-gateway:job-lock:${name}`.slice(0, 63),
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    let handle: Handle | undefined;
    client.on('error', (err) => handle?.markLost(`its session failed: ${err.message}`));
    await client.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::int, hashtext($2)) as ok', [
        ADVISORY_CLASS,
        name,
      ]);
      if (!rows[0]?.ok) {
        await client.end();
        return null;
      }
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    client.on('end', () => handle?.markLost('its session ended'));
    handle = new Handle(name, randomUUID(), {
      everyMs: this.everyMs,
      graceMs: 0, // a session that does not answer may be gone, and the server releases its locks with it
      heartbeat: async () => (await client.query('select 1')).rowCount === 1,
      release: async () => {
        try {
          await client.query('select pg_advisory_unlock($1::int, hashtext($2))', [ADVISORY_CLASS, name]);
        } finally {
          client.removeAllListeners('end');
          await client.end();
        }
      },
      logger: this.logger,
    });
    return handle;
  }
}

/** Held in-process locks per embedded database, shared by every InProcessJobLock over it (scheduler, triggerJob, CLI). */
const inProcessHeld = new WeakMap<object, Set<string>>();
const noDatabase = {};

export class InProcessJobLock extends BaseLock {
  readonly kind = 'memory' as const;
  private readonly held: Set<string>;

  constructor(
    private readonly database?: Database,
    opts: JobLockOptions = {},
  ) {
    super(opts);
    const owner = database ?? noDatabase;
    let held = inProcessHeld.get(owner);
    if (!held) inProcessHeld.set(owner, (held = new Set()));
    this.held = held;
  }

  protected async tryAcquire(name: string): Promise<LockHandle | null> {
    if (this.held.has(name)) return null;
    this.held.add(name);
    try {
      await this.database?.rows(sql`select pg_try_advisory_lock(${ADVISORY_CLASS}::int, hashtext(${name}))`);
    } catch (err) {
      this.held.delete(name);
      throw err;
    }
    return new Handle(name, randomUUID(), {
      everyMs: 0,
      graceMs: 0,
      heartbeat: async () => true,
      release: async () => {
        this.held.delete(name);
        await this.database?.rows(sql`select pg_advisory_unlock(${ADVISORY_CLASS}::int, hashtext(${name}))`);
      },
      logger: this.logger,
    });
  }
}
