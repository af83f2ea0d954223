/** Crafted data for the API suites: two teams (A with two accounts, B with one) and some traffic. */
import { DateTime } from 'luxon';
import type { Database } from '../../src/db/client.js';
import { completeDays } from '../../src/metrics/periods.js';
import type { SnapshotService } from '../../src/snapshots/snapshot.service.js';
import { Fixtures, type Account, type Team } from '../support/fixtures.js';

export interface TwoTeams {
  fixtures: Fixtures;
  a: { team: Team; accounts: Account[] };
  b: { team: Team; accounts: Account[] };
  /** The complete local days before today written as Daily snapshots (team A's zone). */
  dailyDates: string[];
}

/** A moment of today (team's zone) that is before `now`: realtime windows see it. */
function earlierToday(zone: string, now: Date): Date {
  const midnight = DateTime.fromJSDate(now, { zone }).startOf('day').toJSDate();
  return new Date(midnight.getTime() + Math.floor((now.getTime() - midnight.getTime()) / 2));
}

/** Conversations with inbound and outbound messages on `days` past local days and today. */
async function traffic(f: Fixtures, account: Account, zone: string, now: Date, days: number, perDay: number): Promise<void> {
  const past = completeDays(days, zone, now);
  for (let i = 0; i < perDay; i++) {
    const chat = await f.chat(account);
    const specs = past.dates.flatMap((date, d) => {
      const at = DateTime.fromISO(date, { zone }).plus({ hours: 9 + i, minutes: d }).toUTC();
      return [
        { direction: 'inbound' as const, at: at.toJSDate() },
        { direction: 'outbound' as const, status: (d % 3 === 0 ? 'read' : d % 3 === 1 ? 'delivered' : 'failed') as 'read', at: at.plus({ minutes: 5 }).toJSDate() },
      ];
    });
    const today = earlierToday(zone, now);
    await f.messages(chat, [...specs, { direction: 'inbound', at: today }, { direction: 'outbound', status: 'sent', at: new Date(today.getTime() + 1000) }]);
  }
}

export async function seedTwoTeams(database: Database, snapshots: SnapshotService, now: Date, opts: { days?: number } = {}): Promise<TwoTeams> {
  const f = new Fixtures(database);
  const days = opts.days ?? 6;
  const teamA = await f.team({ name: 'Team A', timezone: 'Europe/Berlin' });
  const teamB = await f.team({ name: 'Team B', timezone: 'America/New_York' });
  const a = { team: teamA, accounts: [await f.account(teamA), await f.account(teamA)] };
  const b = { team: teamB, accounts: [await f.account(teamB)] };
  await traffic(f, a.accounts[0]!, teamA.timezone, now, days, 2);
  await traffic(f, a.accounts[1]!, teamA.timezone, now, days, 1);
  await traffic(f, b.accounts[0]!, teamB.timezone, now, days, 1);
  const dailyDates = completeDays(days, teamA.timezone, now).dates;
  await snapshots.generate({ teamIds: [teamA.id, teamB.id], dates: (zone) => completeDays(days, zone, now).dates, type: 'Daily' });
  return { fixtures: f, a, b, dailyDates };
}
