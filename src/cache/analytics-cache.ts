import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { CacheKind } from './cache.keys.js';
import type { CacheStore } from './cache.store.js';
import { MemoryStore } from './memory.store.js';
import { RedisStore, connectRedis } from './redis.store.js';
import { StoreCache } from './store-cache.js';
import { WarnLimiter } from './warn-limiter.js';

export interface AnalyticsCache {
  /** Cached value or compute once (single flight in-process; short Redis lock across processes, bounded wait, never hangs). */
  getOrCompute<T>(kind: CacheKind, key: string, ttlSeconds: number, compute: () => Promise<T>): Promise<T>;
  /**
   * The values of several keys, in the order given: cached ones are read, a key another caller is
   * computing in this process is awaited, and the rest come from ONE call of `computeMissing` (given
   * those keys, it returns their values in the same order). Stored like getOrCompute's values (with the
   * team's epoch read before computing), without the cross-process lock: the batch is one computation.
   */
  getOrComputeMany<T>(kind: CacheKind, keys: readonly string[], ttlSeconds: number, computeMissing: (keys: string[]) => Promise<T[]>): Promise<T[]>;
  /**
   * Cached value, or compute and store it for the TTL the computation reports (0 = do not store).
   * No lock: for values that are cheap to recompute (whole HTTP answers over cached data).
   * `codec` replaces JSON as the stored form; a stored text it cannot decode is a miss.
   */
  readThrough<T>(kind: CacheKind, key: string, compute: () => Promise<{ value: T; ttlSeconds: number }>, codec?: Codec<T>): Promise<T>;
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Clears every key of one team (without KEYS). */
  invalidateTeam(teamId: string): Promise<void>;
  /** true when the backend answers (for GET /ready); the in-process cache always answers. */
  ping(): Promise<boolean>;
  readonly backend: 'redis' | 'memory';
  close(): Promise<void>;
}

/** How a value is stored as text, and read back (undefined: unreadable, treated as a miss). */
export interface Codec<T> {
  encode(value: T): string;
  /** `key` is the cache key the text was read from (a codec may remember what it decoded). */
  decode(text: string, key: string): T | undefined;
  /**
   * When the value stops being fresh (epoch ms; null: never kept near). A codec that says so lets a
   * Redis-backed cache keep the decoded value in-process and serve it again after checking only the
   * team's epoch (near-cache.ts).
   */
  freshUntil?(value: T): number | null;
}

export interface CacheOptions {
  redisUrl?: string;
  logger: Logger;
  metrics?: Metrics;
  /** Key prefix, for test isolation on a shared Redis. */
  namespace?: string;
  /** In-process cache only: maximum entries (LRU). */
  maxEntries?: number;
}

/** Redis when redisUrl is set, else the in-process LRU; both behave the same. */
export function createCache(opts: CacheOptions): AnalyticsCache {
  if (!opts.redisUrl) return cacheOver(new MemoryStore(opts.maxEntries), opts);
  const limiter = new WarnLimiter(opts.logger);
  const redis = connectRedis(opts.redisUrl);
  redis.on('error', (err: Error) => limiter.warn({ err: err.message, backend: 'redis' }, 'cache: redis unavailable; answering without cache'));
  redis.on('ready', () => opts.logger.info({ backend: 'redis' }, 'cache: redis connected'));
  return cacheOver(new RedisStore(redis, opts.namespace), opts, limiter);
}

/** An AnalyticsCache over a given store (createCache picks the store; tests may pass their own). */
export function cacheOver(store: CacheStore, opts: CacheOptions, limiter = new WarnLimiter(opts.logger)): AnalyticsCache {
  return new StoreCache(store, opts.logger, opts.metrics, limiter);
}

export { TTL_SECONDS, cacheKeys, type CacheKind } from './cache.keys.js';
