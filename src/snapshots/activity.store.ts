import { sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Database } from '../db/client.js';
import { conversationCountsSql, localDate } from '../metrics/sql/activity.sql.js';
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
 * Locks the stored days of `teams` (a Postgres array literal), optionally narrowed by `where`, in
 * replaceDays' order (team, then date): writers of the same days then wait for one another instead of
 * deadlocking.
 */
function lockDays(tx: Database, teams: string, where: SQL = sql``): Promise<unknown> {
  return tx.rows(sql`
    SELECT 1 FROM analytics_activity_days WHERE team_id = ANY(${teams}::uuid[]) ${where}
    ORDER BY team_id, date FOR UPDATE`);
}

/**
 * The first date of stored activity worth keeping at `now`: the longest dashboard reads `maxWindowDays`
 * local days before today and as many before those, and a team's local today is within a day of the
 * UTC date, so two more days cover every time zone.
 */
export function activityKeptFrom(now: Date, maxWindowDays: number): string {
  return DateTime.fromJSDate(now, { zone: 'utc' }).startOf('day').minus({ days: 2 * maxWindowDays + 2 }).toISODate()!;
}

/**
 * The day-level activity written with Daily snapshots (analytics_daily_activity, merged by dashboards)
 * and the record of which (team, local day) pairs it covers (analytics_activity_days).
 */
export class ActivityStore {
  constructor(private readonly database: Database) {}

  /**
   * Marks the days written (row locks, taken in one order, so a concurrent writer of the same days
   * waits for this one) and deletes their old rows; `rewritingDays` calls it in its transaction. The
   * rows written next look conversations up after this transaction began: their closures are checked
   * as of its start.
   */
  async replaceDays(days: readonly TeamDay[]): Promise<void> {
    if (days.length === 0) return;
    const sorted = [...days].sort((a, b) => (a.teamId + a.date < b.teamId + b.date ? -1 : 1));
    const teams = pgArray(sorted.map((d) => d.teamId));
    const dates = pgArray(sorted.map((d) => d.date));
    await this.database.rows(sql`
      INSERT INTO analytics_activity_days (team_id, date, closures_checked_at)
      SELECT *, now() FROM unnest(${teams}::uuid[], ${dates}::date[])
      ON CONFLICT (team_id, date) DO UPDATE SET generated_at = now(), closures_checked_at = now()`);
    await this.database.rows(sql`
      DELETE FROM analytics_daily_activity a
      USING unnest(${teams}::uuid[], ${dates}::date[]) AS d(team_id, date)
      WHERE a.team_id = d.team_id AND a.date = d.date`);
  }

  /**
   * The dates in [from, to] whose activity is stored for the team, each with when its stored closures
   * were last checked; null for a day without marks, message totals or conversation counts of its
   * current rows (written before migrations 0004 and 0006, or rewritten since by a version before 0006).
   */
  async coverage(teamId: string, from: string, to: string): Promise<Map<string, Date | null>> {
    const rows = await this.database.rows<{ date: string; checked: string | null }>(sql`
      SELECT date::text AS date,
             CASE WHEN message_totals IS NOT NULL AND counts_generated_at = generated_at THEN closures_checked_at END AS checked
      FROM analytics_activity_days
      WHERE team_id = ${teamId} AND date BETWEEN ${from}::date AND ${to}::date`);
    return new Map(rows.map((r) => [r.date, r.checked === null ? null : new Date(r.checked)]));
  }

  /**
   * Deletes the teams' stored days before `before` (rows and their record; snapshots are kept). The
   * days are locked first, in replaceDays' order. A window that needs a deleted day reads the messages
   * instead, as for any day never written. Returns the activity rows deleted.
   */
  async prune(teamIds: readonly string[], before: string): Promise<number> {
    if (teamIds.length === 0) return 0;
    const teams = pgArray([...teamIds].sort());
    return this.database.transaction(async (tx) => {
      await lockDays(tx, teams, sql`AND date < ${before}::date`);
      await tx.rows(sql`DELETE FROM analytics_activity_days WHERE team_id = ANY(${teams}::uuid[]) AND date < ${before}::date`);
      const [deleted] = await tx.rows<{ n: number }>(sql`
        WITH gone AS (
          DELETE FROM analytics_daily_activity WHERE team_id = ANY(${teams}::uuid[]) AND date < ${before}::date RETURNING 1
        )
        SELECT count(*)::int AS n FROM gone`);
      return deleted!.n;
    });
  }

  /**
   * Brings up to date the stored closed_at of conversations that were open when their rows were
   * written, and stamps the teams' marked days as checked at this transaction's start; dashboards then
   * trust the stored state of windows that end before that (no live look-ups). The days are locked
   * first, in replaceDays' order, so a concurrent rewrite of a day waits for this (or this for it). The
   * conversation counts of the days whose rows changed are counted again from their rows. Returns the
   * rows updated.
   */
  async refreshClosures(teamIds: readonly string[]): Promise<number> {
    if (teamIds.length === 0) return 0;
    const teams = pgArray([...teamIds].sort());
    return this.database.transaction(async (tx) => {
      await lockDays(tx, teams);
      const changed = await tx.rows<{ team_id: string; date: string; n: number }>(sql`
        WITH closed AS (
          UPDATE analytics_daily_activity a SET conversation_closed_at = c.closed_at
          FROM conversations c
          WHERE a.team_id = ANY(${teams}::uuid[]) AND a.conversation_closed_at IS NULL
            AND c.id = a.conversation_id AND c.team_id = a.team_id AND c.closed_at IS NOT NULL
          RETURNING a.team_id, a.date
        )
        SELECT team_id, date::text AS date, count(*)::int AS n FROM closed GROUP BY team_id, date`);
      if (changed.length > 0) await recountConversations(tx, changed.map((d) => ({ teamId: d.team_id, date: d.date })));
      await tx.rows(sql`
        UPDATE analytics_activity_days SET closures_checked_at = now()
        WHERE team_id = ANY(${teams}::uuid[]) AND closures_checked_at IS NOT NULL`);
      return changed.reduce((sum, d) => sum + d.n, 0);
    });
  }
}

/**
 * Counts the conversations of stored days again from their current marked rows (days written before
 * marks have none and are left alone), as counts of the days' current rows.
 */
function recountConversations(tx: Database, days: readonly TeamDay[]): Promise<unknown> {
  return tx.rows(sql`
    UPDATE analytics_activity_days d SET conversation_counts = k.counts, counts_generated_at = d.generated_at
    FROM (${conversationCountsSql('team_id, date', sql`(
      SELECT a.team_id, a.date, ${localDate('a.previous_message_at')} AS p, ${localDate('a.conversation_closed_at')} AS c
      FROM unnest(${pgArray(days.map((d) => d.teamId))}::uuid[], ${pgArray(days.map((d) => d.date))}::date[]) AS ch(team_id, date)
      JOIN analytics_daily_activity a ON a.team_id = ch.team_id AND a.date = ch.date
      JOIN teams t ON t.id = a.team_id
      WHERE a.previous_message_at IS NOT NULL
    ) marked`)}) k
    WHERE d.team_id = k.team_id AND d.date = k.date`);
}
