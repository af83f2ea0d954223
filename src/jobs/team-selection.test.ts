import { describe, expect, it } from 'vitest';
import { selectTeams, type Team } from './team-selection.js';

const teams: Team[] = [
  { id: 'ny', name: 'New York', timezone: 'America/New_York' },
  { id: 'utc', name: 'Utc', timezone: 'UTC' },
  { id: 'bad', name: 'Bad', timezone: 'Mars/Olympus' },
  { id: 'tokyo', name: 'Tokyo', timezone: 'Asia/Tokyo' },
];
const ids = (ts: Array<{ id: string } | { teamId: string }>) => ts.map((t) => ('id' in t ? t.id : t.teamId));

describe('selectTeams', () => {
  it("a scheduled run takes its zone's teams; the UTC run also reports the teams whose zone is invalid", () => {
    const ny = selectTeams(teams, 'America/New_York');
    expect([ids(ny.selected), ids(ny.valid), ids(ny.invalid)]).toEqual([['ny'], ['ny'], []]);
    const utc = selectTeams(teams, 'UTC');
    expect([ids(utc.selected), ids(utc.valid), ids(utc.invalid)]).toEqual([['utc', 'bad'], ['utc'], ['bad']]);
    expect(utc.invalid[0]).toEqual({ teamId: 'bad', teamName: 'Bad', error: 'unknown time zone "Mars/Olympus" (teams.timezone must be an IANA name)', attempts: 0 });
  });

  it('a manual run takes every team, and still reports the invalid zones instead of running them', () => {
    const all = selectTeams(teams, undefined);
    expect(ids(all.selected)).toEqual(['ny', 'utc', 'bad', 'tokyo']);
    expect(ids(all.valid)).toEqual(['ny', 'utc', 'tokyo']);
    expect(ids(all.invalid)).toEqual(['bad']);
  });
});
