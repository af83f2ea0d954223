import { describe, expect, it } from 'vitest';
import { TTL_SECONDS, cacheKeys, kindOf, lockKey, teamEpochKey, teamKeySetKey, teamOf } from './cache.keys.js';

const team = '3f2a9c1e-0000-4000-8000-000000000001';

/** Redis Cluster's rule: the part between the first '{' and the next '}', if non-empty, decides the slot. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('cache keys (spec §8)', () => {
  it('TTLs: real-time 30 s, dashboard 300 s, snapshots 3600 s', () => {
    expect(TTL_SECONDS).toEqual({ realtime: 30, dashboard: 300, snapshots: 3600 });
  });

  it('builds the spec key names with the team id as a hash tag', () => {
    expect(cacheKeys.realtime(team, null)).toBe(`analytics:realtime:{${team}}:all`);
    expect(cacheKeys.realtime(team, 'acc-1')).toBe(`analytics:realtime:{${team}}:acc-1`);
    expect(cacheKeys.dashboard(team, 30, null)).toBe(`analytics:dashboard:{${team}}:30d`);
    expect(cacheKeys.dashboard(team, 7, 'acc-1')).toBe(`analytics:dashboard:{${team}}:acc-1:7d`);
    expect(cacheKeys.snapshots(team, 'daily', '2026-11-01')).toBe(`analytics:snapshots:{${team}}:daily:2026-11-01`);
  });

  it('keeps every key of one team in one Redis Cluster slot', () => {
    const keys = [
      cacheKeys.realtime(team, null),
      cacheKeys.dashboard(team, 30, 'acc-1'),
      cacheKeys.snapshots(team, 'x'),
      teamKeySetKey(team),
      teamEpochKey(team),
      lockKey(cacheKeys.dashboard(team, 7, null)),
      `test-ns:${cacheKeys.realtime(team, 'a')}`,
    ];
    expect(new Set(keys.map(hashTag))).toEqual(new Set([team]));
  });

  it('reads the team and kind back from a key', () => {
    expect(teamOf(cacheKeys.dashboard(team, 30, 'acc-1'))).toBe(team);
    expect(teamOf('no-team')).toBeNull();
    expect(kindOf(cacheKeys.snapshots(team, 'a'))).toBe('snapshots');
    expect(kindOf('something:else')).toBe('other');
  });

  it('rejects team ids that would break the hash tag and non-positive days', () => {
    expect(() => cacheKeys.realtime('a}b', null)).toThrow(TypeError);
    expect(() => cacheKeys.realtime('', null)).toThrow(TypeError);
    expect(() => cacheKeys.dashboard(team, 0, null)).toThrow(RangeError);
    expect(() => cacheKeys.dashboard(team, 1.5, null)).toThrow(RangeError);
  });
});
