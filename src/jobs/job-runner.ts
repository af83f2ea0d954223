import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { Config } from '../config/config.js';
import { MAX_DAYS } from '../dashboard/dashboard.service.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { ActivityStore, activityKeptFrom } from '../snapshots/activity.store.js';
import type { SnapshotGenerator } from '../snapshots/snapshot.service.js';
import { TeamStore } from '../teams/team.store.js';
import { DEFAULT_RETRY, generateWithRetry, type BatchRun, type RetryPolicy } from './batch-retry.js';
import { createJobLock, type JobLock, type JobLockOptions, type LockHandle } from './job-lock.js';
import { JobRunStore, type FailedTeam, type JobRunRow, type JobRunTrigger } from './job-run.store.js';
import { JobBusyError, getJob, rangeDates, type JobDefinition, type JobName } from './jobs.js';
import { selectTeams, type Team } from './team-selection.js';

export type { RetryPolicy } from './batch-retry.js';
export type { SnapshotGenerator } from '../snapshots/snapshot.service.js';

export interface TeamSource {
  listTeams(): Promise<Team[]>;
}

export interface JobRunnerDeps {
  database: Database;
  snapshots: SnapshotGenerator;
  logger: Logger;
  config: Pick<Config, 'refreshDays' | 'snapshotConcurrency'>;
  /** The cluster-wide lock; default: createJobLock({ redis, database, ...lockOptions }). */
  lock?: JobLock;
  redis?: Redis | null;
  lockOptions?: JobLockOptions;
  teams?: TeamSource;
  metrics?: Pick<Metrics, 'jobSeconds' | 'jobRuns'>;
  retry?: Partial<RetryPolicy>;
  /**
   * Teams handed to one SnapshotService.generate call (default 250). The service writes them in grouped
   * statements with bounded concurrency (config.snapshotConcurrency); between calls the runner records
   * progress in job_runs and stops if its lock was lost or the process is shutting down.
   */
  batchSize?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /**
   * After each batch of a Daily run, the upkeep of the batch's stored activity (default: ActivityStore):
   * days older than the longest dashboard reaches are deleted, and stored closures are refreshed.
   */
  activity?: Pick<ActivityStore, 'prune' | 'refreshClosures'>;
}

/** One scheduled firing: a job's slot in one time zone. */
export interface ScheduledSlot {
  job: JobName;
  zone: string;
  /** The instant the job's pattern matched in `zone`. */
  slot: Date;
}

export interface ManualRunOptions {
  /** Wait this long for a busy job lock before failing with JobBusyError (default 0). */
  waitMs?: number;
  /** Backfill: write every period of the job's type in [from, to] (inclusive) instead of its usual dates. */
  range?: { from: string; to: string };
  /** Progress in work units (one team × one period), as the SnapshotService counts them. */
  onProgress?: (done: number, total: number) => void;
  /** Return the 'running' row as soon as the run has started, and finish in the background. */
  background?: boolean;
}

/** Deterministic key of a scheduled firing: job, the slot's local time, zone. Same in every instance. */
export function slotRunKey(s: ScheduledSlot): string {
  const local = DateTime.fromJSDate(s.slot, { zone: s.zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
  return `${s.job}:${local}:${s.zone}`;
}

const ABANDONED =
  'abandoned: the process running it stopped before it finished (its lock expired); the slot can run again';

class Interrupted extends Error {}

/** What a run has done so far (also what a failed run records). */
interface Tally {
  /** Teams of the run, including those skipped for an invalid zone. */
  total: number;
  written: number;
  succeeded: number;
  failed: FailedTeam[];
}

interface Plan {
  job: JobDefinition;
  runKey: string;
  trigger: JobRunTrigger;
  /** Scheduled runs: the teams of this zone (the UTC run also reports teams whose zone is invalid). */
  zone?: string;
  dates: (zone: string) => string[];
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs jobs: scheduled slots (from the scheduler), manual triggers (triggerJob) and command-line runs.
 * Every run holds the job's cluster-wide lock, is a row in job_runs, writes its teams in batches
 * through the SnapshotService, retries failed teams with backoff and records those that still fail.
 */
export class JobRunner {
  readonly store: JobRunStore;
  readonly lock: JobLock;
  private readonly teams: TeamSource;
  private readonly retry: RetryPolicy;
  private readonly batchSize: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => Date;
  private readonly activity: Pick<ActivityStore, 'prune' | 'refreshClosures'>;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();

  constructor(private readonly deps: JobRunnerDeps) {
    this.store = new JobRunStore(deps.database);
    this.lock = deps.lock ?? createJobLock({ redis: deps.redis, database: deps.database, logger: deps.logger, ...deps.lockOptions });
    this.teams = deps.teams ?? new TeamStore(deps.database);
    this.retry = { ...DEFAULT_RETRY, ...deps.retry };
    this.batchSize = deps.batchSize ?? 250;
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = deps.now ?? (() => new Date());
    this.activity = deps.activity ?? new ActivityStore(deps.database);
  }

  /**
   * Runs a job now, by hand, under the same lock as scheduled runs (run_key `<job>:manual:<time>:<id>`).
   * Throws UnknownJobError (listing the allowed names) for a bad name, JobBusyError when the job runs.
   */
  async trigger(name: string, opts: ManualRunOptions & { trigger?: JobRunTrigger } = {}): Promise<JobRunRow> {
    const job = getJob(name);
    const dates = opts.range ? fixedDates(rangeDates(job.type, opts.range.from, opts.range.to)) : undefined;
    if (this.abort.signal.aborted) throw new Error('the job runner is shutting down');
    const handle = await this.lock.acquire(job.name, { waitMs: opts.waitMs ?? 0 });
    if (!handle) throw new JobBusyError(job.name);
    const now = this.now();
    const plan: Plan = {
      job,
      runKey: `${job.name}:manual:${now.toISOString()}:${randomUUID().slice(0, 8)}`,
      trigger: opts.trigger ?? 'manual',
      dates: dates ?? ((zone) => job.periodDates(zone, now, this.deps.config)),
      onProgress: opts.onProgress,
    };
    const started = this.begin(plan, handle);
    if (opts.background) {
      const row = await started.row;
      if (row) return row;
    }
    const done = await started.done;
    return done!;
  }

  /**
   * Runs one scheduled slot unless it is recorded already or the job's lock is busy (another instance
   * is running this job; the scheduler looks again on its next sweep). Null when it did not run here.
   */
  async runSlot(slot: ScheduledSlot): Promise<JobRunRow | null> {
    if (this.abort.signal.aborted) return null;
    const job = getJob(slot.job);
    const runKey = slotRunKey(slot);
    let handle: LockHandle | null;
    try {
      handle = await this.lock.acquire(job.name);
    } catch (err) {
      this.deps.logger.error({ err, job: job.name, runKey }, 'job lock could not be taken; the slot is tried again on the next sweep');
      return null;
    }
    if (!handle) {
      this.deps.logger.debug({ job: job.name, runKey }, 'job lock busy: another run of this job is in progress');
      return null;
    }
    if (this.abort.signal.aborted) {
      await handle.release(); // shutting down while the lock was being taken: leave the slot to another instance
      return null;
    }
    return this.begin(
      {
        job,
        runKey,
        trigger: 'schedule',
        zone: slot.zone,
        dates: (zone) => job.periodDates(zone, slot.slot, this.deps.config),
      },
      handle,
    ).done;
  }

  async recentRuns(limit = 20): Promise<JobRunRow[]> {
    return this.store.recent(limit);
  }

  /** Resolves when no run is in flight in this process. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Graceful stop: no new runs; waits up to `timeoutMs` for the runs in flight, then interrupts them
   * after their current batch (recorded as failed, slot freed so another instance can redo it).
   * Locks are released as the runs end.
   */
  async shutdown(timeoutMs = 30_000): Promise<void> {
    const interrupt = setTimeout(() => this.abort.abort(), timeoutMs);
    try {
      await this.idle();
    } finally {
      clearTimeout(interrupt);
      this.abort.abort();
    }
  }

  /** Starts a run under `handle`; `row` resolves once job_runs has it (null: the slot is recorded already). */
  private begin(plan: Plan, handle: LockHandle): { row: Promise<JobRunRow | null>; done: Promise<JobRunRow | null> } {
    let resolveRow!: (r: JobRunRow | null) => void;
    const row = new Promise<JobRunRow | null>((r) => (resolveRow = r));
    const done = this.execute(plan, handle, resolveRow).finally(() => {
      resolveRow(null);
      this.inFlight.delete(done);
    });
    this.inFlight.add(done);
    // A background trigger does not await `done`: its failure (already logged) must not become an
    // unhandled rejection. Callers that await it still see the error.
    done.catch(() => {});
    return { row, done };
  }

  private async execute(plan: Plan, handle: LockHandle, onStarted: (r: JobRunRow | null) => void): Promise<JobRunRow | null> {
    const { job } = plan;
    const log = this.deps.logger.child({ job: job.name, runKey: plan.runKey, trigger: plan.trigger });
    const t0 = performance.now();
    let run: JobRunRow | null = null;
    const tally: Tally = { total: 0, written: 0, succeeded: 0, failed: [] };
    try {
      for (const stale of await this.store.abandonRunning(job.name, ABANDONED)) {
        log.warn({ staleRunId: stale.id, staleRunKey: stale.runKey }, 'marked an abandoned run as failed');
      }
      run = await this.store.start({ name: job.name, runKey: plan.runKey, trigger: plan.trigger, startedAt: this.now() });
      onStarted(run);
      if (!run) {
        log.debug('slot already recorded in job_runs; not running it again');
        return null;
      }
      const { selected, valid, invalid } = selectTeams(await this.teams.listTeams(), plan.zone);
      tally.total = selected.length;
      for (const f of invalid) {
        tally.failed.push(f);
        log.error({ teamId: f.teamId, teamName: f.teamName }, `team skipped: ${f.error}`);
      }
      await this.store.progress(run.id, { teamsTotal: tally.total });
      log.info({ teams: tally.total, runId: run.id }, 'job run started');
      await this.writeBatches(plan, run, handle, valid, tally, log);
      return await this.finish(job, run, tally, t0, log);
    } catch (err) {
      const interrupted = err instanceof Interrupted;
      const message = (err as Error)?.message ?? String(err);
      log.error({ err, runId: run?.id }, interrupted ? `job run interrupted: ${message}` : `job run failed: ${message}`);
      this.observe(job.name, 'failed', t0);
      if (!run) throw err; // nothing recorded (job_runs unreachable): the caller sees the error
      try {
        return await this.store.finish(run.id, {
          status: 'failed',
          snapshotsWritten: tally.written,
          teamsTotal: tally.total,
          failedTeams: tally.failed,
          teamsFailed: tally.total - tally.succeeded,
          error: message,
          releaseRunKey: interrupted,
        });
      } catch (finishErr) {
        log.error({ err: finishErr, runId: run.id }, 'could not record the failed run; it will be marked abandoned');
        throw err;
      }
    } finally {
      onStarted(null);
      await handle.release();
    }
  }

  /** Writes `teams` batch by batch (with retries), recording progress in job_runs and in `tally`. */
  private async writeBatches(plan: Plan, run: JobRunRow, handle: LockHandle, teams: Team[], tally: Tally, log: Logger): Promise<void> {
    // Progress is counted in work units (team × period), like the SnapshotService reports it.
    const unitsOf = (t: { timezone: string }) => plan.dates(t.timezone).length;
    const units = tally.failed.length + teams.reduce((n, t) => n + unitsOf(t), 0);
    let unitsDone = tally.failed.length;
    plan.onProgress?.(unitsDone, units);
    let teamsDone = tally.failed.length;
    const batchRun: BatchRun = {
      snapshots: this.deps.snapshots,
      retry: this.retry,
      sleep: this.sleep,
      checkpoint: () => this.checkpoint(handle),
      log,
      type: plan.job.type,
      dates: plan.dates,
    };
    for (let i = 0; i < teams.length; i += this.batchSize) {
      this.checkpoint(handle, teamsDone, tally.total);
      const batch = teams.slice(i, i + this.batchSize);
      const base = unitsDone;
      const r = await generateWithRetry(batchRun, batch, (d) => plan.onProgress?.(Math.min(units, base + d), units));
      tally.written += r.written;
      tally.failed.push(...r.failed);
      if (plan.job.type === 'Daily') await this.activityUpkeep(batch, r.failed, log);
      tally.succeeded += batch.length - r.failed.length;
      teamsDone += batch.length;
      unitsDone = base + batch.reduce((n, t) => n + unitsOf(t), 0);
      plan.onProgress?.(unitsDone, units);
      await this.store.progress(run.id, { snapshotsWritten: tally.written });
    }
  }

  /** Records the run's outcome: succeeded, partial (some teams failed) or failed (every team failed). */
  private async finish(job: JobDefinition, run: JobRunRow, tally: Tally, t0: number, log: Logger): Promise<JobRunRow | null> {
    const { total, written, failed } = tally;
    const everyTeamFailed = total > 0 && tally.succeeded === 0;
    const status = failed.length === 0 ? 'succeeded' : everyTeamFailed ? 'failed' : 'partial';
    const error = everyTeamFailed ? `every team failed; first: ${failed[0]!.error}` : null;
    const row = await this.store.finish(run.id, { status, snapshotsWritten: written, teamsTotal: total, failedTeams: failed, error });
    this.observe(job.name, status, t0);
    const summary = { runId: run.id, status, snapshotsWritten: written, teams: total, teamsFailed: failed.length, seconds: (performance.now() - t0) / 1000 };
    if (status === 'succeeded') log.info(summary, 'job run succeeded');
    else if (status === 'partial') log.warn({ ...summary, failedTeams: failed }, 'job run partial: some teams failed');
    else log.error({ ...summary, failedTeams: failed, err: new Error(error!) }, 'job run failed');
    return row;
  }

  /**
   * The batch's stored activity: deletes the days no dashboard reads any more (ActivityStore.prune),
   * then brings the stored conversation closures of the teams written up to date
   * (ActivityStore.refreshClosures), so that today's dashboards need no live look-ups. Both are upkeep,
   * not the run's work: a failure is logged, not retried, and does not fail the run.
   */
  private async activityUpkeep(batch: Array<{ id: string }>, failed: FailedTeam[], log: Logger): Promise<void> {
    const before = activityKeptFrom(this.now(), MAX_DAYS);
    try {
      const rows = await this.activity.prune(batch.map((t) => t.id), before);
      log.debug({ teams: batch.length, before, rows }, 'old stored activity deleted');
    } catch (err) {
      log.warn({ err, teams: batch.length, before }, 'could not delete old stored activity; it is tried again after the next Daily batch');
    }
    const skip = new Set(failed.map((f) => f.teamId));
    const teamIds = batch.map((t) => t.id).filter((id) => !skip.has(id));
    try {
      const t0 = performance.now();
      const rows = await this.activity.refreshClosures(teamIds);
      log.debug({ teams: teamIds.length, rows, ms: Math.round(performance.now() - t0) }, 'stored closures refreshed');
    } catch (err) {
      log.warn({ err, teams: teamIds.length }, 'could not refresh stored closures; dashboards look them up live');
    }
  }

  /** Between batches: stop if the lock is gone (someone else may run the job now) or we are shutting down. */
  private checkpoint(handle: LockHandle, done?: number, total?: number) {
    const where = done === undefined ? '' : ` after ${done} of ${total} teams`;
    if (handle.lost) throw new Interrupted(`${(handle.lostSignal.reason as Error)?.message ?? 'job lock lost'}${where}`);
    if (this.abort.signal.aborted) throw new Interrupted(`the process shut down${where}; the slot can run again`);
  }

  private observe(job: string, status: string, t0: number) {
    this.deps.metrics?.jobSeconds.observe({ job, status }, (performance.now() - t0) / 1000);
    this.deps.metrics?.jobRuns.inc({ job, status });
  }
}

function fixedDates(dates: string[]): (zone: string) => string[] {
  return () => dates;
}

/**
 * One manual run for the command line (`npm run snapshots -- run <job-name>`, optionally with a
 * backfill range): takes the job's lock (waiting up to `waitMs`), records the run (trigger 'cli'),
 * returns the finished row. Throws UnknownJobError / JobBusyError / InvalidDateError.
 */
export async function runJobOnce(name: string, deps: JobRunnerDeps & Omit<ManualRunOptions, 'background'>): Promise<JobRunRow> {
  getJob(name);
  const runner = new JobRunner(deps);
  return runner.trigger(name, { waitMs: deps.waitMs, range: deps.range, onProgress: deps.onProgress, trigger: 'cli' });
}
