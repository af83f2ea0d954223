import DataLoader from 'dataloader';
import type { AnalyticsMetrics } from '../metrics/metrics.types.js';
import type { SnapshotType } from '../metrics/periods.js';
import type { SnapshotRow } from '../snapshots/snapshot.store.js';
import type { AccountRow, TeamRow } from '../teams/team.store.js';
import type { ApiServices } from './context.js';
import { notFound } from './errors.js';

/**
 * One set per request (spec §6): nested fields of N accounts cost one statement each, not N.
 * Every loader is bound to the caller's team, so ids of other teams simply find nothing.
 */
export interface Loaders {
  /** The caller's team (null when it does not exist). */
  team(): Promise<TeamRow | null>;
  /** The caller's team, or NOT_FOUND. */
  requireTeam(): Promise<TeamRow>;
  accountsOfTeam: DataLoader<string, AccountRow[]>;
  /** An account of the caller's team by id; null for unknown ids and other teams' ids alike. */
  account: DataLoader<string, AccountRow | null>;
  realtime: DataLoader<string, AnalyticsMetrics>;
  accountSnapshots(type: SnapshotType, from: string, to: string): DataLoader<string, SnapshotRow[]>;
}

export function createLoaders(services: ApiServices, teamId: string | null): Loaders {
  let teamPromise: Promise<TeamRow | null> | undefined;
  const team = () => (teamPromise ??= teamId ? services.teams.getTeam(teamId) : Promise.resolve(null));
  const requireTeam = async () => (await team()) ?? Promise.reject(notFound('Team', teamId ?? ''));

  const account = new DataLoader<string, AccountRow | null>(async (ids) => {
    const rows = teamId ? await services.teams.accountsByIds(teamId, ids) : [];
    const byId = new Map(rows.map((r) => [r.id.toLowerCase(), r]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  });

  const accountsOfTeam = new DataLoader<string, AccountRow[]>(async (teamIds) => {
    const rows = await services.teams.accountsOfTeams(teamIds);
    for (const row of rows) account.prime(row.id, row);
    return teamIds.map((id) => rows.filter((r) => r.teamId === id));
  });

  const realtime = new DataLoader<string, AnalyticsMetrics>(async (ids) => services.realtime.forAccounts(await requireTeam(), ids));

  const snapshotLoaders = new Map<string, DataLoader<string, SnapshotRow[]>>();
  const accountSnapshots = (type: SnapshotType, from: string, to: string) => {
    const key = `${type}|${from}|${to}`;
    let loader = snapshotLoaders.get(key);
    if (!loader) {
      loader = new DataLoader<string, SnapshotRow[]>((ids) => services.snapshots.forAccounts(teamId ?? '', ids, { type, from, to }));
      snapshotLoaders.set(key, loader);
    }
    return loader;
  };

  return { team, requireTeam, accountsOfTeam, account, realtime, accountSnapshots };
}
