import { DateTime } from 'luxon';
import { completeDays, datesBetween, periodContaining, periodDatesBetween, type SnapshotType } from '../metrics/periods.js';

/** The jobs of spec §9. Their names are normative (triggerJob, job_runs.name, the command line). */
export const JOB_NAMES = ['daily-analytics-snapshot', 'weekly-analytics-snapshot', 'monthly-analytics-snapshot'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobDefinition {
  name: JobName;
  /** Cron pattern, read in each team's own time zone. */
  schedule: string;
  type: SnapshotType;
  description: string;
  /**
   * The period start dates this job writes for a team in `zone`, as of `now` (for a scheduled run:
   * the slot's instant, so a late or retried run writes what its slot stands for).
   */
  periodDates(zone: string, now: Date, opts: { refreshDays: number }): string[];
}

export const JOBS: Readonly<Record<JobName, JobDefinition>> = {
  'daily-analytics-snapshot': {
    name: 'daily-analytics-snapshot',
    schedule: '0 2 * * *',
    type: 'Daily',
    description: 'Daily snapshots of the last ANALYTICS_REFRESH_DAYS complete local days',
    periodDates: (zone, now, { refreshDays }) => completeDays(refreshDays, zone, now).dates,
  },
  'weekly-analytics-snapshot': {
    name: 'weekly-analytics-snapshot',
    schedule: '0 3 * * 1',
    type: 'Weekly',
    description: 'Weekly snapshots of the previous ISO week',
    periodDates: (zone, now) => {
      const sameDayLastWeek = DateTime.fromJSDate(now, { zone }).minus({ weeks: 1 }).toISODate()!;
      return [periodContaining(sameDayLastWeek, 'Weekly', zone).date];
    },
  },
  'monthly-analytics-snapshot': {
    name: 'monthly-analytics-snapshot',
    schedule: '0 4 1 * *',
    type: 'Monthly',
    description: 'Monthly snapshots of the previous month',
    periodDates: (zone, now) => [DateTime.fromJSDate(now, { zone }).minus({ months: 1 }).startOf('month').toISODate()!],
  },
};

/** A job name that is not one of JOB_NAMES (GraphQL maps it to BAD_USER_INPUT; the message lists the allowed names). */
export class UnknownJobError extends Error {
  override name = 'UnknownJobError';
  readonly allowed: readonly JobName[] = JOB_NAMES;
  constructor(readonly jobName: string) {
    super(`Unknown job "${jobName}": expected one of ${JOB_NAMES.join(', ')}`);
  }
}

/** The job is running (here or in another instance) and the caller chose not to wait, or waited in vain. */
export class JobBusyError extends Error {
  override name = 'JobBusyError';
  constructor(readonly jobName: string) {
    super(`Job "${jobName}" is already running; try again when the current run has finished`);
  }
}

export function isJobName(name: string): name is JobName {
  return (JOB_NAMES as readonly string[]).includes(name);
}

/** The definition of `name`; throws UnknownJobError listing the allowed names. */
export function getJob(name: string): JobDefinition {
  if (!isJobName(name)) throw new UnknownJobError(name);
  return JOBS[name];
}

/** Backfill: the period dates of `type` covering [from, to] (both inclusive, YYYY-MM-DD). */
export function rangeDates(type: SnapshotType, from: string, to: string): string[] {
  return type === 'Daily' ? datesBetween(from, to) : periodDatesBetween(from, to, type);
}
