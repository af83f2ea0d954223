import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AnalyticsCache, Codec } from './analytics-cache.js';
import { kindOf, teamOf, type CacheKind } from './cache.keys.js';
import type { CacheStore } from './cache.store.js';
import { NearCache } from './near-cache.js';
import type { WarnLimiter } from './warn-limiter.js';

const LOCK_MS = 5_000; // the cross-process lock expires by itself if its holder dies
const WAIT_MS = 2_500; // a process that lost the lock waits at most this long, then computes itself
const POLL_MS = 50;
const SLOW_MS = 1_000; // a miss is logged at WARN only when its computation is slower than this

type Parsed<T> = { value: T } | undefined;
function parse<T>(json: string | undefined): Parsed<T> {
  if (json === undefined) return undefined;
  try {
    return { value: JSON.parse(json) as T };
  } catch {
    return undefined; // unreadable value: treat as a miss and overwrite
  }
}

function decoded<T>(codec: Codec<T>, text: string | undefined, key: string): Parsed<T> {
  const value = text === undefined ? undefined : codec.decode(text, key);
  return value === undefined ? undefined : { value };
}

/** AnalyticsCache over any CacheStore: single flight, cross-process lock, metrics, failure handling. */
export class StoreCache implements AnalyticsCache {
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Decoded values of codecs that tell their freshness, kept in-process (Redis only; see near-cache.ts). */
  private readonly near = new NearCache<unknown>();

  constructor(
    private readonly store: CacheStore,
    private readonly logger: Logger,
    private readonly metrics: Metrics | undefined,
    private readonly limiter: WarnLimiter,
  ) {}

  get backend() {
    return this.store.backend;
  }

  getOrCompute<T>(kind: CacheKind, key: string, ttlSeconds: number, compute: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key);
    if (running) return running as Promise<T>;
    const p: Promise<T> = this.load(kind, key, ttlSeconds * 1000, compute).finally(() => {
      if (this.inflight.get(key) === p) this.inflight.delete(key);
    });
    this.inflight.set(key, p);
    return p;
  }

  async getOrComputeMany<T>(kind: CacheKind, keys: readonly string[], ttlSeconds: number, computeMissing: (keys: string[]) => Promise<T[]>): Promise<T[]> {
    const values = new Map<string, Promise<T>>();
    const toRead = [...new Set(keys)].filter((key) => {
      const running = this.inflight.get(key) as Promise<T> | undefined;
      if (running) values.set(key, running);
      return !running;
    });
    let reads: Array<{ hit: Parsed<T>; epoch: string }> | undefined;
    try {
      reads = await Promise.all(toRead.map((key) => this.lookup<T>(kind, key)));
    } catch (err) {
      this.failed(kind, err); // backend down: compute the keys without storing them
    }
    const missing: Array<{ key: string; epoch?: string }> = [];
    toRead.forEach((key, i) => {
      const read = reads?.[i];
      const running = this.inflight.get(key) as Promise<T> | undefined; // started while we read
      if (read?.hit) values.set(key, Promise.resolve(read.hit.value));
      else if (running) values.set(key, running);
      else missing.push({ key, epoch: read?.epoch });
    });
    if (missing.length) this.computeMany(kind, missing, ttlSeconds * 1000, computeMissing).forEach((p, i) => values.set(missing[i]!.key, p));
    return Promise.all(keys.map((key) => values.get(key)!));
  }

  /** One computation for `missing`, registered per key (single flight) until its value is stored. */
  private computeMany<T>(kind: CacheKind, missing: Array<{ key: string; epoch?: string }>, ttlMs: number, computeMissing: (keys: string[]) => Promise<T[]>): Array<Promise<T>> {
    const label = missing.length === 1 ? missing[0]!.key : `${missing[0]!.key} and ${missing.length - 1} more`;
    const all = this.timed(kind, label, () => computeMissing(missing.map((m) => m.key))).then(async (computed) => {
      if (computed.length !== missing.length) throw new Error(`cache: ${computed.length} values computed for ${missing.length} keys`);
      await Promise.all(
        missing.map(({ key, epoch }, i) => {
          const json = JSON.stringify(computed[i]);
          if (epoch === undefined || json === undefined) return undefined;
          return this.store.write(key, json, ttlMs, epoch).catch((err) => this.failed(kind, err));
        }),
      );
      return computed;
    });
    return missing.map(({ key }, i) => {
      const one = all.then((computed) => computed[i]!);
      this.inflight.set(key, one);
      const done = () => {
        if (this.inflight.get(key) === one) this.inflight.delete(key);
      };
      one.then(done, done);
      return one;
    });
  }

  private async load<T>(kind: CacheKind, key: string, ttlMs: number, compute: () => Promise<T>): Promise<T> {
    let epoch: string;
    let held: boolean;
    const token = randomUUID();
    try {
      const read = await this.lookup<T>(kind, key);
      if (read.hit) return read.hit.value;
      epoch = read.epoch;
      held = (await this.store.lock(key, token, LOCK_MS)) === 'locked';
    } catch (err) {
      this.failed(kind, err);
      return this.timed(kind, key, compute); // backend down: answer without it
    }
    if (!held) {
      const waited = await this.waitForValue<T>(kind, key, token);
      if (typeof waited === 'object') return waited.value;
      if (waited === 'failed') return this.timed(kind, key, compute);
      held = waited === 'locked';
      if (waited === 'timeout') this.logger.warn({ kind, key, waitedMs: WAIT_MS }, 'cache: lock holder too slow; computing without the lock');
    }
    try {
      const value = await this.timed(kind, key, compute);
      const json = JSON.stringify(value);
      if (json !== undefined) await this.store.write(key, json, ttlMs, epoch).catch((err) => this.failed(kind, err));
      return value;
    } finally {
      if (held) await this.store.unlock(key, token).catch((err) => this.failed(kind, err));
    }
  }

  /** A hit or a miss (counted), with the team's epoch (a miss's value is written with it). Throws on backend errors. */
  private async lookup<T>(kind: CacheKind, key: string, codec?: Codec<T>): Promise<{ hit: Parsed<T>; epoch: string }> {
    const read = await this.store.read(key);
    const hit = codec ? decoded(codec, read.json, key) : parse<T>(read.json);
    this.metrics?.[hit ? 'cacheHits' : 'cacheMisses'].inc({ kind });
    return { hit, epoch: read.epoch };
  }

  /** Another process holds the lock: poll for its value; take the lock if it is released without one. */
  private async waitForValue<T>(kind: CacheKind, key: string, token: string): Promise<{ value: T } | 'locked' | 'timeout' | 'failed'> {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      await sleep(POLL_MS);
      try {
        const hit = parse<T>((await this.store.read(key)).json);
        if (hit) return hit;
        if ((await this.store.lock(key, token, LOCK_MS)) === 'locked') return 'locked';
      } catch (err) {
        this.failed(kind, err);
        return 'failed';
      }
    }
    return 'timeout';
  }

  private async timed<T>(kind: CacheKind, key: string, compute: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await compute();
    } finally {
      const ms = performance.now() - start;
      this.metrics?.cacheComputeSeconds.observe({ kind }, ms / 1000);
      // Spec: WARN for misses. Under load that floods the log, so only slow misses warn.
      if (ms > SLOW_MS) this.logger.warn({ kind, key, ms: Math.round(ms) }, 'cache miss: slow computation');
      else this.logger.debug({ kind, key, ms: Math.round(ms) }, 'cache miss');
    }
  }

  private failed(kind: CacheKind | 'other', err: unknown): void {
    this.metrics?.cacheErrors.inc({ kind });
    this.metrics?.backendErrors.inc({ backend: this.store.backend });
    const message = err instanceof Error ? err.message : String(err);
    this.limiter.warn({ err: message, backend: this.store.backend }, 'cache: backend error; answering without cache');
  }

  async readThrough<T>(kind: CacheKind, key: string, compute: () => Promise<{ value: T; ttlSeconds: number }>, codec?: Codec<T>): Promise<T> {
    const near = codec?.freshUntil && this.store.backend === 'redis' ? (this.near as NearCache<T>) : undefined;
    let epoch: string | undefined;
    try {
      const copy = near?.get(key);
      if (copy) {
        if ((await this.store.readEpoch(key)) === copy.epoch) {
          this.metrics?.cacheHits.inc({ kind });
          return copy.value;
        }
        near!.delete(key); // the team was invalidated since: read the store
      }
      const read = await this.lookup<T>(kind, key, codec);
      if (read.hit) {
        near?.set(key, read.hit.value, read.epoch, codec!.freshUntil!(read.hit.value));
        return read.hit.value;
      }
      epoch = read.epoch;
    } catch (err) {
      this.failed(kind, err);
      return (await compute()).value;
    }
    const { value, ttlSeconds } = await compute();
    if (ttlSeconds > 0) {
      // With the epoch read before computing: an answer computed across a snapshot write is not stored
      // (and its near copy, under that old epoch, is never served).
      const text = codec ? codec.encode(value) : JSON.stringify(value);
      await this.store.write(key, text, ttlSeconds * 1000, epoch).catch((err) => this.failed(kind, err));
      near?.set(key, value, epoch, codec!.freshUntil!(value));
    }
    return value;
  }

  async get<T>(key: string): Promise<T | undefined> {
    try {
      return parse<T>((await this.store.read(key)).json)?.value;
    } catch (err) {
      this.failed(kindOf(key), err);
      return undefined;
    }
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError(`cache: value of ${key} is not JSON-serialisable`);
    await this.store.write(key, json, ttlSeconds * 1000).catch((err) => this.failed(kindOf(key), err));
  }

  /** Never throws: a failure is logged at ERROR (values then live until their TTL). */
  async invalidateTeam(teamId: string): Promise<void> {
    // New callers must not join a computation that started before the invalidation.
    for (const key of [...this.inflight.keys()]) if (teamOf(key) === teamId) this.inflight.delete(key);
    try {
      await this.store.invalidateTeam(teamId);
    } catch (err) {
      this.metrics?.backendErrors.inc({ backend: this.store.backend });
      this.logger.error({ err: err instanceof Error ? err.message : String(err), teamId }, 'cache: team invalidation failed');
    }
  }

  ping(): Promise<boolean> {
    return this.store.ping();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
