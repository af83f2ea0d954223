import { describe, expect, it } from 'vitest';
import { completeDays, datesBetween, periodContaining, periodDatesBetween, realTimePeriod } from './periods.js';

describe('periods', () => {
  it('a Daily period on a spring-forward day in New York is 23 hours', () => {
    const p = periodContaining('2026-03-08', 'Daily', 'America/New_York');
    expect(p.start.toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(p.end.toISOString()).toBe('2026-03-09T04:00:00.000Z');
  });
  it('a Daily period on a fall-back day in New York is 25 hours', () => {
    const p = periodContaining('2026-11-01', 'Daily', 'America/New_York');
    expect(p.start.toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(p.end.toISOString()).toBe('2026-11-02T05:00:00.000Z');
  });
  it('Weekly means the ISO week containing the date', () => {
    const p = periodContaining('2026-03-11', 'Weekly', 'UTC');
    expect(p.date).toBe('2026-03-09');
    expect(p.start.toISOString()).toBe('2026-03-09T00:00:00.000Z');
    expect(p.end.toISOString()).toBe('2026-03-16T00:00:00.000Z');
    expect(periodContaining('2026-03-15', 'Weekly', 'UTC').date).toBe('2026-03-09');
  });
  it('Monthly means the local calendar month', () => {
    const p = periodContaining('2026-02-14', 'Monthly', 'Pacific/Auckland');
    expect(p.date).toBe('2026-02-01');
    expect(p.start.toISOString()).toBe('2026-01-31T11:00:00.000Z'); // NZDT, UTC+13
    expect(p.end.toISOString()).toBe('2026-02-28T11:00:00.000Z');
  });
  it('rejects malformed and impossible dates', () => {
    expect(() => periodContaining('2026-02-30', 'Daily', 'UTC')).toThrow(/YYYY-MM-DD/);
    expect(() => periodContaining('26-1-1', 'Daily', 'UTC')).toThrow(/YYYY-MM-DD/);
    expect(() => periodContaining('+275760-09-13', 'Daily', 'UTC')).toThrow(/YYYY-MM-DD/);
    expect(() => periodContaining('2026-01-01', 'Daily', 'Mars/Olympus')).toThrow(/time zone/);
  });
  it('complete days end at local midnight today', () => {
    const now = new Date('2026-03-10T03:00:00Z'); // 2026-03-09 23:00 in New York
    const w = completeDays(2, 'America/New_York', now);
    expect(w.dates).toEqual(['2026-03-07', '2026-03-08']);
    expect(w.start.toISOString()).toBe('2026-03-07T05:00:00.000Z');
    expect(w.end.toISOString()).toBe('2026-03-09T04:00:00.000Z');
  });
  it('real-time runs from local midnight to now', () => {
    const now = new Date('2026-03-10T03:00:00Z');
    const p = realTimePeriod('Pacific/Auckland', now);
    expect(p.date).toBe('2026-03-10');
    expect(p.start.toISOString()).toBe('2026-03-09T11:00:00.000Z');
    expect(p.end).toBe(now);
  });
  it('date ranges are inclusive', () => {
    expect(datesBetween('2026-02-27', '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(() => datesBetween('2026-03-02', '2026-03-01')).toThrow(/after/);
    expect(periodDatesBetween('2026-03-01', '2026-03-17', 'Weekly')).toEqual(['2026-02-23', '2026-03-02', '2026-03-09', '2026-03-16']);
    expect(periodDatesBetween('2026-01-31', '2026-03-01', 'Monthly')).toEqual(['2026-01-01', '2026-02-01', '2026-03-01']);
  });
});
