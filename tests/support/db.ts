import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { connectPostgres, fromPglite, openPglite, type Database } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';

export interface TestDatabase {
  database: Database;
  /** Connection string of this test's own database (real Postgres only). */
  url: string | null;
  drop(): Promise<void>;
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty Postgres database (no schema) for tests that migrate it themselves. */
export async function createEmptyPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | null> {
  const { postgresUrl, databasePrefix } = inject('services');
  if (!postgresUrl) return null;
  const name = `${databasePrefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(postgresUrl, `CREATE DATABASE ${name}`);
  return { url: withDatabase(postgresUrl, name), drop: () => adminQuery(postgresUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

/**
 * A fresh, migrated database of the test's own: a copy of the migrated template on the machine's
 * Postgres, or a new in-memory PGlite when no Postgres answers.
 */
export async function createTestDatabase(
  opts: { poolSize?: number; backend?: Backend } = {},
): Promise<TestDatabase> {
  const { postgresUrl, templateDatabase, databasePrefix } = inject('services');
  const backend = opts.backend ?? (postgresUrl ? 'postgres' : 'pglite');
  if (backend === 'postgres') {
    if (!postgresUrl || !templateDatabase) throw new Error('the postgres backend was asked for but no Postgres answers');
    const name = `${databasePrefix}_${randomBytes(6).toString('hex')}`;
    await adminQuery(postgresUrl, `CREATE DATABASE ${name} TEMPLATE ${templateDatabase}`);
    const url = withDatabase(postgresUrl, name);
    const database = connectPostgres(url, { poolSize: opts.poolSize ?? 5 });
    return {
      database,
      url,
      async drop() {
        await database.close();
        await adminQuery(postgresUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }
  const template = await migratedPglite();
  const database = fromPglite((await template.clone()) as PGlite);
  return { database, url: null, drop: () => database.close() };
}

export type Backend = 'postgres' | 'pglite';

/** The backend this run's database tests use by default, for test names. */
export function backendName(): Backend {
  return inject('services').postgresUrl ? 'postgres' : 'pglite';
}

/**
 * Backends a suite that must hold on both should run on: the machine's Postgres when it answers,
 * and always the embedded PGlite (use with describe.each).
 */
export function availableBackends(): Backend[] {
  return inject('services').postgresUrl ? ['postgres', 'pglite'] : ['pglite'];
}

let pgliteTemplate: Promise<PGlite> | undefined;

/** One migrated PGlite per test worker; each test gets a clone of it (much faster than migrating). */
function migratedPglite(): Promise<PGlite> {
  pgliteTemplate ??= (async () => {
    const database = await openPglite();
    await migrateDatabase(database);
    return database.pglite!;
  })();
  return pgliteTemplate;
}
