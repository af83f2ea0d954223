/**
 * `npm run snapshots -- backfill --from YYYY-MM-DD --to YYYY-MM-DD --type Daily|Weekly|Monthly [--team ID]`
 * `npm run snapshots -- run <job-name> [--from YYYY-MM-DD --to YYYY-MM-DD] [--wait SECONDS]`
 *
 * Exit codes: 0 done, 1 some teams (or the run) failed, 2 bad arguments or configuration.
 */
import { parseArgs } from 'node:util';
// Only light modules here, so --help and bad arguments answer at once; the work is in snapshots.commands.ts.
import { JOB_NAMES, isJobName, type JobName } from '../jobs/jobs.js';
import { InvalidDateError, SNAPSHOT_TYPES, datesBetween, localDay, type SnapshotType } from '../metrics/periods.js';
import { EXIT, UsageError } from './usage.js';

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

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface BackfillArgs {
  from: string;
  to: string;
  type: SnapshotType;
  teamIds: string[];
  concurrency: number | undefined;
}

export interface RunArgs {
  name: JobName;
  range: { from: string; to: string } | undefined;
  waitSeconds: number;
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
  for (const id of ids) if (!UUID_RE.test(id)) throw new UsageError(`--team "${id}" is not a team id: expected a UUID such as 11111111-1111-4111-8111-111111111111`);
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

function parseRun(values: Values, rest: string[]): RunArgs {
  const [name, ...extra] = rest;
  if (!name) throw new UsageError(`run needs a job name: one of ${JOB_NAMES.join(', ')}`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}": run takes one job name`);
  if (!isJobName(name)) throw new UsageError(`unknown job "${name}": expected one of ${JOB_NAMES.join(', ')}`);
  if (values.type !== undefined || values.team !== undefined) {
    throw new UsageError("run writes every team with its job's own type: --type and --team belong to backfill");
  }
  return {
    name,
    range: values.from !== undefined || values.to !== undefined ? parseRange(values) : undefined,
    waitSeconds: parseInteger(values.wait, '--wait', 0, 86_400) ?? 0,
    concurrency: parseInteger(values.concurrency, '--concurrency', 1, 64),
  };
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
      case 'backfill': {
        const args = parseBackfill(values, rest);
        return await (await import('./snapshots.commands.js')).backfill(args);
      }
      case 'run': {
        const args = parseRun(values, rest);
        return await (await import('./snapshots.commands.js')).runJob(args);
      }
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
