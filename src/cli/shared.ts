import cliProgress from 'cli-progress';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { connectPostgres, openPglite, type Database } from '../db/client.js';
import type { Logger } from '../logging/logger.js';
import { EXIT } from './usage.js';

export { EXIT, UsageError } from './usage.js';

/** Loads the configuration; an invalid one stops the process with its message (exit 2). */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT.usage);
    }
    throw err;
  }
}

/**
 * Logs go to stderr so stdout carries only the command's own output. Without LOG_LEVEL the tools
 * log warnings and errors only (per-team INFO lines would drown the progress output).
 */
export function cliLogger(config: Config, name: string): Logger {
  const level = config.logLevelGiven ? config.logLevel : 'warn';
  return pino({ name, level, base: { service: name } }, pino.destination(2));
}

/** DATABASE_URL, or the embedded PGlite database in DATA_DIR. */
export async function openDatabase(config: Config, applicationName: string): Promise<Database> {
  if (config.databaseUrl) {
    return connectPostgres(config.databaseUrl, {
      poolSize: config.dbPoolSize,
      statementTimeoutMs: config.dbStatementTimeoutMs,
      applicationName,
    });
  }
  return openPglite(config.dataDir);
}

/** Where the database is, for messages (without the password). */
export function describeDatabase(config: Config): string {
  if (!config.databaseUrl) return `embedded PGlite database in ${config.dataDir}`;
  try {
    const u = new URL(config.databaseUrl);
    return `Postgres at ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'Postgres (DATABASE_URL)';
  }
}

/** True when the gateway's own tables exist (the database was migrated). */
export async function isMigrated(database: Database): Promise<boolean> {
  const [row] = await database.rows<{ ok: boolean }>(sql`SELECT to_regclass('public.analytics_snapshots') IS NOT NULL AS ok`);
  return row?.ok === true;
}

export interface Progress {
  /** `snapshots`: snapshots written so far, when known. */
  update(done: number, snapshots?: number): void;
  stop(): void;
}

/**
 * A progress bar on a terminal; otherwise one plain line per step:
 * `backfill Daily 2026-03-01..2026-03-31: 12/31 dates, 240 snapshots`.
 */
export function createProgress(label: string, total: number, unit: string, out: NodeJS.WriteStream = process.stdout): Progress {
  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} ${unit}{snapshots} | {duration_formatted} elapsed, ETA {eta_formatted}`,
        stream: out,
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    const snapshots = (n?: number) => ({ snapshots: n === undefined ? '' : `, ${n} snapshots` });
    bar.start(total, 0, snapshots());
    const onSigint = () => {
      bar.stop();
      process.exit(130);
    };
    process.once('SIGINT', onSigint);
    return {
      update: (done, n) => bar.update(done, snapshots(n)),
      stop: () => {
        bar.stop();
        process.off('SIGINT', onSigint);
      },
    };
  }
  let last = 0;
  return {
    update: (done, n) => {
      if (done === last) return; // callers may report the same step twice
      last = done;
      out.write(`${label}: ${done}/${total} ${unit}${n === undefined ? '' : `, ${n} snapshots`}\n`);
    },
    stop: () => {},
  };
}
