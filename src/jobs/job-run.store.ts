import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { jobRuns } from '../db/schema.js';

export type JobRunStatus = 'running' | 'succeeded' | 'partial' | 'failed';
/** What started a run: the scheduler, the triggerJob mutation, or the command line. */
export type JobRunTrigger = 'schedule' | 'manual' | 'cli';

export interface FailedTeam {
  teamId: string;
  teamName?: string;
  error: string;
  /** How many times generation was attempted for this team in the run. */
  attempts: number;
}

/** One row of job_runs: one job firing for one slot (scheduled), or one manual/CLI run. */
export interface JobRunRow {
  id: string;
  name: string;
  runKey: string;
  trigger: JobRunTrigger;
  status: JobRunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  snapshotsWritten: number;
  teamsTotal: number;
  teamsFailed: number;
  failedTeams: FailedTeam[];
  error: string | null;
}

type Raw = typeof jobRuns.$inferSelect;

function toRow(r: Raw): JobRunRow {
  return {
    id: r.id,
    name: r.name,
    runKey: r.runKey,
    trigger: r.trigger as JobRunTrigger,
    status: r.status as JobRunStatus,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    snapshotsWritten: r.snapshotsWritten,
    teamsTotal: r.teamsTotal,
    teamsFailed: r.teamsFailed,
    failedTeams: Array.isArray(r.failedTeams) ? (r.failedTeams as FailedTeam[]) : [],
    error: r.error,
  };
}

export interface FinishRun {
  status: Exclude<JobRunStatus, 'running'>;
  snapshotsWritten: number;
  teamsTotal: number;
  failedTeams: FailedTeam[];
  /** teams_failed; defaults to failedTeams.length (a failed run also counts teams it never reached). */
  teamsFailed?: number;
  error?: string | null;
  /**
   * Frees the run key (renames it `…#interrupted-<id>`) so the slot can run again: for runs cut short
   * by a shutdown, whose slot another instance should still complete.
   */
  releaseRunKey?: boolean;
}

/** The job_runs table (src/db/schema.ts): every run is one row; run_key is unique across instances. */
export class JobRunStore {
  constructor(private readonly database: Database) {}

  /** Inserts a running row; null when a row with this run key exists (the slot ran or runs elsewhere). */
  async start(input: { name: string; runKey: string; trigger: JobRunTrigger; startedAt?: Date }): Promise<JobRunRow | null> {
    const [row] = await this.database.db
      .insert(jobRuns)
      .values({
        name: input.name,
        runKey: input.runKey,
        trigger: input.trigger,
        status: 'running',
        startedAt: input.startedAt ?? new Date(),
      })
      .onConflictDoNothing({ target: jobRuns.runKey })
      .returning();
    return row ? toRow(row) : null;
  }

  async progress(id: string, p: { snapshotsWritten?: number; teamsTotal?: number }): Promise<void> {
    if (p.snapshotsWritten === undefined && p.teamsTotal === undefined) return;
    await this.database.db
      .update(jobRuns)
      .set({ snapshotsWritten: p.snapshotsWritten, teamsTotal: p.teamsTotal })
      .where(and(eq(jobRuns.id, id), eq(jobRuns.status, 'running')));
  }

  async finish(id: string, f: FinishRun): Promise<JobRunRow> {
    const [row] = await this.database.db
      .update(jobRuns)
      .set({
        status: f.status,
        finishedAt: sql`now()`,
        snapshotsWritten: f.snapshotsWritten,
        teamsTotal: f.teamsTotal,
        teamsFailed: f.teamsFailed ?? f.failedTeams.length,
        failedTeams: f.failedTeams,
        error: f.error ?? null,
        ...(f.releaseRunKey ? { runKey: sql`${jobRuns.runKey} || '#interrupted-' || left(${jobRuns.id}::text, 8)` } : {}),
      })
      .where(eq(jobRuns.id, id))
      .returning();
    if (!row) throw new Error(`job run ${id} vanished before it finished`);
    return toRow(row);
  }

  /**
   * Marks the job's 'running' rows as failed and frees their run keys (`…#abandoned-<id>`), so their
   * slots can run again. Called by whoever has just taken the job's lock: all runs of a job hold that
   * lock, so a row still running then belongs to a process that died (its lock expired).
   */
  async abandonRunning(name: string, reason: string): Promise<JobRunRow[]> {
    const rows = await this.database.db
      .update(jobRuns)
      .set({
        status: 'failed',
        finishedAt: sql`now()`,
        error: reason,
        runKey: sql`${jobRuns.runKey} || '#abandoned-' || left(${jobRuns.id}::text, 8)`,
      })
      .where(and(eq(jobRuns.name, name), eq(jobRuns.status, 'running')))
      .returning();
    return rows.map(toRow);
  }

  async get(id: string): Promise<JobRunRow | null> {
    const [row] = await this.database.db.select().from(jobRuns).where(eq(jobRuns.id, id));
    return row ? toRow(row) : null;
  }

  async byRunKey(runKey: string): Promise<JobRunRow | null> {
    const [row] = await this.database.db.select().from(jobRuns).where(eq(jobRuns.runKey, runKey));
    return row ? toRow(row) : null;
  }

  /** Which of these run keys are recorded already (one statement). */
  async existingRunKeys(keys: readonly string[]): Promise<Set<string>> {
    if (!keys.length) return new Set();
    const rows = await this.database.db
      .select({ runKey: jobRuns.runKey })
      .from(jobRuns)
      .where(inArray(jobRuns.runKey, [...keys]));
    return new Set(rows.map((r) => r.runKey));
  }

  /** Most recent runs first (optionally of one job). */
  async recent(limit = 20, name?: string): Promise<JobRunRow[]> {
    const n = Math.max(1, Math.min(500, Math.floor(limit)));
    const q = this.database.db.select().from(jobRuns);
    const rows = await (name ? q.where(eq(jobRuns.name, name)) : q).orderBy(desc(jobRuns.startedAt), desc(jobRuns.id)).limit(n);
    return rows.map(toRow);
  }
}
