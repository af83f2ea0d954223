import { describe, expect, it } from 'vitest';
import { slotRunKey } from './job-runner.js';
import { JOBS, JOB_NAMES, UnknownJobError, getJob, rangeDates } from './jobs.js';

describe('job definitions', () => {
  it('names and schedules are those of spec §9', () => {
    expect(JOB_NAMES).toEqual(['daily-analytics-snapshot', 'weekly-analytics-snapshot', 'monthly-analytics-snapshot']);
    expect(JOBS['daily-analytics-snapshot']).toMatchObject({ schedule: '0 2 * * *', type: 'Daily' });
    expect(JOBS['weekly-analytics-snapshot']).toMatchObject({ schedule: '0 3 * * 1', type: 'Weekly' });
    expect(JOBS['monthly-analytics-snapshot']).toMatchObject({ schedule: '0 4 1 * *', type: 'Monthly' });
  });

  it('an unknown name is an UnknownJobError that lists the allowed names', () => {
    expect(() => getJob('hourly')).toThrow(UnknownJobError);
    expect(() => getJob('hourly')).toThrow(
      'Unknown job "hourly": expected one of daily-analytics-snapshot, weekly-analytics-snapshot, monthly-analytics-snapshot',
    );
    try {
      getJob('');
    } catch (e) {
      expect((e as UnknownJobError).allowed).toEqual(JOB_NAMES);
    }
  });

  it('daily: the last refreshDays complete local days before the slot, in the team’s zone', () => {
    const daily = JOBS['daily-analytics-snapshot'];
    // 02:00 in Auckland on 2026-06-10 is 14:00 UTC on 2026-06-09.
    const slot = new Date('2026-06-09T14:00:00Z');
    expect(daily.periodDates('Pacific/Auckland', slot, { refreshDays: 3 })).toEqual(['2026-06-07', '2026-06-08', '2026-06-09']);
    expect(daily.periodDates('America/Los_Angeles', slot, { refreshDays: 1 })).toEqual(['2026-06-08']);
    expect(daily.periodDates('UTC', slot, { refreshDays: 1 })).toEqual(['2026-06-08']);
  });

  it('daily across a DST change still yields calendar days', () => {
    // 2026-03-08: US clocks go forward; 02:00 does not exist in Los Angeles, the slot is 03:00 PDT.
    const slot = new Date('2026-03-09T09:00:00Z');
    expect(JOBS['daily-analytics-snapshot'].periodDates('America/Los_Angeles', slot, { refreshDays: 2 })).toEqual([
      '2026-03-07',
      '2026-03-08',
    ]);
  });

  it('weekly: the previous ISO week (its Monday); monthly: the previous month (its 1st)', () => {
    // Monday 2026-06-01 03:00 in Auckland = 2026-05-31T15:00Z (still Sunday in UTC).
    const slot = new Date('2026-05-31T15:00:00Z');
    expect(JOBS['weekly-analytics-snapshot'].periodDates('Pacific/Auckland', slot, { refreshDays: 3 })).toEqual(['2026-05-25']);
    expect(JOBS['weekly-analytics-snapshot'].periodDates('UTC', slot, { refreshDays: 3 })).toEqual(['2026-05-18']);
    expect(JOBS['monthly-analytics-snapshot'].periodDates('Pacific/Auckland', slot, { refreshDays: 3 })).toEqual(['2026-05-01']);
    expect(JOBS['monthly-analytics-snapshot'].periodDates('UTC', slot, { refreshDays: 3 })).toEqual(['2026-04-01']);
    // January → the previous December.
    expect(JOBS['monthly-analytics-snapshot'].periodDates('UTC', new Date('2026-01-01T04:00:00Z'), { refreshDays: 3 })).toEqual([
      '2025-12-01',
    ]);
  });

  it('backfill ranges are inclusive and use period starts', () => {
    expect(rangeDates('Daily', '2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(rangeDates('Weekly', '2026-03-04', '2026-03-16')).toEqual(['2026-03-02', '2026-03-09', '2026-03-16']);
    expect(rangeDates('Monthly', '2026-01-31', '2026-03-01')).toEqual(['2026-01-01', '2026-02-01', '2026-03-01']);
    expect(() => rangeDates('Daily', '2026-03-02', '2026-03-01')).toThrow(/after/);
  });

  it('run keys name the job, the slot in local time and the zone', () => {
    expect(slotRunKey({ job: 'daily-analytics-snapshot', zone: 'Pacific/Auckland', slot: new Date('2026-11-24T13:00:00Z') })).toBe(
      'daily-analytics-snapshot:2026-11-25T02:00:00:Pacific/Auckland',
    );
  });
});
