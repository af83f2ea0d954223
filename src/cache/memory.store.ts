import { LRUCache } from 'lru-cache';
import { teamOf } from './cache.keys.js';
import type { CacheStore } from './cache.store.js';

/**
 * In-process store: an LRU bounded by entry count, each entry with its own TTL. One process needs
 * no cross-process lock (AnalyticsCache's in-flight map already shares a computation).
 */
export class MemoryStore implements CacheStore {
  readonly backend = 'memory' as const;
  private readonly lru: LRUCache<string, string>;
  private readonly epochs = new Map<string, number>();

  constructor(maxEntries = 10_000) {
    this.lru = new LRUCache<string, string>({ max: maxEntries, ttlResolution: 0 }); // exact clock, as Redis
  }

  private epoch(key: string): string {
    const team = teamOf(key);
    const n = team === null ? undefined : this.epochs.get(team);
    return n === undefined ? '' : String(n);
  }

  async read(key: string) {
    return { json: this.lru.get(key), epoch: this.epoch(key) };
  }

  async readEpoch(key: string): Promise<string> {
    return this.epoch(key);
  }

  async write(key: string, json: string, ttlMs: number, epoch?: string): Promise<void> {
    if (epoch !== undefined && epoch !== this.epoch(key)) return;
    this.lru.set(key, json, { ttl: Math.max(1, Math.round(ttlMs)) });
  }

  async invalidateTeam(teamId: string): Promise<void> {
    // A linear pass over at most maxEntries keys; invalidation happens after snapshot writes, rarely.
    for (const key of [...this.lru.keys()]) if (teamOf(key) === teamId) this.lru.delete(key);
    this.epochs.set(teamId, (this.epochs.get(teamId) ?? 0) + 1);
  }

  async lock(): Promise<'locked'> {
    return 'locked';
  }

  async unlock(): Promise<void> {}

  async ttlMs(key: string): Promise<number | null> {
    if (!this.lru.has(key)) return null;
    return Math.floor(this.lru.getRemainingTTL(key));
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
