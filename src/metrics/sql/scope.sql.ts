import { sql, type SQL } from 'drizzle-orm';
import type { MetricsRequest } from '../metrics.engine.js';

/** A Postgres array literal of simple tokens (uuids, ISO instants): one bind parameter, any length. */
export function pgArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v}"`).join(',')}}`;
}

/**
 * What every family's CTEs share: the windows (`w`, one row per team with its own instants), the
 * account filter, and the scopes to report (team-wide rows have account_id NULL).
 */
export interface ScopeSql {
  windows: SQL;
  /** Restricts a table aliased `alias` to the requested accounts when only accounts are asked for. */
  accountFilter(alias: string): SQL;
  /**
   * A FROM item: `w` joined with the rows of `table` (aliased `alias`) inside each team's window, read
   * by one index range per team (messages by created_at, stored activity by date). One window is
   * written with its own values as parameters, so the planner sizes the range from the table's
   * statistics (and every hash and join after it) instead of guessing a handful of rows for a lateral
   * parameter; several windows are a lateral join over `w`.
   */
  windowRows(table: 'messages' | 'analytics_daily_activity' | 'analytics_activity_days', alias: string, where?: SQL): SQL;
  scopes: SQL;
  /** Whether any per-account scope is asked for (team-only requests skip account attribution). */
  perAccount: boolean;
  /**
   * One team-wide window read from marked stored days (source 'activity', TeamWindow.marked): the days
   * whose stored closed_at may be stale, as a Postgres array literal; null otherwise.
   */
  staleDays: string | null;
  /**
   * The window's bounds (instants, and its first and last local days when it is made of whole days):
   * its own values for one window, w's columns (joined by the caller) for several.
   */
  bounds: { start: SQL; end: SQL; firstDay: SQL; lastDay: SQL };
  /**
   * How a family aggregate groups: the team and account columns to select and the GROUP BY. Only the
   * groupings the request asks for are computed (team-wide, per account, or both via GROUPING SETS).
   * One team-wide window is a plain aggregate (no grouping at all: no sort or hash of its rows), kept
   * to "no row when there is no input" like a grouped one by its HAVING.
   */
  grouping(teamCol: string, accountCol: string, extra?: string[]): { team: SQL; account: SQL; groupBy: SQL };
  /** Groups rows that already carry their scope (`team_id`, `account_id`) by it. */
  regrouping(): { team: SQL; account: SQL; groupBy: SQL };
}

export function scopeSql(request: MetricsRequest): ScopeSql {
  const { windows, accounts, teamWide } = request;
  const teamIds = pgArray(windows.map((w) => w.teamId));
  const starts = pgArray(windows.map((w) => w.start.toISOString()));
  const ends = pgArray(windows.map((w) => w.end.toISOString()));
  // Local dates of the window's days, for windows read from or written to the stored activity.
  const withDays = windows.every((w) => w.days);
  const dayArray = (pick: (d: { first: string; last: string }) => string) =>
    withDays ? pgArray(windows.map((w) => pick(w.days!))) : `{${windows.map(() => 'NULL').join(',')}}`;
  const accountList = Array.isArray(accounts) ? pgArray(accounts) : null;
  // Team-wide figures need every account's rows; only an account-only request may narrow the scan.
  const narrow = accountList !== null && !teamWide;

  const accountScopes =
    accounts === 'none'
      ? sql`false`
      : accountList === null
        ? sql`true`
        : sql`a.id = ANY(${accountList}::uuid[])`;

  const perAccount = accounts !== 'none';
  const singleTeam = windows.length === 1;
  const one = singleTeam ? windows[0]! : null;
  // One team-wide window: plain aggregates with the team id as a parameter (see grouping()).
  const plain = !perAccount && one !== null;
  const teamParam = one ? sql`${one.teamId}::uuid` : sql`w.team_id`;
  const bounds = one
    ? {
        start: sql`${one.start.toISOString()}::timestamptz`,
        end: sql`${one.end.toISOString()}::timestamptz`,
        firstDay: sql`${one.days?.first ?? null}::date`,
        lastDay: sql`${one.days?.last ?? null}::date`,
      }
    : { start: sql`w.start_at`, end: sql`w.end_at`, firstDay: sql`w.first_day`, lastDay: sql`w.last_day` };
  const accountFilter = (alias: string) =>
    narrow ? sql`AND ${sql.raw(alias)}.whatsapp_account_id = ANY(${accountList}::uuid[])` : sql``;
  return {
    perAccount,
    staleDays: plain && teamWide && request.source === 'activity' && one?.marked ? pgArray(one.marked.staleDays) : null,
    bounds,
    grouping(teamCol, accountCol, extra = []) {
      const team = sql.raw(teamCol);
      const set = (...cols: string[]) => `(${[...cols, ...extra].join(', ')})`;
      if (plain) {
        const groupBy = extra.length ? sql.raw(`GROUP BY ${extra.join(', ')}`) : sql`HAVING count(*) > 0`;
        return { team: teamParam, account: sql`NULL::uuid`, groupBy };
      }
      if (!perAccount) return { team, account: sql`NULL::uuid`, groupBy: sql.raw(`GROUP BY ${set(teamCol)}`) };
      if (!teamWide) return { team, account: sql.raw(accountCol), groupBy: sql.raw(`GROUP BY ${set(teamCol, accountCol)}`) };
      return {
        team,
        account: sql.raw(accountCol),
        groupBy: sql.raw(`GROUP BY GROUPING SETS (${set(teamCol)}, ${set(teamCol, accountCol)})`),
      };
    },
    regrouping() {
      if (plain) return { team: teamParam, account: sql`NULL::uuid`, groupBy: sql`HAVING count(*) > 0` };
      return { team: sql`team_id`, account: sql`account_id`, groupBy: sql`GROUP BY team_id, account_id` };
    },
    windows: sql`w AS (
      SELECT * FROM unnest(${teamIds}::uuid[], ${starts}::timestamptz[], ${ends}::timestamptz[],
                           ${dayArray((d) => d.first)}::date[], ${dayArray((d) => d.last)}::date[])
        AS w(team_id, start_at, end_at, first_day, last_day)
    )`,
    accountFilter,
    windowRows(table, alias, where) {
      const a = sql.raw(alias);
      // The window's bounds: its own values for one window, w's columns (per team, laterally) for several.
      const range =
        table === 'messages'
          ? sql`${a}.created_at >= ${bounds.start} AND ${a}.created_at < ${bounds.end}`
          : sql`${a}.date >= ${bounds.firstDay} AND ${a}.date <= ${bounds.lastDay}`;
      return sql`w CROSS JOIN ${one ? sql`` : sql`LATERAL `}(
      SELECT * FROM ${sql.raw(table)} ${a}
      WHERE ${a}.team_id = ${teamParam} AND ${range} ${accountFilter(alias)}${where ? sql` AND ${where}` : sql``}
      OFFSET 0
    ) ${a}`;
    },
    scopes: sql`scopes AS (
      SELECT w.team_id, NULL::uuid AS account_id, w.start_at, w.end_at FROM w WHERE ${teamWide ? sql`true` : sql`false`}
      UNION ALL
      SELECT w.team_id, a.id, w.start_at, w.end_at
      FROM w JOIN whatsapp_accounts a ON a.team_id = w.team_id
      WHERE ${accountScopes}
    )`,
  };
}

/** LEFT JOIN of a family aggregate (grouped by GROUPING SETS) onto the scope rows. */
export const joinScope = (alias: string) =>
  sql.raw(`LEFT JOIN ${alias} ON ${alias}.team_id = s.team_id AND ${alias}.account_id IS NOT DISTINCT FROM s.account_id`);
