/*
 * Scheduling: every team on its own clock, via a sweep.
 *
 * One croner job (the sweep) fires every minute (test configuration: every second). Each sweep reads
 * the distinct `teams.timezone` values from the database (so new teams and new zones are picked up
 * without a restart) and, for each job and zone, asks croner for the most recent instant at which
 * the job's pattern (`0 2 * * *`, `0 3 * * 1`, `0 4 1 * *`) matched *in that zone* — croner resolves
 * DST: a 02:00 that does not exist runs at the first valid time after the gap, a 02:00 that occurs
 * twice runs once. That is the zone's current slot. If the slot is recent (within `catchUpMs`,
 * default 6 h, so an instance that was down or busy at 02:00 still catches up) and job_runs has no
 * row with its run key, the runner runs it for the teams of that zone, reading them at run time.
 *
 * Why a sweep and not one croner job per zone: zones come and go with the teams table; a sweep needs
 * no re-enumeration or timer bookkeeping, catches up slots missed while no instance was up, and takes
 * its clock as an argument (`sweep(now)`), which is what the fake-clock tests drive.
 *
 * A run is one job firing for one zone's slot, with the deterministic run key
 *   `<job>:<slot local time yyyy-MM-ddTHH:mm:ss>:<zone>`, e.g.
 *   `daily-analytics-snapshot:2026-11-25T02:00:00:Pacific/Auckland`.
 * With N instances, every instance's sweep sees the same slot; the job's cluster-wide lock (Redis
 * `SET NX PX`, or a Postgres advisory lock) lets one of them run, and the unique run_key makes the
 * slot recorded — and therefore run — once; the others find it recorded on their next sweep.
 * Teams whose timezone is not a valid IANA name are attached to the UTC run and recorded there as
 * failed (so the misconfiguration shows up in job_runs instead of the team silently never running).
 *
 * croner is always given `catch` (a throwing run would otherwise be an unhandled rejection that
 * kills the process) and `protect` (a sweep does not overlap the previous one in this process).
 * Runs are not awaited by the sweep's croner callback: each job has its own chain of runs in flight,
 * so a long daily run does not hold up the weekly or monthly slot.
 */
import { Cron } from 'croner';
import { teams } from '../db/schema.js';
import { isValidZone } from '../metrics/periods.js';
import { JobRunner, slotRunKey, type JobRunnerDeps, type ScheduledSlot } from './job-runner.js';
import type { JobRunRow } from './job-run.store.js';
import { JOBS, JOB_NAMES, type JobName } from './jobs.js';

export interface SchedulerDeps extends JobRunnerDeps {
  /** Share the runner used by triggerJob (same lock either way); default: a new one from deps. */
  runner?: JobRunner;
  /** croner pattern of the sweep (default every minute); the test configuration uses '* * * * * *'. */
  sweepPattern?: string;
  /** Pattern overrides per job (test configuration: per-second slots). */
  schedules?: Partial<Record<JobName, string>>;
  /** Jobs this scheduler runs (default all three). */
  jobs?: readonly JobName[];
  /** How long after its slot a zone's run may still start (default 6 h). */
  catchUpMs?: number;
  /** stop(): how long to wait for runs in flight before interrupting them (default 30 s). */
  stopTimeoutMs?: number;
}

export interface Scheduler {
  readonly runner: JobRunner;
  readonly started: boolean;
  /** Starts the sweep timer. */
  start(): void;
  /** Graceful: stops the timer, waits for runs in flight (interrupting them after stopTimeoutMs), releases their locks. */
  stop(): Promise<void>;
  /**
   * One sweep at `now`: runs every due slot not yet recorded. With `wait` (default) resolves with the
   * rows of the runs this call started once they have finished; otherwise as soon as they have started.
   */
  sweep(now?: Date, opts?: { wait?: boolean }): Promise<JobRunRow[]>;
  /** The slots due at `now` (recorded or not), for inspection. */
  dueSlots(now?: Date): Promise<ScheduledSlot[]>;
}

export const DEFAULT_SWEEP_PATTERN = '0 * * * * *';
export const DEFAULT_CATCH_UP_MS = 6 * 3600_000;

let schedulerSeq = 0;

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const runner = deps.runner ?? new JobRunner(deps);
  const log = deps.logger.child({ component: 'scheduler' });
  const now = deps.now ?? (() => new Date());
  const jobs = deps.jobs ?? JOB_NAMES;
  const catchUpMs = deps.catchUpMs ?? DEFAULT_CATCH_UP_MS;
  const patterns = Object.fromEntries(JOB_NAMES.map((j) => [j, deps.schedules?.[j] ?? JOBS[j].schedule])) as Record<JobName, string>;
  const seq = ++schedulerSeq;
  /** Pattern evaluators per (pattern, zone); never scheduled (no function), only asked for previous runs. */
  const evaluators = new Map<string, Cron>();
  /** Per job: the chain of runs in flight in this process. */
  const chains = new Map<JobName, Promise<JobRunRow[]>>();
  let cron: Cron | undefined;
  let stopping = false;

  function latestSlot(job: JobName, zone: string, at: Date): Date | null {
    const key = `${patterns[job]}|${zone}`;
    let c = evaluators.get(key);
    if (!c) evaluators.set(key, (c = new Cron(patterns[job], { timezone: zone })));
    // previousRuns is strictly before its reference: +1 ms makes a slot exactly at `at` count.
    return c.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
  }

  async function zones(): Promise<string[]> {
    const rows = await deps.database.db.selectDistinct({ timezone: teams.timezone }).from(teams);
    const out = new Set<string>();
    for (const { timezone } of rows) out.add(isValidZone(timezone) ? timezone : 'UTC');
    return [...out].sort();
  }

  async function dueSlots(at: Date = now()): Promise<ScheduledSlot[]> {
    const due: ScheduledSlot[] = [];
    for (const zone of await zones()) {
      for (const job of jobs) {
        const slot = latestSlot(job, zone, at);
        if (slot && at.getTime() - slot.getTime() <= catchUpMs) due.push({ job, zone, slot });
      }
    }
    return due.sort((a, b) => a.slot.getTime() - b.slot.getTime() || a.zone.localeCompare(b.zone));
  }

  async function runChain(slots: ScheduledSlot[]): Promise<JobRunRow[]> {
    const rows: JobRunRow[] = [];
    for (const s of slots) {
      if (stopping) break;
      try {
        const row = await runner.runSlot(s);
        if (row) rows.push(row);
      } catch (err) {
        log.error({ err, runKey: slotRunKey(s) }, 'scheduled run could not be recorded');
      }
    }
    return rows;
  }

  async function sweep(at: Date = now(), opts: { wait?: boolean } = {}): Promise<JobRunRow[]> {
    if (stopping) return [];
    const due = await dueSlots(at);
    if (!due.length) return [];
    const recorded = await runner.store.existingRunKeys(due.map(slotRunKey));
    log.debug({ due: due.map(slotRunKey), recorded: recorded.size }, 'sweep: due slots');
    const started: Promise<JobRunRow[]>[] = [];
    for (const job of jobs) {
      if (chains.has(job)) continue; // this job's previous runs are still going; next sweep looks again
      const slots = due.filter((s) => s.job === job && !recorded.has(slotRunKey(s)));
      if (!slots.length) continue;
      const chain = runChain(slots).finally(() => chains.delete(job));
      chains.set(job, chain);
      started.push(chain);
    }
    if (opts.wait === false) return [];
    return (await Promise.all(started)).flat();
  }

  return {
    runner,
    get started() {
      return cron !== undefined && !stopping;
    },
    start() {
      if (cron || stopping) return;
      cron = new Cron(
        deps.sweepPattern ?? DEFAULT_SWEEP_PATTERN,
        {
          name: `analytics-job-sweep-${seq}`,
          timezone: 'UTC',
          protect: () => log.debug('previous sweep still computing; skipped this tick'),
          catch: (err) => log.error({ err }, 'job sweep failed; retrying on the next tick'),
        },
        () => sweep(now(), { wait: false }).then(() => undefined),
      );
      log.info({ sweep: deps.sweepPattern ?? DEFAULT_SWEEP_PATTERN, jobs, patterns }, 'job scheduler started');
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      cron?.stop();
      // Chains stop before their next slot; wait for the run in flight, then shut the runner down
      // (which interrupts, after its current batch, a run that outlives the timeout).
      const timeoutMs = deps.stopTimeoutMs ?? 30_000;
      const deadline = Date.now() + timeoutMs;
      const chainsDone = Promise.allSettled([...chains.values()]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([chainsDone, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      await runner.shutdown(Math.max(0, deadline - Date.now()));
      await chainsDone;
      log.info('job scheduler stopped');
    },
    sweep,
    dueSlots,
  };
}
