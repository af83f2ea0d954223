import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { WarnLimiter } from './warn-limiter.js';

describe('WarnLimiter', () => {
  it('logs at most one WARN per interval and reports how many it suppressed', () => {
    const logger = createLogger('warn');
    const lines: Array<{ fields: unknown; msg: string }> = [];
    logger.warn = ((fields: unknown, msg: string) => void lines.push({ fields, msg })) as typeof logger.warn;
    let now = 0;
    const limiter = new WarnLimiter(logger, 30_000, () => now);

    expect(limiter.warn({}, 'down')).toBe(true);
    for (let i = 0; i < 100; i++) {
      now += 100;
      limiter.warn({}, 'down');
    }
    expect(lines).toHaveLength(1);
    now = 30_000;
    expect(limiter.warn({}, 'down')).toBe(true);
    expect(lines).toEqual([
      { fields: { suppressed: 0 }, msg: 'down' },
      { fields: { suppressed: 100 }, msg: 'down' },
    ]);
  });
});
