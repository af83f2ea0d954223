import { DateTime } from 'luxon';
import { MAX_DAYS, MIN_DAYS } from '../dashboard/dashboard.service.js';
import { JOB_NAMES } from '../jobs/jobs.js';
import type { SnapshotType } from '../metrics/periods.js';
import { badInput } from './errors.js';

/** Bounds of the API's arguments; every violation is a BAD_USER_INPUT that says what is allowed (spec §7). */
export const LIMITS = {
  days: { min: MIN_DAYS, max: MAX_DAYS },
  first: { min: 1, max: 500 },
  /** Snapshots one range may cover, by type. Daily: 366 (spec §7); Weekly and Monthly: ten years. */
  range: { Daily: 366, Weekly: 522, Monthly: 120 } as Record<SnapshotType, number>,
  recentJobRuns: { min: 1, max: 100 },
} as const;

export function checkDays(days: number): number {
  if (!Number.isInteger(days) || days < LIMITS.days.min || days > LIMITS.days.max) {
    throw badInput(`days must be an integer from ${LIMITS.days.min} to ${LIMITS.days.max}, got ${days}`, 'days');
  }
  return days;
}

export function checkFirst(first: number): number {
  if (!Number.isInteger(first) || first < LIMITS.first.min || first > LIMITS.first.max) {
    throw badInput(`first must be an integer from ${LIMITS.first.min} to ${LIMITS.first.max}, got ${first}`, 'first');
  }
  return first;
}

export function checkLimit(limit: number): number {
  const { min, max } = LIMITS.recentJobRuns;
  if (!Number.isInteger(limit) || limit < min || limit > max) throw badInput(`limit must be an integer from ${min} to ${max}, got ${limit}`, 'limit');
  return limit;
}

/** How many periods of `type` have their start date in [from, to]. */
function periodsIn(type: SnapshotType, from: DateTime, to: DateTime): number {
  if (type === 'Daily') return to.diff(from, 'days').days + 1;
  if (type === 'Weekly') return Math.floor(to.diff(from.startOf('week'), 'weeks').weeks) + 1;
  return Math.floor(to.diff(from.startOf('month'), 'months').months) + 1;
}

/** `from` ≤ `to` (inclusive dates of the snapshots' `date`) and not more periods than LIMITS.range allows. */
export function checkRange(type: SnapshotType, from: string, to: string): void {
  const a = DateTime.fromISO(from, { zone: 'UTC' });
  const b = DateTime.fromISO(to, { zone: 'UTC' });
  if (b < a) throw badInput(`from (${from}) must not be after to (${to}): both are inclusive YYYY-MM-DD dates`, 'from');
  const max = LIMITS.range[type];
  const n = periodsIn(type, a, b);
  if (n > max) {
    throw badInput(`A ${type} range may cover at most ${max} snapshots; ${from}..${to} covers ${n}. Ask for a shorter range.`, 'to');
  }
}

export function checkJobName(name: string): void {
  if (!(JOB_NAMES as readonly string[]).includes(name)) {
    throw badInput(`Unknown job "${name}": name must be one of ${JOB_NAMES.join(', ')}`, 'name');
  }
}
