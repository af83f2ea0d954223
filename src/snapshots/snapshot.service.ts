import pLimit from 'p-limit';
import type { Database } from '../db/client.js';
import type { Logger } from '../logging/logger.js';
import { computeMetrics, type TeamWindow } from '../metrics/metrics.engine.js';
import { periodContaining, type SnapshotType } from '../metrics/periods.js';
import type { Metrics } from '../observability/metrics.js';
import { TeamStore, type TeamRow } from '../teams/team.store.js';
import { rewritingDays } from './activity.store.js';
import { NotFoundError } from './errors.js';
import { SnapshotStore, type NewSnapshot, type SnapshotRow } from './snapshot.store.js';

export interface GenerationResult {
  written: number;
  teams: number;
  failed: Array<{ teamId: string; error: string }>;
}

export interface GenerateOptions {
  /** Default: every team. */
  teamIds?: string[];
  /** Dates inside the periods to write, or a function of a team's time zone giving them. */
  dates: string[] | ((timezone: string) => string[]);
  type: SnapshotType;
  /** Called after each batch with work units (team × period) done and total. */
  onProgress?: (done: number, total: number) => void;
}

/** What batch writers (the job runner, the demo backfill) need from the service. */
export interface SnapshotGenerator {
  generate(opts: GenerateOptions): Promise<GenerationResult>;
}

export interface SnapshotServiceDeps {
  database: Database;
  logger: Logger;
  /** Batches written at once. */
  concurrency: number;
  /** Teams per grouped statement. */
  batchSize?: number;
  metrics?: Metrics;
  /** Called once per team after its snapshots were written (cache invalidation and warming). */
  onTeamWritten?: (teamId: string) => Promise<void>;
}

/** The database's own message: drizzle wraps it in "Failed query: <sql> params: <…>", which says nothing. */
function reason(err: unknown): string {
  const e = err as Error & { cause?: unknown };
  return e.cause instanceof Error ? e.cause.message : e.message;
}

interface Unit {
  team: TeamRow;
  window: TeamWindow;
  date: string;
}

/**
 * Writes snapshots. Work is grouped by period date into batches of teams; each batch is one metrics
 * statement and one upsert statement (Daily batches: in one transaction with the days' activity rows),
 * so a team's rows for a period are all written or none.
 * A failing batch is retried team by team, so one bad team does not sink the others.
 */
export class SnapshotService {
  private readonly teams: TeamStore;

  constructor(private readonly deps: SnapshotServiceDeps) {
    this.teams = new TeamStore(deps.database);
  }

  /** Upserts one snapshot: team-wide when accountId is null. */
  async generateSnapshot(teamId: string, accountId: string | null, date: string, type: SnapshotType): Promise<SnapshotRow> {
    const team = await this.teams.getTeam(teamId);
    if (!team) throw new NotFoundError('team');
    if (accountId !== null && (await this.teams.accountsByIds(teamId, [accountId])).length === 0) {
      throw new NotFoundError('WhatsApp account');
    }
    const period = periodContaining(date, type, team.timezone);
    // A team-wide Daily snapshot also rewrites the day's stored activity, which dashboards merge.
    const record = type === 'Daily' && accountId === null;
    const write = async (database: Database) => {
      const [scoped] = await computeMetrics(database, {
        windows: [{ teamId, start: period.start, end: period.end, days: { first: period.date, last: period.date } }],
        teamWide: accountId === null,
        accounts: accountId === null ? 'none' : [accountId],
        recordActivity: record,
      });
      return new SnapshotStore(database).upsertOne({
        teamId,
        whatsappAccountId: accountId,
        date: period.date,
        snapshotType: type,
        metrics: scoped!.metrics,
      });
    };
    const row = record ? await rewritingDays(this.deps.database, [{ teamId, date: period.date }], write) : await write(this.deps.database);
    this.deps.metrics?.snapshotsWritten.inc({ type });
    await this.deps.onTeamWritten?.(teamId);
    return row;
  }

  /** Team-wide and per-account snapshots for many teams and periods, in batches with bounded concurrency. */
  async generate(opts: GenerateOptions): Promise<GenerationResult> {
    const teams = await this.teams.listTeams(opts.teamIds);
    const failed = new Map<string, string>();
    const units: Unit[] = [];
    for (const team of teams) {
      try {
        const dates = typeof opts.dates === 'function' ? opts.dates(team.timezone) : opts.dates;
        const periods = new Map(dates.map((d) => periodContaining(d, opts.type, team.timezone)).map((p) => [p.date, p]));
        for (const p of periods.values()) {
          const days = opts.type === 'Daily' ? { first: p.date, last: p.date } : undefined;
          units.push({ team, date: p.date, window: { teamId: team.id, start: p.start, end: p.end, days } });
        }
      } catch (err) {
        failed.set(team.id, reason(err));
      }
    }

    const batches = this.batch(units);
    const limit = pLimit(this.deps.concurrency);
    let done = 0;
    let written = 0;
    await Promise.all(
      batches.map((batch) =>
        limit(async () => {
          const n = await this.writeBatch(batch, opts.type, failed);
          written += n; // not `written += await …`: that reads `written` before the await and loses updates
          done += batch.length;
          opts.onProgress?.(done, units.length);
        }),
      ),
    );

    for (const team of teams) {
      if (failed.has(team.id)) continue;
      await this.deps.onTeamWritten?.(team.id).catch((err: Error) =>
        this.deps.logger.warn({ err, teamId: team.id }, 'cache refresh after snapshot write failed'),
      );
    }
    return { written, teams: teams.length, failed: [...failed].map(([teamId, error]) => ({ teamId, error })) };
  }

  /** Groups units by period date, then into batches of at most batchSize teams. */
  private batch(units: Unit[]): Unit[][] {
    const size = this.deps.batchSize ?? 250;
    const byDate = new Map<string, Unit[]>();
    for (const u of units) byDate.set(u.date, [...(byDate.get(u.date) ?? []), u]);
    const out: Unit[][] = [];
    for (const group of byDate.values()) for (let i = 0; i < group.length; i += size) out.push(group.slice(i, i + size));
    return out;
  }

  private async writeBatch(batch: Unit[], type: SnapshotType, failed: Map<string, string>): Promise<number> {
    const started = performance.now();
    try {
      const n = await this.writeUnits(batch, type);
      this.deps.metrics?.snapshotSeconds.observe({ type, outcome: 'success' }, (performance.now() - started) / 1000);
      return n;
    } catch (err) {
      if (batch.length === 1) {
        const unit = batch[0]!;
        failed.set(unit.team.id, reason(err));
        this.deps.logger.error({ err, teamId: unit.team.id, date: unit.date, type }, 'snapshot generation failed');
        this.deps.metrics?.snapshotSeconds.observe({ type, outcome: 'failure' }, (performance.now() - started) / 1000);
        return 0;
      }
      this.deps.logger.warn({ err, teams: batch.length, type }, 'snapshot batch failed; retrying team by team');
      let n = 0;
      for (const unit of batch) {
        const one = await this.writeBatch([unit], type, failed);
        n += one;
      }
      return n;
    }
  }

  /** Daily batches also rewrite the days' stored activity, in the same transaction as the snapshots. */
  private async writeUnits(units: Unit[], type: SnapshotType): Promise<number> {
    if (type !== 'Daily') return this.computeAndUpsert(this.deps.database, units, type);
    const days = units.map((u) => ({ teamId: u.team.id, date: u.date }));
    return rewritingDays(this.deps.database, days, (tx) => this.computeAndUpsert(tx, units, type));
  }

  private async computeAndUpsert(database: Database, units: Unit[], type: SnapshotType): Promise<number> {
    const scoped = await computeMetrics(database, {
      windows: units.map((u) => u.window),
      teamWide: true,
      accounts: 'all',
      recordActivity: type === 'Daily',
    });
    const dateOf = new Map(units.map((u) => [u.team.id, u.date]));
    const rows: NewSnapshot[] = scoped.map((s) => ({
      teamId: s.teamId,
      whatsappAccountId: s.whatsappAccountId,
      date: dateOf.get(s.teamId)!,
      snapshotType: type,
      metrics: s.metrics,
    }));
    const written = await new SnapshotStore(database).upsertMany(rows);
    this.deps.metrics?.snapshotsWritten.inc({ type }, written);
    return written;
  }
}
