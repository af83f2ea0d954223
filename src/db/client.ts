import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL, type Logger as DrizzleLogger } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import * as schema from './schema.js';

// Keep `date` columns as 'YYYY-MM-DD' strings (the default turns them into local-midnight Dates),
// and numeric/int8 as JS numbers (counts here never exceed 2^53).
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Runs a raw SQL statement and returns its rows. */
  rows<T>(query: SQL): Promise<T[]>;
  /** Statements issued through this handle (for tests and benchmarks that count round-trips). */
  readonly statements: { count: number };
  /** Runs `fn` in one transaction: statements through the handle it gets commit or roll back together. */
  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** postgres only: the connection string (jobs and migrations open dedicated sessions with it). */
  url?: string;
  /** pglite only: the embedded instance. */
  pglite?: PGlite;
}

function counter(): { count: number; logger: DrizzleLogger } {
  const c = { count: 0, logger: { logQuery: () => void c.count++ } };
  return c;
}

export interface PostgresOptions {
  poolSize?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
}

/**
 * The settings of the gateway's sessions. The engine's statements always cross the JIT cost thresholds;
 * compiling took half of a nightly batch and a third of a real-time query in the benchmark
 * (docs/benchmarks.md), for no gain. Its distinct counts hash tens of thousands of ids: 32 MB keeps them
 * in memory (the default 4 MB spilled them to disk); at most a few such nodes per statement, one
 * statement per client.
 */
export const SESSION_OPTIONS = '-c jit=off -c work_mem=32MB';

export function connectPostgres(url: string, opts: PostgresOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    statement_timeout: opts.statementTimeoutMs ?? 30_000,
    connectionTimeoutMillis: 5_000,
    application_name: opts.applicationName ?? 'analytics-gateway',
    options: SESSION_OPTIONS,
  });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Nor a checked-out one (a transaction's client while the server restarts): pg-pool removes its own
  // listener during checkout and the client then emits 'error' besides failing the pending query,
  // which is where the error is handled; the broken client is discarded when released.
  pool.on('connect', (client) => client.on('error', () => {}));
  const stats = counter();
  const db = drizzlePg({ client: pool, schema, logger: stats.logger }) as unknown as Db;
  return wrap(db, 'postgres', stats, () => pool.end(), { url });
}

export async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  return fromPglite(await PGlite.create(dataDir));
}

/** Wraps an open PGlite instance (tests clone a migrated one instead of migrating each time). */
export function fromPglite(client: PGlite): Database {
  const stats = counter();
  const db = drizzlePglite({ client, schema, logger: stats.logger }) as unknown as Db;
  return wrap(db, 'pglite', stats, () => client.close(), { pglite: client });
}

function wrap(
  db: Db,
  kind: Database['kind'],
  stats: { count: number },
  close: () => Promise<void>,
  extra: Pick<Database, 'url' | 'pglite'>,
): Database {
  const handle: Database = {
    db,
    kind,
    statements: stats,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx as unknown as Db, kind, stats, close, extra))),
    async rows<T>(query: SQL) {
      const result = (await db.execute(query)) as unknown as { rows: T[] };
      return result.rows;
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    close,
    ...extra,
  };
  return handle;
}
