import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { connectPostgres } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { type TestServices } from './services.js';

const required = process.env.REQUIRE_SERVICES === '1' || process.env.REQUIRE_SERVICES === 'true';
const pgUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Databases of earlier runs whose process is gone (killed before its teardown) are dropped. */
async function dropStaleDatabases(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname ~ '^analytics_test_[0-9]+_'`,
  );
  for (const { datname } of rows) {
    const pid = Number(datname.split('_')[2]);
    if (!alive(pid)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => {});
  }
}

export default async function setup(project: TestProject) {
  // The reliability tier runs the gateway as `npm start` does: the compiled build (dist/main.js).
  execFileSync('npm', ['run', '-s', 'build'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'inherit' });
  const [hasPg, hasRedis] = await Promise.all([postgresAnswers(pgUrl), redisAnswers(redisUrl)]);
  if (required && (!hasPg || !hasRedis)) {
    throw new Error(
      `REQUIRE_SERVICES is set but ${[!hasPg && `Postgres (${pgUrl})`, !hasRedis && `Redis (${redisUrl})`]
        .filter(Boolean)
        .join(' and ')} did not answer`,
    );
  }
  // Several runs may share the machine's Postgres at once: each uses its own prefix and template.
  const databasePrefix = `analytics_test_${process.pid}_${Date.now().toString(36)}`;
  const TEMPLATE_DB = `${databasePrefix}_template`;
  const services: TestServices = {
    postgresUrl: hasPg ? pgUrl : null,
    redisUrl: hasRedis ? redisUrl : null,
    templateDatabase: null,
    databasePrefix,
  };

  if (hasPg) {
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await dropStaleDatabases(admin);
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
    await admin.end();
    const template = connectPostgres(withDatabase(pgUrl, TEMPLATE_DB), { poolSize: 1 });
    await migrateDatabase(template);
    await template.close();
    services.templateDatabase = TEMPLATE_DB;
  }

  const lines = [
    `Postgres: ${hasPg ? `real server at ${pgUrl}` : 'NOT AVAILABLE — database tests run on embedded PGlite instead'}`,
    `Redis:    ${hasRedis ? `real server at ${redisUrl}` : 'NOT AVAILABLE — tests that need Redis itself did NOT run (they show as skipped); cache tests run on the in-process cache'}`,
  ];
  console.log(`\n[test services]\n  ${lines.join('\n  ')}\n`);
  project.provide('services', services);

  return async () => {
    if (!hasPg) return;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`,
      [databasePrefix],
    );
    for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`).catch(() => {});
    await admin.end();
  };
}
