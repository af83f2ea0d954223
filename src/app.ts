/**
 * The composition root: config → database → cache → services → schema → HTTP server (+ scheduler).
 * main.ts calls it for `npm start`; tests and benchmarks call it to run a real gateway in-process.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { secretKey, signToken } from './auth/jwt.js';
import { createCache, type AnalyticsCache } from './cache/analytics-cache.js';
import type { Config } from './config/config.js';
import { connectPostgres, openPglite, type Database } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { backfillDemoSnapshots, seedDemo, DEMO_TEAM_ID } from './demo/seed-demo.js';
import type { ApiServices } from './graphql/context.js';
import { createApiServices } from './graphql/services.js';
import type { StartupState } from './http/ops.js';
import { createGateway, type Gateway } from './http/server.js';
import { JobRunner, createScheduler, type Scheduler, type SchedulerDeps } from './jobs/index.js';
import type { Logger } from './logging/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { SnapshotService } from './snapshots/snapshot.service.js';

export interface App {
  url: string;
  gateway: Gateway;
  database: Database;
  cache: AnalyticsCache;
  metrics: Metrics;
  services: ApiServices;
  snapshots: SnapshotService;
  runner: JobRunner;
  scheduler: Scheduler | null;
  /** Development only: an admin token of the first demo team. */
  demoToken: string | undefined;
  /** Graceful: stop taking requests and finish in-flight ones, stop the scheduler (releasing its lock), close pools. */
  close(): Promise<void>;
}

export interface AppOptions {
  /** Use this database instead of opening one from config (tests). */
  database?: Database;
  /** Scheduler overrides (tests run per-second schedules). */
  scheduler?: Partial<Pick<SchedulerDeps, 'sweepPattern' | 'schedules' | 'jobs' | 'catchUpMs' | 'lockOptions' | 'now'>>;
  now?: () => Date;
}

async function openDatabase(config: Config): Promise<Database> {
  if (!config.databaseUrl) return openPglite(config.dataDir);
  return connectPostgres(config.databaseUrl, {
    poolSize: config.dbPoolSize,
    statementTimeoutMs: config.dbStatementTimeoutMs,
  });
}

/** An admin token of the first demo team (fixed id), for the explorer in development. */
function demoTokenFor(config: Config): Promise<string> {
  return signToken({ teamId: DEMO_TEAM_ID, role: 'admin' }, secretKey(config.jwtSecret), {
    expiresInSeconds: 30 * 24 * 3600,
    subject: 'demo',
  });
}

/** Migrates, retrying with backoff while Postgres is unreachable; /ready reports the last reason meanwhile. */
async function untilMigrated(database: Database, startup: StartupState, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateDatabase(database);
      logger.info({ database: database.kind }, 'database migrated');
      return;
    } catch (err) {
      startup.waitingFor = `postgres: ${(err as Error).message}`;
      const delay = Math.min(5_000, 250 * 2 ** attempt);
      logger.warn({ err: (err as Error).message, attempt, retryInMs: delay }, 'database not reachable at start; retrying');
      await sleep(delay);
    }
  }
}

export async function startApp(config: Config, logger: Logger, opts: AppOptions = {}): Promise<App> {
  const metrics = createMetrics();
  const database = opts.database ?? (await openDatabase(config));
  const cache = createCache({ redisUrl: config.redisUrl, logger, metrics });
  const lockRedis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 2000 }) : null;
  lockRedis?.on('error', () => {}); // reconnects by itself; lock calls report their own errors

  let services: ApiServices | undefined;
  const snapshots = new SnapshotService({
    database,
    logger,
    metrics,
    concurrency: config.snapshotConcurrency,
    // A team's new snapshots make its cached answers stale: clear them, then warm the common dashboards.
    onTeamWritten: async (teamId) => {
      await cache.invalidateTeam(teamId);
      await services?.dashboard.warm(teamId);
    },
  });
  const jobDeps = { database, snapshots, logger, config, redis: lockRedis, metrics };
  const runner = new JobRunner({ ...jobDeps, ...(opts.scheduler?.lockOptions ? { lockOptions: opts.scheduler.lockOptions } : {}) });
  services = createApiServices({ database, cache, jobs: runner, snapshotWriter: snapshots, now: opts.now });

  // Listen first, so /ready can say what start-up is waiting for; then migrate (retrying), seed, schedule.
  const startup: StartupState = { waitingFor: 'migrations' };
  const demoToken = config.seedDemo && !config.production ? await demoTokenFor(config) : undefined;
  const gateway = await createGateway({
    config, logger, database, cache, metrics, jobs: runner, snapshotWriter: snapshots, demoToken, services, startup,
  });
  const url = await gateway.listen(config.port, config.host);

  await untilMigrated(database, startup, logger);
  if (config.seedDemo) {
    const seeded = await seedDemo(database);
    if (seeded.seeded) {
      logger.info({ counts: seeded.counts }, 'demo data seeded; writing its snapshots');
      await backfillDemoSnapshots(snapshots, seeded);
    }
  }
  startup.waitingFor = null;

  const scheduler = config.schedulerEnabled ? createScheduler({ ...jobDeps, runner, ...opts.scheduler }) : null;
  scheduler?.start();

  return {
    url,
    gateway,
    database,
    cache,
    metrics,
    services,
    snapshots,
    runner,
    scheduler,
    demoToken,
    async close() {
      await gateway.close();
      await scheduler?.stop();
      await cache.close();
      lockRedis?.disconnect();
      if (!opts.database) await database.close();
    },
  };
}
