/**
 * A child-process harness (`node --import tsx tests/support/reliability-burst.ts`) that starts the
 * gateway's composition root (src/app.ts) over DATABASE_URL with a Database whose raw statements are
 * counted — the metrics engine issues exactly one raw statement per computation — and fires bursts of
 * identical concurrent requests at a cold cache. Prints one JSON line per burst:
 *   {"name", "requests", "computations", "failed", "ms"}
 * Configured by environment: DATABASE_URL, REDIS_URL (optional), BURSTS (JSON array of
 * {name, token, query, variables, size}). A burst's key is cold because every burst uses its own
 * query scope, and the cache starts empty (in-process cache, or a fresh Redis namespace).
 *
 * Why a child process: vitest loads `graphql` twice (ESM and CJS copies) for the type-graphql schema,
 * while tsx, like `npm start`, loads one.
 */
import { pino } from 'pino';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { connectPostgres, type Database } from '../../src/db/client.js';
import { RELIABILITY_JWT_SECRET } from './reliability-gateway.js';

interface Burst {
  name: string;
  token: string;
  query: string;
  variables?: Record<string, unknown>;
  size: number;
}

const bursts = JSON.parse(process.env.BURSTS ?? '[]') as Burst[];
const base = connectPostgres(process.env.DATABASE_URL!, { poolSize: 10 });
let computations = 0;
const database: Database = {
  ...base,
  rows(query) {
    computations++;
    return base.rows(query);
  },
};
const config = loadConfig({
  NODE_ENV: 'production',
  JWT_SECRET: RELIABILITY_JWT_SECRET,
  HOST: '127.0.0.1',
  PORT: '0',
  SCHEDULER_ENABLED: 'false',
  SEED_DEMO: 'false',
  LOG_LEVEL: 'silent',
  REDIS_URL: process.env.REDIS_URL,
});
const app = await startApp(config, pino({ level: 'silent' }), { database });
try {
  for (const b of bursts) {
    computations = 0;
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: b.size }, async () => {
        const r = await fetch(`${app.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${b.token}` },
          body: JSON.stringify({ query: b.query, variables: b.variables ?? {} }),
        });
        const body = (await r.json()) as { errors?: unknown[] };
        return r.status === 200 && !body.errors;
      }),
    );
    process.stdout.write(
      `${JSON.stringify({ name: b.name, requests: b.size, computations, failed: answers.filter((ok) => !ok).length, ms: Date.now() - started })}\n`,
    );
  }
} finally {
  await app.close();
  await base.close();
}
