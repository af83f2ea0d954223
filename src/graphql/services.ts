import type { AnalyticsCache } from '../cache/analytics-cache.js';
import { DashboardService } from '../dashboard/dashboard.service.js';
import type { Database } from '../db/client.js';
import { RealtimeService } from '../metrics/realtime.service.js';
import { SnapshotStore } from '../snapshots/snapshot.store.js';
import { TeamStore } from '../teams/team.store.js';
import type { ApiServices, JobsPort, SnapshotWriter } from './context.js';
import { SnapshotReads } from '../snapshots/snapshot-reads.service.js';

export interface ApiServiceDeps {
  database: Database;
  cache: AnalyticsCache;
  jobs: JobsPort;
  /** Usually the SnapshotService (its onTeamWritten invalidates the team's cache and warms dashboards). */
  snapshotWriter: SnapshotWriter;
  /** Clock for real-time and dashboard windows (tests). */
  now?: () => Date;
}

/** The services the resolvers use, over one database and one cache. */
export function createApiServices(deps: ApiServiceDeps): ApiServices {
  const teams = new TeamStore(deps.database);
  const store = new SnapshotStore(deps.database);
  return {
    teams,
    snapshots: new SnapshotReads(store, deps.cache),
    snapshotWriter: deps.snapshotWriter,
    realtime: new RealtimeService({ database: deps.database, cache: deps.cache, now: deps.now }),
    dashboard: new DashboardService({ database: deps.database, teams, snapshots: store, cache: deps.cache, now: deps.now }),
    jobs: deps.jobs,
    cache: deps.cache,
  };
}
