/**
 * Cache keys and TTLs of spec §8. The team id is wrapped in braces: a Redis Cluster hash tag, so
 * every key of one team (values, its key set, its epoch, its locks) lands in one slot and a Lua
 * script may touch them together.
 */
export const TTL_SECONDS = { realtime: 30, dashboard: 300, snapshots: 3600 } as const;

export type CacheKind = 'realtime' | 'dashboard' | 'snapshots' | 'response';

/** The longest TTL: a team's key set lives at least this long after its last write. */
export const LONGEST_TTL_SECONDS = Math.max(...Object.values(TTL_SECONDS));

function tag(teamId: string): string {
  if (!teamId || /[{}]/.test(teamId)) throw new TypeError(`cache: invalid team id ${JSON.stringify(teamId)}`);
  return `{${teamId}}`;
}

export const cacheKeys = {
  /** analytics:realtime:{teamId}:<accountId|all> */
  realtime(teamId: string, accountId: string | null): string {
    return `analytics:realtime:${tag(teamId)}:${accountId ?? 'all'}`;
  },
  /** analytics:dashboard:{teamId}:<days>d, or analytics:dashboard:{teamId}:<accountId>:<days>d */
  dashboard(teamId: string, days: number, accountId: string | null): string {
    if (!Number.isInteger(days) || days <= 0) throw new RangeError(`cache: days must be a positive integer, got ${days}`);
    return `analytics:dashboard:${tag(teamId)}:${accountId === null ? '' : `${accountId}:`}${days}d`;
  },
  /** analytics:response:{teamId}:<role>:<hash of query, operation and variables> — whole HTTP answers */
  response(teamId: string, role: string, requestHash: string): string {
    return `analytics:response:${tag(teamId)}:${role}:${requestHash}`;
  },
  /** analytics:snapshots:{teamId}:<parts joined by ':'> */
  snapshots(teamId: string, ...parts: string[]): string {
    return [`analytics:snapshots:${tag(teamId)}`, ...parts].join(':');
  },
};

/** Per-team set of the team's value keys (Redis): what invalidateTeam deletes, without KEYS. */
export function teamKeySetKey(teamId: string): string {
  return `analytics:keys:${tag(teamId)}`;
}

/** Per-team invalidation counter: a value computed before an invalidation is not written after it. */
export function teamEpochKey(teamId: string): string {
  return `analytics:epoch:${tag(teamId)}`;
}

/** Cross-process compute lock of one key (same slot as the key). */
export function lockKey(key: string): string {
  return `lock:${key}`;
}

/** The team id of a key built by cacheKeys (its first {…} hash tag), or null. */
export function teamOf(key: string): string | null {
  return /\{([^{}]+)\}/.exec(key)?.[1] ?? null;
}

/** The kind of a key built by cacheKeys, for metric labels; 'other' for foreign keys. */
export function kindOf(key: string): CacheKind | 'other' {
  const kind = /^analytics:(realtime|dashboard|snapshots|response):/.exec(key)?.[1];
  return (kind as CacheKind | undefined) ?? 'other';
}
