/**
 * `npm run snapshots -- backfill --from YYYY-MM-DD --to YYYY-MM-DD --type Daily|Weekly|Monthly [--team ID]`
 * `npm run snapshots -- run <job-name> [--from YYYY-MM-DD --to YYYY-MM-DD] [--wait SECONDS]`
 *
 * Exit codes: 0 done, 1 some teams (or the run) failed, 2 bad arguments or configuration.
 */
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import type { Redis } from 'ioredis';
import { createCache, type AnalyticsCache } from '../cache/analytics-cache.js';
import { connectRedis } from '../cache/redis.store.js';
import type { Config } from '../config/config.js';
import type { Database } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { runJobOnce } from '../jobs/job-runner.js';
import { JOB_NAMES, JobBusyError, isJobName } from '../jobs/jobs.js';
import type { Logger } from '../logging/logger.js';
import { InvalidDateError, SNAPSHOT_TYPES, datesBetween, localDay, periodDatesBetween, type SnapshotType } from '../metrics/periods.js';
import { SnapshotService } from '../snapshots/snapshot.service.js';
import { TeamStore, isUuid, type TeamRow } from '../teams/team.store.js';
import {
  EXIT,
  UsageError,
  cliLogger,
  createProgress,
  describeDatabase,
  isMigrated,
  loadConfigOrExit,
  openDatabase,
  type Progress,
} from './shared.js';

const SYNOPSIS = `Usage:
  npm run snapshots -- backfill --from YYYY-MM-DD --to YYYY-MM-DD --type Daily|Weekly|Monthly [--team ID]... [--concurrency N]
  npm run snapshots -- run <job-name> [--from YYYY-MM-DD --to YYYY-MM-DD] [--wait SECONDS]
  npm run snapshots -- --help`;

const USAGE = `${SYNOPSIS}

Commands:
  backfill   Writes the team-wide and per-account snapshots of every period in the range, both ends
             inclusive, for every team (or only the --team ones; repeat --team for several).
             Daily: each date. Weekly: the ISO weeks (Monday first) containing the dates, stored
             under their Monday. Monthly: the months containing them, stored under the 1st. Periods
             follow each team's own time zone. Existing snapshots are updated in place.
  run        Runs one job now, as the scheduler would, and records it in job_runs:
             ${JOB_NAMES.join(', ')}.
             With --from/--to it writes every period of the job's type in that range instead.

Options:
  --from, --to      first and last date, YYYY-MM-DD (both inclusive)
  --type            Daily, Weekly or Monthly
  --team            a team id (UUID); default: every team
  --concurrency     periods written at once (1–64; default SNAPSHOT_CONCURRENCY)
  --wait            run: seconds to wait when the job is already running elsewhere (default 0)
  -h, --help        this text

Database: DATABASE_URL, or the embedded database in DATA_DIR when DATABASE_URL is not set (stop the
gateway first: an embedded database is opened by one process at a time). With REDIS_URL set, the
gateway's cached reads of the teams written are invalidated afterwards.

Progress: a bar on a terminal; otherwise one line per period, e.g.
  backfill Daily 2026-03-01..2026-03-31: 12/31 dates, 240 snapshots

Exit codes: 0 done, 1 some teams failed (listed), 2 bad arguments.`;

/** Longest range accepted (about ten years of days), against typos such as --from 0026-03-01. */
const MAX_RANGE_DAYS = 3660;

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  type: { type: 'string' },
  team: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
  wait: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

interface BackfillArgs {
  from: string;
  to: string;
  type: SnapshotType;
  teamIds: string[];
  concurrency: number | undefined;
}

// ── argument validation ─────────────────────────────────────────────────────

function parseDate(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required: a date as YYYY-MM-DD`);
  try {
    return localDay(value, 'UTC').toISODate()!;
  } catch (err) {
    if (err instanceof InvalidDateError) throw new UsageError(`${flag}: ${err.message}`);
    throw err;
  }
}

function parseRange(values: Values): { from: string; to: string } {
  const from = parseDate(values.from, '--from');
  const to = parseDate(values.to, '--to');
  if (from > to) {
    throw new UsageError(`--from ${from} is after --to ${to}: both ends are inclusive, so --from must be on or before --to`);
  }
  const days = datesBetween(from, to).length;
  if (days > MAX_RANGE_DAYS) throw new UsageError(`--from ${from} to --to ${to} spans ${days} days; at most ${MAX_RANGE_DAYS} are allowed`);
  return { from, to };
}

function parseType(value: string | undefined): SnapshotType {
  const allowed = SNAPSHOT_TYPES.join(', ');
  if (value === undefined) throw new UsageError(`--type is required: one of ${allowed}`);
  const type = SNAPSHOT_TYPES.find((t) => t.toLowerCase() === value.toLowerCase());
  if (!type) throw new UsageError(`--type "${value}" is not a snapshot type: expected one of ${allowed}`);
  return type;
}

function parseTeamIds(values: string[] | undefined): string[] {
  const ids = values ?? [];
  for (const id of ids) if (!isUuid(id)) throw new UsageError(`--team "${id}" is not a team id: expected a UUID such as 11111111-1111-4111-8111-111111111111`);
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

function parseInteger(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} "${value}" is not allowed: expected an integer from ${min} to ${max}`);
  }
  return n;
}

function parseBackfill(values: Values, rest: string[]): BackfillArgs {
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}": backfill takes only options`);
  const { from, to } = parseRange(values);
  return {
    from,
    to,
    type: parseType(values.type),
    teamIds: parseTeamIds(values.team),
    concurrency: parseInteger(values.concurrency, '--concurrency', 1, 64),
  };
}

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

async function backfill(args: BackfillArgs): Promise<number> {
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

async function runJob(values: Values, rest: string[]): Promise<number> {
  const [name, ...extra] = rest;
  if (!name) throw new UsageError(`run needs a job name: one of ${JOB_NAMES.join(', ')}`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}": run takes one job name`);
  if (!isJobName(name)) throw new UsageError(`unknown job "${name}": expected one of ${JOB_NAMES.join(', ')}`);
  if (values.type !== undefined || values.team !== undefined) {
    throw new UsageError('run writes every team with its job\'s own type: --type and --team belong to backfill');
  }
  const range = values.from !== undefined || values.to !== undefined ? parseRange(values) : undefined;
  const waitSeconds = parseInteger(values.wait, '--wait', 0, 86_400) ?? 0;
  const concurrency = parseInteger(values.concurrency, '--concurrency', 1, 64);

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

// ── entry ───────────────────────────────────────────────────────────────────

export async function main(argv: string[]): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (err) {
      const message = (err as Error).message;
      const unknown = /^Unknown option '([^']+)'/.exec(message);
      if (unknown) {
        const allowed = Object.keys(OPTIONS).map((o) => `--${o}`).join(', ');
        throw new UsageError(`unknown option "${unknown[1]}": the options are ${allowed}`);
      }
      throw new UsageError(message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const [command, ...rest] = positionals;
    switch (command) {
      case 'backfill':
        return await backfill(parseBackfill(values, rest));
      case 'run':
        return await runJob(values, rest);
      case undefined:
        throw new UsageError('missing command: expected backfill or run');
      default:
        throw new UsageError(`unknown command "${command}": expected backfill or run`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n\n${SYNOPSIS}\n(--help for details)\n`);
      return EXIT.usage;
    }
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.failed;
  }
}

process.exit(await main(process.argv.slice(2)));
