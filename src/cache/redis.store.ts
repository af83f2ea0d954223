import { Redis } from 'ioredis';
import { LONGEST_TTL_SECONDS, lockKey, teamEpochKey, teamKeySetKey, teamOf } from './cache.keys.js';
import type { CacheStore } from './cache.store.js';

/*
 * Per-team grouping: every write of a team key also SADDs it to analytics:keys:{teamId}, whose TTL
 * is kept ≥ the longest value TTL, so invalidation is SMEMBERS + DEL in one Lua script (atomic, no
 * KEYS/SCAN). The set holds a team's distinct key names, expired ones included until the set itself
 * expires or is invalidated; that is bounded by the team's accounts × periods. All keys of a script
 * share the {teamId} hash tag, so this also works on Redis Cluster.
 */
const WRITE = `
if ARGV[4] ~= '*' and (redis.call('GET', KEYS[3]) or '') ~= ARGV[4] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], KEYS[1])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return 1`;
const INVALIDATE = `
local m = redis.call('SMEMBERS', KEYS[1])
for i = 1, #m, 1000 do redis.call('DEL', unpack(m, i, math.min(i + 999, #m))) end
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return #m`;
const LOCK = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 'cached' end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 'locked' end
return 'busy'`;
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

interface Scripted {
  cacheWrite(key: string, set: string, epochKey: string, json: string, ttlMs: number, keepMs: number, epoch: string): Promise<number>;
  cacheInvalidate(set: string, epochKey: string, epochTtlMs: number): Promise<number>;
  cacheLock(lock: string, key: string, token: string, ttlMs: number): Promise<'locked' | 'busy' | 'cached'>;
  cacheUnlock(key: string, token: string): Promise<number>;
}

/** Redis connection tuned to fail fast: a call never waits for a down Redis, reconnects run forever. */
export function connectRedis(url: string): Redis {
  return new Redis(url, {
    commandTimeout: 500, // a slow or hung Redis costs a request at most this much
    socketTimeout: 5000, // a connection with no reply for this long is dropped and re-established
    connectTimeout: 2000,
    enableOfflineQueue: false, // while disconnected, commands fail at once instead of piling up
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000), // never gives up
  });
}

export class RedisStore implements CacheStore {
  readonly backend = 'redis' as const;
  private readonly scripts: Scripted;
  private corked = false;
  /** Epoch reads of this event-loop turn, one per team (many polls of one team share it). */
  private epochReads = new Map<string, Promise<string>>();

  /** `namespace` prefixes every key (must not contain braces, which would break the hash tag). */
  constructor(
    readonly redis: Redis,
    private readonly namespace = '',
  ) {
    if (/[{}]/.test(namespace)) throw new TypeError('cache: namespace must not contain { or }');
    redis.defineCommand('cacheWrite', { numberOfKeys: 3, lua: WRITE });
    redis.defineCommand('cacheInvalidate', { numberOfKeys: 2, lua: INVALIDATE });
    redis.defineCommand('cacheLock', { numberOfKeys: 2, lua: LOCK });
    redis.defineCommand('cacheUnlock', { numberOfKeys: 1, lua: UNLOCK });
    this.scripts = redis as unknown as Scripted;
  }

  private k(key: string): string {
    return this.namespace ? `${this.namespace}:${key}` : key;
  }

  /**
   * Reads issued in one event-loop turn leave in one write to the socket: the socket is corked at the
   * first and uncorked on the next turn. Under many concurrent polls, one write per command was the
   * largest cost of a cached answer. (ioredis's autopipelining does the same with a Pipeline object
   * per turn, which kept ~100 MB more heap under load.)
   */
  private coalesceWrites(): void {
    const stream = this.redis.stream;
    if (this.corked || !stream || this.redis.status !== 'ready') return;
    this.corked = true;
    stream.cork();
    setImmediate(() => {
      this.corked = false;
      this.epochReads = new Map();
      stream.uncork();
    });
  }

  async read(key: string) {
    this.coalesceWrites();
    const team = teamOf(key);
    if (team === null) return { json: (await this.redis.get(this.k(key))) ?? undefined, epoch: '' };
    const [json, epoch] = await this.redis.mget(this.k(key), this.k(teamEpochKey(team)));
    return { json: json ?? undefined, epoch: epoch ?? '' };
  }

  readEpoch(key: string): Promise<string> {
    const team = teamOf(key);
    if (team === null) return Promise.resolve('');
    this.coalesceWrites();
    let read = this.epochReads.get(team);
    if (read === undefined) {
      read = this.redis.get(this.k(teamEpochKey(team))).then((epoch) => epoch ?? '');
      // Shared only within this turn (the map is replaced when the socket is uncorked).
      if (this.corked) this.epochReads.set(team, read);
    }
    return read;
  }

  async write(key: string, json: string, ttlMs: number, epoch?: string): Promise<void> {
    const ms = Math.max(1, Math.round(ttlMs));
    const team = teamOf(key);
    if (team === null) {
      await this.redis.set(this.k(key), json, 'PX', ms);
      return;
    }
    const keepMs = Math.max(ms, LONGEST_TTL_SECONDS * 1000);
    await this.scripts.cacheWrite(this.k(key), this.k(teamKeySetKey(team)), this.k(teamEpochKey(team)), json, ms, keepMs, epoch ?? '*');
  }

  async invalidateTeam(teamId: string): Promise<void> {
    // The epoch outlives any computation that could have read the old one.
    await this.scripts.cacheInvalidate(this.k(teamKeySetKey(teamId)), this.k(teamEpochKey(teamId)), 2 * LONGEST_TTL_SECONDS * 1000);
  }

  lock(key: string, token: string, ttlMs: number): Promise<'locked' | 'busy' | 'cached'> {
    return this.scripts.cacheLock(this.k(lockKey(key)), this.k(key), token, ttlMs);
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.scripts.cacheUnlock(this.k(lockKey(key)), token);
  }

  async ttlMs(key: string): Promise<number | null> {
    const ms = await this.redis.pttl(this.k(key));
    return ms < 0 ? null : ms;
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    try {
      if (this.redis.status === 'ready') await this.redis.quit();
    } catch {
      // already gone
    } finally {
      this.redis.disconnect();
    }
  }
}
