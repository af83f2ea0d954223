import { createHash } from 'node:crypto';
import type { AnalyticsCache } from '../cache/analytics-cache.js';
import { TTL_SECONDS, cacheKeys } from '../cache/cache.keys.js';
import type { SnapshotType } from '../metrics/periods.js';
import type { SnapshotPage, SnapshotRow, SnapshotStore } from './snapshot.store.js';
import { isUuid } from '../teams/team.store.js';

export interface SnapshotPageQuery {
  type: SnapshotType;
  from: string;
  to: string;
  whatsappAccountId: string | null;
  first: number;
  after: string | null;
}

/**
 * Snapshot reads of the API, cached under analytics:snapshots:{teamId}:… for 3600 s (spec §8). A
 * snapshot write invalidates the team's keys, so nothing stale outlives it.
 */
export class SnapshotReads {
  constructor(private readonly store: SnapshotStore, private readonly cache: AnalyticsCache) {}

  page(teamId: string, q: SnapshotPageQuery): Promise<SnapshotPage> {
    const key = cacheKeys.snapshots(teamId, 'page', q.type, q.from, q.to, q.whatsappAccountId ?? 'all', String(q.first), q.after ?? '');
    return this.cache.getOrCompute('snapshots', key, TTL_SECONDS.snapshots, () => this.store.list(teamId, q));
  }

  async byId(teamId: string, id: string): Promise<SnapshotRow | null> {
    if (!isUuid(id)) return null;
    const key = cacheKeys.snapshots(teamId, 'id', id);
    return this.cache.getOrCompute('snapshots', key, TTL_SECONDS.snapshots, () => this.store.findById(teamId, id));
  }

  /** Snapshots of several accounts (ids already checked to be the team's), grouped per account, one statement on a miss. */
  async forAccounts(teamId: string, accountIds: readonly string[], q: { type: SnapshotType; from: string; to: string }): Promise<SnapshotRow[][]> {
    const ids = [...new Set(accountIds)].sort();
    const digest = createHash('sha1').update(ids.join(',')).digest('base64url');
    const key = cacheKeys.snapshots(teamId, 'accounts', q.type, q.from, q.to, digest);
    const rows = await this.cache.getOrCompute('snapshots', key, TTL_SECONDS.snapshots, () => this.store.listForAccounts(teamId, ids, q));
    const byAccount = new Map<string, SnapshotRow[]>(accountIds.map((id) => [id, []]));
    for (const row of rows) if (row.whatsappAccountId) byAccount.get(row.whatsappAccountId)?.push(row);
    return accountIds.map((id) => byAccount.get(id)!);
  }

  latestUpdatedAt(teamId: string): Promise<Date | null> {
    return this.store.latestUpdatedAt(teamId);
  }
}
