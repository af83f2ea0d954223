import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { pgArray } from '../metrics/sql/scope.sql.js';

export interface TeamDay {
  teamId: string;
  date: string;
}

/**
 * Runs `write` in one transaction that first replaces `days`: what `write` records for them (the
 * engine's `recordActivity`) is then their only activity, committed with the snapshots or not at all.
 */
export function rewritingDays<T>(database: Database, days: readonly TeamDay[], write: (tx: Database) => Promise<T>): Promise<T> {
  return database.transaction(async (tx) => {
    await new ActivityStore(tx).replaceDays(days);
    return write(tx);
  });
}

/**
 * The day-level activity written with Daily snapshots (analytics_daily_activity, merged by dashboards)
 * and the record of which (team, local day) pairs it covers (analytics_activity_days).
 */
export class ActivityStore {
  constructor(private readonly database: Database) {}

  /**
   * Marks the days written (row locks, taken in one order, so a concurrent writer of the same days
   * waits for this one) and deletes their old rows; `rewritingDays` calls it in its transaction.
   */
  async replaceDays(days: readonly TeamDay[]): Promise<void> {
    if (days.length === 0) return;
    const sorted = [...days].sort((a, b) => (a.teamId + a.date < b.teamId + b.date ? -1 : 1));
    const teams = pgArray(sorted.map((d) => d.teamId));
    const dates = pgArray(sorted.map((d) => d.date));
    await this.database.rows(sql`
      INSERT INTO analytics_activity_days (team_id, date)
      SELECT * FROM unnest(${teams}::uuid[], ${dates}::date[])
      ON CONFLICT (team_id, date) DO UPDATE SET generated_at = now()`);
    await this.database.rows(sql`
      DELETE FROM analytics_daily_activity a
      USING unnest(${teams}::uuid[], ${dates}::date[]) AS d(team_id, date)
      WHERE a.team_id = d.team_id AND a.date = d.date`);
  }

  /** The dates in [from, to] whose activity is stored for the team. */
  async coveredDates(teamId: string, from: string, to: string): Promise<Set<string>> {
    const rows = await this.database.rows<{ date: string }>(sql`
      SELECT date::text AS date FROM analytics_activity_days
      WHERE team_id = ${teamId} AND date BETWEEN ${from}::date AND ${to}::date`);
    return new Set(rows.map((r) => r.date));
  }
}
