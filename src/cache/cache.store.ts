/**
 * What AnalyticsCache needs from a backend. Values travel as JSON strings in both backends, so the
 * in-process cache behaves exactly like Redis (no shared object references, Dates become strings).
 * Keys here are the unprefixed keys of cache.keys.ts; a store applies its own namespace.
 * Redis stores throw on backend errors; AnalyticsCache catches them.
 */
export interface CacheStore {
  readonly backend: 'redis' | 'memory';
  /**
   * The value (undefined on a miss) and the team's invalidation epoch, read together. Pass the
   * epoch to write() so a value computed before an invalidation is not stored after it.
   */
  read(key: string): Promise<{ json: string | undefined; epoch: string }>;
  /** The invalidation epoch of the key's team alone (what a near copy of a value is checked against). */
  readEpoch(key: string): Promise<string>;
  /** Stores the value for ttlMs; with an epoch, only if the key's team was not invalidated since. */
  write(key: string, json: string, ttlMs: number, epoch?: string): Promise<void>;
  /** Deletes every key of one team and bumps its epoch. */
  invalidateTeam(teamId: string): Promise<void>;
  /**
   * Takes the compute lock of `key` unless the value exists by now (checked atomically, so a value
   * written between read() and lock() is not computed again): 'locked' = this caller holds it,
   * 'busy' = another holds it, 'cached' = no lock taken, read again. Always 'locked' in-process.
   */
  lock(key: string, token: string, ttlMs: number): Promise<'locked' | 'busy' | 'cached'>;
  /** Releases the lock only if it still holds `token`. */
  unlock(key: string, token: string): Promise<void>;
  /** Remaining TTL of a stored key in ms, or null when absent (for tests and diagnostics). */
  ttlMs(key: string): Promise<number | null>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
