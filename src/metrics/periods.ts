import { DateTime } from 'luxon';

export type SnapshotType = 'Daily' | 'Weekly' | 'Monthly';
export const SNAPSHOT_TYPES: readonly SnapshotType[] = ['Daily', 'Weekly', 'Monthly'];

/** A half-open interval [start, end) of instants, aligned to a team's calendar (spec §3). */
export interface Period {
  /** First local day of the period, YYYY-MM-DD (the snapshot's `date`). */
  date: string;
  start: Date;
  end: Date;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
/** Dates the gateway accepts: far beyond any CRM's data, and well inside Postgres's timestamp range. */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2999;

export class InvalidDateError extends RangeError {
  override name = 'InvalidDateError';
}

/** Parses a YYYY-MM-DD calendar date in `zone`; rejects malformed and impossible dates (2026-02-30). */
export function localDay(date: string, zone: string): DateTime {
  if (!DATE_RE.test(date)) throw new InvalidDateError(`"${date}" is not a date: expected YYYY-MM-DD`);
  const day = DateTime.fromISO(date, { zone });
  if (!day.isValid) {
    if (day.invalidReason === 'unsupported zone') throw new RangeError(`unknown time zone "${zone}"`);
    throw new InvalidDateError(`"${date}" is not a calendar date: expected YYYY-MM-DD`);
  }
  if (day.year < MIN_YEAR || day.year > MAX_YEAR) {
    throw new InvalidDateError(`"${date}" is out of range: dates from ${MIN_YEAR}-01-01 to ${MAX_YEAR}-12-31 are allowed`);
  }
  return day.startOf('day');
}

export function isValidZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}

function toPeriod(start: DateTime, end: DateTime): Period {
  return { date: start.toISODate()!, start: start.toJSDate(), end: end.toJSDate() };
}

/** The period of `type` containing `date`, in the team's time zone; DST days are 23 or 25 hours long. */
export function periodContaining(date: string, type: SnapshotType, zone: string): Period {
  const day = localDay(date, zone);
  switch (type) {
    case 'Daily':
      return toPeriod(day, day.plus({ days: 1 }).startOf('day'));
    case 'Weekly': {
      const monday = day.startOf('week'); // luxon weeks are ISO weeks: Monday first
      return toPeriod(monday, monday.plus({ weeks: 1 }).startOf('day'));
    }
    case 'Monthly': {
      const first = day.startOf('month');
      return toPeriod(first, first.plus({ months: 1 }).startOf('day'));
    }
  }
}

/** `days` complete local days before `today`, as [start, end) plus the list of their dates. */
export function completeDays(days: number, zone: string, now: Date = new Date()): Period & { dates: string[]; lastDate: string } {
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const first = today.minus({ days });
  const dates = Array.from({ length: days }, (_, i) => first.plus({ days: i }).toISODate()!);
  return { ...toPeriod(first, today), dates, lastDate: dates[dates.length - 1]! };
}

/** Local midnight today to now. */
export function realTimePeriod(zone: string, now: Date = new Date()): Period {
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  return { date: today.toISODate()!, start: today.toJSDate(), end: now };
}

/** Every date from `from` to `to`, both inclusive (YYYY-MM-DD), in calendar order. */
export function datesBetween(from: string, to: string): string[] {
  const a = localDay(from, 'UTC');
  const b = localDay(to, 'UTC');
  if (b < a) throw new InvalidDateError(`"from" (${from}) is after "to" (${to})`);
  const out: string[] = [];
  for (let d = a; d <= b; d = d.plus({ days: 1 })) out.push(d.toISODate()!);
  return out;
}

/** Distinct period start dates of `type` covering the inclusive date range (Weekly → Mondays, Monthly → 1sts). */
export function periodDatesBetween(from: string, to: string, type: SnapshotType): string[] {
  const seen = new Set<string>();
  for (const d of datesBetween(from, to)) seen.add(periodContaining(d, type, 'UTC').date);
  return [...seen];
}
