import { and, asc, eq, gte, inArray, isNull, lte, max, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { analyticsSnapshots as t } from '../db/schema.js';
import type { AnalyticsMetrics } from '../metrics/metrics.types.js';
import { localDay, type SnapshotType } from '../metrics/periods.js';
import { isUuid } from '../teams/team.store.js';

export interface SnapshotRow {
  id: string;
  teamId: string;
  whatsappAccountId: string | null;
  date: string;
  snapshotType: SnapshotType;
  metrics: AnalyticsMetrics;
  createdAt: Date;
  updatedAt: Date;
}

export type NewSnapshot = Pick<SnapshotRow, 'teamId' | 'whatsappAccountId' | 'date' | 'snapshotType' | 'metrics'>;

export interface SnapshotQuery {
  type: SnapshotType;
  from: string;
  to: string;
}

export interface SnapshotPage {
  nodes: SnapshotRow[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

const encodeCursor = (row: SnapshotRow) => Buffer.from(`${row.date}|${row.id}`).toString('base64url');

/** Decodes an `after` cursor; null when it is not one of ours. */
export function decodeCursor(cursor: string): { date: string; id: string } | null {
  const [date, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length || !date || !id || !isUuid(id)) return null;
  try {
    localDay(date, 'UTC');
  } catch {
    return null;
  }
  return { date, id };
}

/** analytics_snapshots: upserts and every read, always scoped by team. */
export class SnapshotStore {
  constructor(private readonly database: Database) {}

  /**
   * Upserts many rows in one statement (atomic), passed as one JSON parameter so any batch size fits
   * in Postgres's bind-parameter limit. Generating a snapshot again updates the same row.
   */
  async upsertMany(rows: NewSnapshot[]): Promise<number> {
    if (!rows.length) return 0;
    const json = JSON.stringify(
      rows.map((r) => ({
        team_id: r.teamId,
        whatsapp_account_id: r.whatsappAccountId,
        date: r.date,
        snapshot_type: r.snapshotType,
        metrics: r.metrics,
      })),
    );
    const result = await this.database.rows<{ n: number }>(sql`
      WITH written AS (
        INSERT INTO analytics_snapshots (team_id, whatsapp_account_id, date, snapshot_type, metrics)
        SELECT r.team_id, r.whatsapp_account_id, r.date, r.snapshot_type, r.metrics
        FROM jsonb_to_recordset(${json}::jsonb)
          AS r(team_id uuid, whatsapp_account_id uuid, date date, snapshot_type snapshot_type, metrics jsonb)
        ON CONFLICT (team_id, whatsapp_account_id, date, snapshot_type)
        DO UPDATE SET metrics = excluded.metrics, updated_at = now()
        RETURNING 1
      )
      SELECT count(*)::int AS n FROM written`);
    return result[0]?.n ?? 0;
  }

  /** Upserts one row and returns it. */
  async upsertOne(row: NewSnapshot): Promise<SnapshotRow> {
    const [written] = await this.database.db
      .insert(t)
      .values(row)
      .onConflictDoUpdate({
        target: [t.teamId, t.whatsappAccountId, t.date, t.snapshotType],
        set: { metrics: sql`excluded.metrics`, updatedAt: sql`now()` },
      })
      .returning();
    return written as SnapshotRow;
  }

  async findById(teamId: string, id: string): Promise<SnapshotRow | null> {
    if (!isUuid(id) || !isUuid(teamId)) return null;
    const [row] = await this.database.db.select().from(t).where(and(eq(t.teamId, teamId), eq(t.id, id)));
    return (row as SnapshotRow | undefined) ?? null;
  }

  private range(teamId: string, q: SnapshotQuery): SQL {
    return and(eq(t.teamId, teamId), eq(t.snapshotType, q.type), gte(t.date, q.from), lte(t.date, q.to))!;
  }

  /** One page in (date, id) order, with the total count, in one statement. */
  async list(
    teamId: string,
    q: SnapshotQuery & { whatsappAccountId: string | null; first: number; after?: string | null },
  ): Promise<SnapshotPage> {
    const empty = { nodes: [], totalCount: 0, hasNextPage: false, endCursor: null };
    if (!isUuid(teamId) || (q.whatsappAccountId !== null && !isUuid(q.whatsappAccountId))) return empty;
    const scope = and(
      this.range(teamId, q),
      q.whatsappAccountId === null ? isNull(t.whatsappAccountId) : eq(t.whatsappAccountId, q.whatsappAccountId),
    );
    const cursor = q.after ? decodeCursor(q.after) : null;
    const afterCursor = cursor ? sql`(${t.date}, ${t.id}) > (${cursor.date}::date, ${cursor.id}::uuid)` : undefined;
    const total = sql<number>`(SELECT count(*) FROM ${t} WHERE ${scope})`.mapWith(Number);
    const rows = await this.database.db
      .select({ row: t, totalCount: total })
      .from(t)
      .where(and(scope, afterCursor))
      .orderBy(asc(t.date), asc(t.id))
      .limit(q.first + 1);
    const page = rows.slice(0, q.first).map((r) => r.row as SnapshotRow);
    const totalCount = rows[0]?.totalCount ?? (await this.count(scope!));
    return {
      nodes: page,
      totalCount,
      hasNextPage: rows.length > q.first,
      endCursor: page.length ? encodeCursor(page[page.length - 1]!) : null,
    };
  }

  private async count(where: SQL): Promise<number> {
    const [row] = await this.database.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(t).where(where);
    return row?.n ?? 0;
  }

  /** Snapshots of several accounts of one team, in one statement (for a DataLoader). */
  async listForAccounts(teamId: string, accountIds: readonly string[], q: SnapshotQuery): Promise<SnapshotRow[]> {
    const ids = accountIds.filter(isUuid);
    if (!ids.length || !isUuid(teamId)) return [];
    const rows = await this.database.db
      .select()
      .from(t)
      .where(and(this.range(teamId, q), inArray(t.whatsappAccountId, ids)))
      .orderBy(asc(t.date), asc(t.id));
    return rows as SnapshotRow[];
  }

  /** Team-wide Daily snapshots of the given dates (a dashboard's series). */
  async teamDaily(teamId: string, accountId: string | null, from: string, to: string): Promise<SnapshotRow[]> {
    const page = await this.list(teamId, { type: 'Daily', from, to, whatsappAccountId: accountId, first: 1000 });
    return page.nodes;
  }

  async latestUpdatedAt(teamId: string): Promise<Date | null> {
    if (!isUuid(teamId)) return null;
    const [row] = await this.database.db.select({ at: max(t.updatedAt) }).from(t).where(eq(t.teamId, teamId));
    return row?.at ?? null;
  }
}
