import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkDays, checkFirst, checkJobName, checkRange } from './validate.js';

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GraphQLError);
    expect((err as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    return (err as Error).message;
  }
  throw new Error('expected a BAD_USER_INPUT');
};

describe('argument checks (spec §7)', () => {
  it('days: integers 1..365', () => {
    expect(checkDays(1)).toBe(1);
    expect(checkDays(365)).toBe(365);
    expect(message(() => checkDays(0))).toBe('days must be an integer from 1 to 365, got 0');
    expect(message(() => checkDays(366))).toMatch(/from 1 to 365/);
  });

  it('ranges: from ≤ to, at most 366 Daily snapshots (a leap year), generous Weekly/Monthly bounds', () => {
    expect(() => checkRange('Daily', '2024-01-01', '2024-12-31')).not.toThrow(); // 366 days
    expect(message(() => checkRange('Daily', '2024-01-01', '2025-01-01'))).toMatch(/at most 366 snapshots; .* covers 367/);
    expect(message(() => checkRange('Daily', '2026-03-02', '2026-03-01'))).toMatch(/must not be after/);
    expect(() => checkRange('Daily', '2026-03-01', '2026-03-01')).not.toThrow();
    expect(() => checkRange('Weekly', '2020-01-01', '2026-12-31')).not.toThrow();
    expect(() => checkRange('Monthly', '2017-01-01', '2026-12-31')).not.toThrow(); // 120 months
    expect(message(() => checkRange('Monthly', '2016-12-01', '2026-12-31'))).toMatch(/Monthly range may cover at most 120/);
  });

  it('first: 1..500; job names: the three of spec §9', () => {
    expect(checkFirst(50)).toBe(50);
    expect(message(() => checkFirst(0))).toMatch(/first must be an integer from 1 to 500/);
    expect(() => checkJobName('weekly-analytics-snapshot')).not.toThrow();
    expect(message(() => checkJobName('nope'))).toMatch(/daily-analytics-snapshot, weekly-analytics-snapshot, monthly-analytics-snapshot/);
  });
});
