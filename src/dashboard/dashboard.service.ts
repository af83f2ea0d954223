import type { AnalyticsCache } from '../cache/analytics-cache.js';
import { TTL_SECONDS, cacheKeys } from '../cache/cache.keys.js';
import type { Database } from '../db/client.js';
import { computeMetrics } from '../metrics/metrics.engine.js';
import type { AnalyticsMetrics } from '../metrics/metrics.types.js';
import { completeDays } from '../metrics/periods.js';
import { ActivityStore } from '../snapshots/activity.store.js';
import type { SnapshotRow, SnapshotStore } from '../snapshots/snapshot.store.js';
import { NotFoundError } from '../snapshots/errors.js';
import type { TeamStore } from '../teams/team.store.js';
import { growthOf, type AnalyticsGrowthData } from './growth.js';

export const MIN_DAYS = 1;
export const MAX_DAYS = 365;

export interface DashboardData {
  days: number;
  current: AnalyticsMetrics;
  previous: AnalyticsMetrics;
  growth: AnalyticsGrowthData;
  /** Daily snapshots of the current window, oldest first. */
  series: SnapshotRow[];
}

export interface DashboardDeps {
  database: Database;
  teams: TeamStore;
  snapshots: SnapshotStore;
  cache: AnalyticsCache;
  compute?: typeof computeMetrics;
  now?: () => Date;
}

/**
 * The dashboard of spec §5: `current` = the `days` complete local days before today, `previous` = the
 * `days` days before those, both computed exactly (distinct counts and rates recomputed over the whole
 * window, never summed or averaged from days). A window whose every day has stored activity (written
 * with the Daily snapshots) merges that activity; otherwise it reads the messages. Cached 300 s.
 */
export class DashboardService {
  private readonly compute: typeof computeMetrics;
  private readonly now: () => Date;

  constructor(private readonly deps: DashboardDeps) {
    this.compute = deps.compute ?? computeMetrics;
    this.now = deps.now ?? (() => new Date());
  }

  /** `accountId` must be an account of the team (or null for team-wide); callers validate `days`. */
  get(teamId: string, days: number, accountId: string | null): Promise<DashboardData> {
    if (!Number.isInteger(days) || days < MIN_DAYS || days > MAX_DAYS) throw new RangeError(`days must be an integer from ${MIN_DAYS} to ${MAX_DAYS}`);
    const key = cacheKeys.dashboard(teamId, days, accountId);
    return this.deps.cache.getOrCompute('dashboard', key, TTL_SECONDS.dashboard, () => this.build(teamId, days, accountId));
  }

  /** Pre-computes common dashboards (after a snapshot write), so the next poll is a hit. */
  async warm(teamId: string, days: readonly number[] = [7, 30]): Promise<void> {
    await Promise.all(days.map((d) => this.get(teamId, d, null)));
  }

  private async build(teamId: string, days: number, accountId: string | null): Promise<DashboardData> {
    const team = await this.deps.teams.getTeam(teamId);
    if (!team) throw new NotFoundError('team');
    const current = completeDays(days, team.timezone, this.now());
    const previous = completeDays(days, team.timezone, current.start);
    const covered = await new ActivityStore(this.deps.database).coverage(teamId, previous.dates[0]!, current.lastDate);
    const metricsOf = async (window: typeof current) => {
      // Per day: undefined = not stored, null = stored before marks, else when its closures were checked.
      const checkedAt = window.dates.map((d) => covered.get(d));
      const stored = checkedAt.every((at) => at !== undefined);
      const marked = checkedAt.every((at) => at instanceof Date)
        ? { staleDays: window.dates.filter((_, i) => checkedAt[i]! < window.end) }
        : undefined;
      const scoped = await this.compute(this.deps.database, {
        windows: [{ teamId, start: window.start, end: window.end, days: { first: window.dates[0]!, last: window.lastDate }, marked }],
        teamWide: accountId === null,
        accounts: accountId === null ? 'none' : [accountId],
        source: stored ? 'activity' : 'messages',
      });
      const match = scoped.find((s) => s.whatsappAccountId === accountId);
      if (!match) throw new Error(`engine returned no metrics for scope ${accountId ?? 'team-wide'}`);
      return match.metrics;
    };
    const [cur, prev, series] = await Promise.all([
      metricsOf(current),
      metricsOf(previous),
      this.deps.snapshots.teamDaily(teamId, accountId, current.dates[0]!, current.lastDate),
    ]);
    return { days, current: cur, previous: prev, growth: growthOf(cur, prev), series };
  }
}
