import type { AnalyticsCache } from '../cache/analytics-cache.js';
import { TTL_SECONDS, cacheKeys } from '../cache/cache.keys.js';
import type { Database } from '../db/client.js';
import type { TeamRow } from '../teams/team.store.js';
import { computeMetrics } from './metrics.engine.js';
import type { AnalyticsMetrics } from './metrics.types.js';
import { realTimePeriod } from './periods.js';

export interface RealtimeDeps {
  database: Database;
  cache: AnalyticsCache;
  /** The engine (injectable so tests can count its calls). */
  compute?: typeof computeMetrics;
  now?: () => Date;
}

/**
 * Real-time metrics (local midnight today → now), cached 30 s per scope (spec §8). Several accounts
 * are answered with one engine call for all the accounts missing from the cache.
 */
export class RealtimeService {
  private readonly compute: typeof computeMetrics;
  private readonly now: () => Date;

  constructor(private readonly deps: RealtimeDeps) {
    this.compute = deps.compute ?? computeMetrics;
    this.now = deps.now ?? (() => new Date());
  }

  /** Team-wide real-time metrics of the team. */
  forTeam(team: TeamRow): Promise<AnalyticsMetrics> {
    return this.deps.cache.getOrCompute('realtime', cacheKeys.realtime(team.id, null), TTL_SECONDS.realtime, async () => {
      const [scoped] = await this.run(team, { teamWide: true, accounts: 'none' });
      return scoped!.metrics;
    });
  }

  /**
   * Real-time metrics of accounts of `team` (callers pass ids they checked belong to it), in the
   * order given. Cached values are reused; the rest come from one grouped engine call (the cache keeps
   * it single flight per account).
   */
  forAccounts(team: TeamRow, accountIds: readonly string[]): Promise<AnalyticsMetrics[]> {
    const keys = accountIds.map((id) => cacheKeys.realtime(team.id, id));
    const idOf = new Map(keys.map((key, i) => [key, accountIds[i]!]));
    return this.deps.cache.getOrComputeMany('realtime', keys, TTL_SECONDS.realtime, async (missing) => {
      const ids = missing.map((key) => idOf.get(key)!);
      const computed = await this.run(team, { teamWide: false, accounts: ids });
      const byAccount = new Map(computed.map((s) => [s.whatsappAccountId, s.metrics]));
      return ids.map((id) => {
        const metrics = byAccount.get(id);
        if (!metrics) throw new Error(`real-time metrics missing for account ${id}`);
        return metrics;
      });
    });
  }

  private run(team: TeamRow, scope: { teamWide: boolean; accounts: 'none' | string[] }) {
    const period = realTimePeriod(team.timezone, this.now());
    return this.compute(this.deps.database, {
      windows: [{ teamId: team.id, start: period.start, end: period.end }],
      ...scope,
      reportEndAsIs: true,
    });
  }
}
