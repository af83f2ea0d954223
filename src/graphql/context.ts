import type { Logger } from '../logging/logger.js';
import type { AnalyticsCache } from '../cache/analytics-cache.js';
import type { Principal } from '../auth/jwt.js';
import type { DashboardService } from '../dashboard/dashboard.service.js';
import type { RealtimeService } from '../metrics/realtime.service.js';
import type { SnapshotType } from '../metrics/periods.js';
import type { SnapshotRow } from '../snapshots/snapshot.store.js';
import type { TeamStore } from '../teams/team.store.js';
import type { JobRunRow } from '../jobs/job-run.store.js';
import type { Loaders } from './loaders.js';
import type { SnapshotReads } from '../snapshots/snapshot-reads.service.js';
import { unauthenticated } from './errors.js';

export type { JobRunRow };

/** What the API needs from the job runner (src/jobs); the composition root plugs the real one in. */
export interface JobsPort {
  /** Runs the named job now (name already checked to be one of spec §9's) and returns its run. */
  trigger(name: string): Promise<JobRunRow>;
  /** Most recent runs first. */
  recentRuns(limit: number): Promise<JobRunRow[]>;
}

/** What the API needs to write snapshots (src/snapshots/snapshot.service.ts). */
export interface SnapshotWriter {
  generateSnapshot(teamId: string, accountId: string | null, date: string, type: SnapshotType): Promise<SnapshotRow>;
}

/** The services resolvers call. One set per process; resolvers stay thin. */
export interface ApiServices {
  teams: TeamStore;
  snapshots: SnapshotReads;
  snapshotWriter: SnapshotWriter;
  realtime: RealtimeService;
  dashboard: DashboardService;
  jobs: JobsPort;
  cache: Pick<AnalyticsCache, 'invalidateTeam'>;
}

/** Per-request context: the caller (from the token only), services, and this request's DataLoaders. */
export interface GraphQLContext {
  principal: Principal | null;
  /** Why there is no principal (missing, expired, bad signature…), shown with UNAUTHENTICATED. */
  authError: string | null;
  services: ApiServices;
  loaders: Loaders;
  logger: Logger;
}

/** The caller's principal; @Authorized resolvers always have one, this narrows the type. */
export function principalOf(ctx: GraphQLContext): Principal {
  if (!ctx.principal) throw unauthenticated(ctx.authError ?? 'Authentication required');
  return ctx.principal;
}
