/**
 * A gateway-like process that only runs the job scheduler, for the multi-process job tests:
 *   node --import tsx tests/support/jobs-process.ts
 * Configured by environment (test configuration: per-second schedule, short lock TTL):
 *   DATABASE_URL, REDIS_URL (optional: without it the Postgres advisory lock is used),
 *   JOBS_LOCK_PREFIX, JOBS_LOCK_TTL_MS, JOBS_SWEEP_PATTERN, JOBS_DAILY_PATTERN, JOBS_BATCH_SIZE,
 *   JOBS_CATCH_UP_MS, ANALYTICS_REFRESH_DAYS, SNAPSHOT_CONCURRENCY, LOG_LEVEL.
 * Logs pino JSON lines on stdout; prints {"msg":"jobs-process ready"} once the scheduler runs, and
 * stops gracefully on SIGTERM (scheduler.stop(): waits for the run in flight, releases the lock).
 */
import { Redis } from 'ioredis';
import { connectPostgres } from '../../src/db/client.js';
import { createScheduler } from '../../src/jobs/scheduler.js';
import { createLogger } from '../../src/logging/logger.js';
import { SnapshotService } from '../../src/snapshots/snapshot.service.js';

const env = process.env;
const num = (name: string, dflt: number) => (env[name] ? Number(env[name]) : dflt);

const logger = createLogger(env.LOG_LEVEL ?? 'info', `jobs-process-${process.pid}`);
const database = connectPostgres(env.DATABASE_URL!, { poolSize: 4, applicationName: `jobs-process-${process.pid}` });
let redis: Redis | null = null;
if (env.REDIS_URL) {
  redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', (err) => logger.warn({ err }, 'redis error'));
  await redis.connect();
}

const config = { refreshDays: num('ANALYTICS_REFRESH_DAYS', 1), snapshotConcurrency: num('SNAPSHOT_CONCURRENCY', 2) };
const snapshots = new SnapshotService({ database, logger, concurrency: config.snapshotConcurrency });
const scheduler = createScheduler({
  database,
  redis,
  snapshots,
  logger,
  config,
  lockOptions: { ttlMs: num('JOBS_LOCK_TTL_MS', 2000), keyPrefix: env.JOBS_LOCK_PREFIX },
  sweepPattern: env.JOBS_SWEEP_PATTERN ?? '* * * * * *',
  schedules: { 'daily-analytics-snapshot': env.JOBS_DAILY_PATTERN ?? '* * * * * *' },
  jobs: ['daily-analytics-snapshot'],
  batchSize: num('JOBS_BATCH_SIZE', 250),
  catchUpMs: num('JOBS_CATCH_UP_MS', 5_000),
  retry: { attempts: 2, baseDelayMs: 50 },
});
scheduler.start();
logger.info('jobs-process ready');

process.on('SIGTERM', () => {
  void (async () => {
    await scheduler.stop();
    redis?.disconnect();
    await database.close();
    logger.info('jobs-process stopped');
    process.exit(0);
  })();
});
