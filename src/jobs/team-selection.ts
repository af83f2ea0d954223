import { isValidZone } from '../metrics/periods.js';
import type { FailedTeam } from './job-run.store.js';

export type Team = { id: string; name: string; timezone: string };

/**
 * A run's teams: those of its zone (a scheduled run; the UTC run also takes teams whose zone is
 * invalid) or all. Teams with an invalid zone are reported as failed, not run.
 */
export function selectTeams(all: Team[], zone: string | undefined): { selected: Team[]; valid: Team[]; invalid: FailedTeam[] } {
  const selected = zone ? all.filter((t) => t.timezone === zone || (zone === 'UTC' && !isValidZone(t.timezone))) : all;
  const invalid = selected
    .filter((t) => !isValidZone(t.timezone))
    .map((t) => ({
      teamId: t.id,
      teamName: t.name,
      error: `unknown time zone "${t.timezone}" (teams.timezone must be an IANA name)`,
      attempts: 0,
    }));
  return { selected, valid: selected.filter((t) => isValidZone(t.timezone)), invalid };
}
