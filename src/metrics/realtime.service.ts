import type { AnalyticsCache } from '../cache/analytics-cache.js';
import { TTL_SECONDS, cacheKeys } from '../cache/cache.keys.js';
import type { Database } from '../db/client.js';
import type { TeamRow } from '../teams/team.store.js';
import { computeMetrics } from './metrics.engine.js';
import type { AnalyticsMetrics } from './metrics.types.js';
import { realTimePeriod } from './periods.js';

const keyOf = (team: TeamRow, accountId: string) => cacheKeys.realtime(team.id, accountId);

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
  /** Account keys being computed in this process, and the promise of their metrics. */
  private readonly inflight = new Map<string, Promise<AnalyticsMetrics | undefined>>();

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
   * order given. Cached values are reused; the rest come from one grouped engine call.
   */
  async forAccounts(team: TeamRow, accountIds: readonly string[]): Promise<AnalyticsMetrics[]> {
    const keys = accountIds.map((id) => cacheKeys.realtime(team.id, id));
    const cached = await Promise.all(keys.map((key) => this.deps.cache.get<AnalyticsMetrics>(key)));
    // Misses already being computed by another request are awaited, not computed again (single flight).
    const missing = [...new Set(accountIds.filter((id, i) => cached[i] === undefined && !this.inflight.has(keyOf(team, id))))];
    if (missing.length) this.computeAccounts(team, missing);
    return Promise.all(
      accountIds.map(async (id, i) => {
        const m = cached[i] ?? (await this.inflight.get(keyOf(team, id)));
        if (!m) throw new Error(`real-time metrics missing for account ${id}`);
        return m;
      }),
    );
  }

  /** One grouped engine call for `accountIds`, registered per account key until it has been cached. */
  private computeAccounts(team: TeamRow, accountIds: string[]): void {
    const all = this.run(team, { teamWide: false, accounts: accountIds }).then(async (computed) => {
      const byAccount = new Map(computed.map((s) => [s.whatsappAccountId, s.metrics]));
      await Promise.all(
        [...byAccount].map(([id, metrics]) => this.deps.cache.set(keyOf(team, id!), metrics, TTL_SECONDS.realtime)),
      );
      return byAccount;
    });
    for (const id of accountIds) {
      const key = keyOf(team, id);
      const one = all.then((byAccount) => byAccount.get(id));
      this.inflight.set(key, one);
      void one.then(
        () => this.inflight.get(key) === one && this.inflight.delete(key),
        () => this.inflight.get(key) === one && this.inflight.delete(key),
      );
    }
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
