/** What `npm run snapshots` does once its arguments are valid (loaded lazily by src/cli/snapshots.ts). */
import pLimit from 'p-limit';
import type { Redis } from 'ioredis';
import { createCache, type AnalyticsCache } from '../cache/analytics-cache.js';
import { connectRedis } from '../cache/redis.store.js';
import type { Config } from '../config/config.js';
import type { Database } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { JobBusyError, runJobOnce } from '../jobs/index.js';
import type { Logger } from '../logging/logger.js';
import { InvalidDateError, datesBetween, periodDatesBetween } from '../metrics/periods.js';
import { SnapshotService } from '../snapshots/snapshot.service.js';
import { TeamStore, type TeamRow } from '../teams/team.store.js';
import { cliLogger, createProgress, describeDatabase, isMigrated, loadConfigOrExit, openDatabase, type Progress } from './shared.js';
import { EXIT, UsageError } from './usage.js';
import type { BackfillArgs, RunArgs } from './snapshots.js';

// ── shared plumbing ─────────────────────────────────────────────────────────

interface Session {
  config: Config;
  logger: Logger;
  database: Database;
  /** The gateway's cache when it is shared (REDIS_URL), to invalidate what was rewritten. */
  cache: AnalyticsCache | null;
  close(): Promise<void>;
}

async function openSession(name: string): Promise<Session> {
  const config = loadConfigOrExit();
  const logger = cliLogger(config, name);
  const database = await openDatabase(config, `analytics-gateway:${name}`);
  const closers: Array<() => Promise<unknown>> = [() => database.close()];
  const session: Session = {
    config,
    logger,
    database,
    cache: null,
    async close() {
      for (const close of closers.reverse()) await close().catch(() => {});
    },
  };
  try {
    if (database.kind === 'pglite') await migrateDatabase(database); // the embedded database manages itself
    else if (!(await isMigrated(database))) {
      throw new Error(`${describeDatabase(config)} has no analytics tables yet: run \`npm run db:migrate\` first`);
    }
    if (config.redisUrl) {
      const cache = createCache({ redisUrl: config.redisUrl, logger });
      closers.push(() => cache.close());
      if (await waitFor(() => cache.ping(), 3000)) session.cache = cache;
      else logger.warn('Redis (REDIS_URL) did not answer: the gateway may serve cached snapshot reads of these teams until they expire');
    }
  } catch (err) {
    await session.close();
    throw err;
  }
  return session;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function invalidate(session: Session, teamIds: string[]): Promise<void> {
  if (!session.cache) return;
  const limit = pLimit(16);
  await Promise.all(
    teamIds.map((id) =>
      limit(() => session.cache!.invalidateTeam(id).catch((err: Error) => session.logger.warn({ err, teamId: id }, 'cache invalidation failed'))),
    ),
  );
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const seconds = (startedMs: number) => `${((Date.now() - startedMs) / 1000).toFixed(1)} s`;

// ── backfill ────────────────────────────────────────────────────────────────

export async function backfill(args: BackfillArgs): Promise<number> {
  const session = await openSession('snapshots-cli');
  const { config, database, logger } = session;
  try {
    const teams = await new TeamStore(database).listTeams(args.teamIds.length ? args.teamIds : undefined);
    const missing = args.teamIds.filter((id) => !teams.some((t) => t.id === id));
    if (missing.length) {
      throw new UsageError(`--team ${missing.join(', ')}: no team with this id in the ${describeDatabase(config)}`);
    }
    const range = `${args.from}..${args.to}`;
    const label = `backfill ${args.type} ${range}`;
    if (!teams.length) {
      process.stdout.write(`${label}: no teams in the ${describeDatabase(config)}; nothing to write\n`);
      return EXIT.ok;
    }

    const dates = args.type === 'Daily' ? datesBetween(args.from, args.to) : periodDatesBetween(args.from, args.to, args.type);
    const concurrency = args.concurrency ?? config.snapshotConcurrency;
    // Dates run in parallel (up to `concurrency`); each date's teams are written batch after batch.
    const service = new SnapshotService({ database, logger, concurrency: 1 });
    const teamIds = args.teamIds.length ? args.teamIds : undefined;
    const failures = new Map<string, { error: string; dates: string[] }>();
    const progress: Progress = createProgress(label, dates.length, 'dates');
    const started = Date.now();
    let done = 0;
    let written = 0;

    const limit = pLimit(concurrency);
    try {
      await Promise.all(
        dates.map((date) =>
          limit(async () => {
            const result = await service.generate({ teamIds, dates: [date], type: args.type });
            written += result.written;
            for (const f of result.failed) {
              const entry = failures.get(f.teamId) ?? { error: f.error, dates: [] };
              entry.dates.push(date);
              failures.set(f.teamId, entry);
            }
            progress.update(++done, written);
          }),
        ),
      );
    } finally {
      progress.stop();
    }

    await invalidate(session, teams.filter((t) => !failures.has(t.id)).map((t) => t.id));
    const periods = plural(dates.length, `${args.type} period`);
    process.stdout.write(`${label}: done, ${written} snapshots for ${plural(teams.length, 'team')} over ${periods} in ${seconds(started)}\n`);
    if (failures.size) {
      reportFailures(teams, [...failures].map(([teamId, f]) => ({ teamId, error: f.error, dates: f.dates.sort() })));
      return EXIT.failed;
    }
    return EXIT.ok;
  } finally {
    await session.close();
  }
}

function reportFailures(teams: TeamRow[], failed: Array<{ teamId: string; error: string; dates?: string[] }>): void {
  const names = new Map(teams.map((t) => [t.id, t.name]));
  const lines = failed.map((f) => {
    const name = names.get(f.teamId);
    const dates = f.dates?.length ? ` (dates: ${summariseDates(f.dates)})` : '';
    return `  ${f.teamId}${name ? ` ${JSON.stringify(name)}` : ''}: ${f.error}${dates}`;
  });
  process.stderr.write(`${failed.length} of ${plural(teams.length, 'team')} failed:\n${lines.join('\n')}\n`);
}

function summariseDates(dates: string[]): string {
  return dates.length <= 5 ? dates.join(', ') : `${dates.slice(0, 3).join(', ')}, … ${dates[dates.length - 1]} (${dates.length} dates)`;
}

// ── run <job-name> ──────────────────────────────────────────────────────────

export async function runJob(args: RunArgs): Promise<number> {
  const { name, range, waitSeconds, concurrency } = args;
  const session = await openSession('snapshots-cli');
  const { config, database, logger } = session;
  let redis: Redis | null = null;
  try {
    if (config.redisUrl) {
      // Jobs take their cluster-wide lock in Redis when the gateway has one: the same lock here.
      redis = connectRedis(config.redisUrl);
      redis.on('error', () => {});
      const r = redis;
      if (!(await waitFor(async () => r.status === 'ready', 5000))) {
        throw new Error('Redis (REDIS_URL) did not answer: jobs take their lock there, so the job cannot run safely now');
      }
    }
    const cache = session.cache;
    const service = new SnapshotService({
      database,
      logger,
      concurrency: concurrency ?? config.snapshotConcurrency,
      onTeamWritten: cache ? (teamId) => cache.invalidateTeam(teamId) : undefined,
    });
    const label = `run ${name}${range ? ` ${range.from}..${range.to}` : ''}`;
    let progress: Progress | null = null;
    const started = Date.now();
    let row;
    try {
      row = await runJobOnce(name, {
        database,
        snapshots: service,
        logger,
        config: { ...config, snapshotConcurrency: concurrency ?? config.snapshotConcurrency },
        redis,
        waitMs: waitSeconds * 1000,
        range,
        onProgress: (done, total) => {
          progress ??= createProgress(label, total, 'team periods');
          progress.update(done);
        },
      });
    } catch (err) {
      if (err instanceof JobBusyError || err instanceof InvalidDateError) {
        process.stderr.write(`${label}: ${err.message}\n`);
        return EXIT.failed;
      }
      throw err;
    } finally {
      (progress as Progress | null)?.stop();
    }
    process.stdout.write(
      `${label}: ${row.status}, ${row.snapshotsWritten} snapshots for ${plural(row.teamsTotal, 'team')} in ${seconds(started)} (job run ${row.id})\n`,
    );
    if (row.error) process.stderr.write(`${label}: ${row.error}\n`);
    if (row.failedTeams.length) {
      const teams = await new TeamStore(database).listTeams(row.failedTeams.map((f) => f.teamId));
      reportFailures(
        teams.length ? teams : [],
        row.failedTeams.map((f) => ({ teamId: f.teamId, error: `${f.error} (after ${f.attempts} attempts)` })),
      );
    }
    return row.status === 'succeeded' ? EXIT.ok : EXIT.failed;
  } finally {
    redis?.disconnect();
    await session.close();
  }
}
