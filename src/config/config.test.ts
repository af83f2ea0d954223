import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_JWT_SECRET, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('runs with no configuration at all: embedded database, in-process cache, demo data', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
    expect(c.seedDemo).toBe(true);
    expect(c.jwtSecret).toBe(DEV_JWT_SECRET);
    expect(c.devSecret).toBe(true);
    expect(c).toMatchObject({ port: 4000, refreshDays: 3, snapshotConcurrency: 4, schedulerEnabled: true, logLevel: 'info', logLevelGiven: false });
  });

  it('reads and converts every variable', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u@db:5432/crm',
      REDIS_URL: 'redis://cache:6379',
      PORT: '8080',
      JWT_SECRET: 'x'.repeat(32),
      LOG_LEVEL: 'debug',
      ANALYTICS_REFRESH_DAYS: '5',
      SNAPSHOT_CONCURRENCY: '8',
      SCHEDULER_ENABLED: 'false',
    });
    expect(c).toMatchObject({ port: 8080, refreshDays: 5, snapshotConcurrency: 8, schedulerEnabled: false, seedDemo: false, logLevelGiven: true });
    expect(c.devSecret).toBe(false);
  });

  it('names every bad variable and what is allowed', () => {
    const bad = () =>
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', SNAPSHOT_CONCURRENCY: '0', SCHEDULER_ENABLED: 'yes', JWT_SECRET: 'short' });
    expect(bad).toThrow(ConfigError);
    const message = (() => {
      try {
        bad();
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).toContain('PORT: PORT must be an integer from 0 to 65535');
    expect(message).toContain('DATABASE_URL: DATABASE_URL must be a URL starting with postgres:// or postgresql://');
    expect(message).toContain('LOG_LEVEL: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent');
    expect(message).toContain('SNAPSHOT_CONCURRENCY: SNAPSHOT_CONCURRENCY must be an integer from 1 to 64');
    expect(message).toContain('SCHEDULER_ENABLED: SCHEDULER_ENABLED must be one of true, false, 1, 0');
    expect(message).toContain('JWT_SECRET: JWT_SECRET must be at least 32 characters');
  });

  it('reads CORS_ORIGINS as a list of exact origins and refuses anything else', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    for (const bad of ['app.example.com', 'https://app.example.com/', 'https://app.example.com/path', 'ftp://x.example.com']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS must be a comma-separated list of origins/);
    }
  });

  it('refuses production without a JWT secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: required when NODE_ENV=production/);
  });
});
