import type { Database } from '../db/client.js';
import type { AnalyticsMetrics } from './metrics.types.js';

/** One team's period. Different teams may have different instants (their own time zones). */
export interface TeamWindow {
  teamId: string;
  start: Date;
  end: Date;
}

export interface MetricsRequest {
  windows: TeamWindow[];
  /** Return the team-wide scope of each team. */
  teamWide: boolean;
  /** Return per-account scopes: every account of each team, none, or only these account ids. */
  accounts: 'all' | 'none' | string[];
  /** Reported as `period.end` instead of `end − 1 ms` (real-time reports `now`). */
  reportEndAsIs?: boolean;
}

export interface ScopedMetrics {
  teamId: string;
  /** null = team-wide. */
  whatsappAccountId: string | null;
  metrics: AnalyticsMetrics;
}

/**
 * Computes every metric of spec §4 for the requested scopes in a few grouped SQL statements
 * (one pass over the windows' messages for all scopes). Scopes without data get zeros.
 */
export async function computeMetrics(database: Database, request: MetricsRequest): Promise<ScopedMetrics[]> {
  void database;
  void request;
  throw new Error('computeMetrics: being implemented');
}
