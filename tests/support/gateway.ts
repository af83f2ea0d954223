/**
 * A real gateway for API tests: the composition root (src/app.ts) over a test database of its own,
 * listening on a free port, with the in-process cache and no scheduler. tokenFor() signs tokens the
 * gateway accepts.
 */
import { pino } from 'pino';
import { startApp, type App } from '../../src/app.js';
import { secretKey, signToken, type Role } from '../../src/auth/jwt.js';
import { loadConfig } from '../../src/config/config.js';
import type { Database } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export const TEST_JWT_SECRET = 'api-test-secret-0123456789-abcdefghijklmnop';

export interface TestGatewayOptions {
  /** Further environment variables for loadConfig (e.g. CORS_ORIGINS). */
  env?: Record<string, string>;
  /** NODE_ENV=production: masked errors, no stack traces, no demo token. */
  production?: boolean;
  /** Seed the demo data and write its snapshots (as `npm start` does on an empty database). */
  demo?: boolean;
  /** Clock of real-time and dashboard windows. */
  now?: () => Date;
  maxBodyBytes?: number;
  /** Reuse a database (it is then not dropped by close()). */
  database?: TestDatabase;
  logLevel?: string;
}

export interface TestGateway {
  url: string;
  /** POST/GET endpoint. */
  graphqlUrl: string;
  app: App;
  database: Database;
  testDatabase: TestDatabase;
  tokenFor(teamId: string, role?: Role, opts?: { expiresInSeconds?: number }): Promise<string>;
  close(): Promise<void>;
}

export async function startTestGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const testDatabase = opts.database ?? (await createTestDatabase());
  const config = loadConfig({
    NODE_ENV: opts.production ? 'production' : 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    HOST: '127.0.0.1',
    PORT: '0',
    SCHEDULER_ENABLED: 'false',
    SEED_DEMO: opts.demo ? 'true' : 'false',
    LOG_LEVEL: opts.logLevel ?? process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(opts.maxBodyBytes ? { MAX_BODY_BYTES: String(opts.maxBodyBytes) } : {}),
    ...opts.env,
  });
  const logger = pino({ level: config.logLevel });
  const app = await startApp(config, logger, { database: testDatabase.database, now: opts.now });
  const key = secretKey(TEST_JWT_SECRET);
  return {
    url: app.url,
    graphqlUrl: `${app.url}/graphql`,
    app,
    database: testDatabase.database,
    testDatabase,
    tokenFor: (teamId, role = 'admin', o = {}) => signToken({ teamId, role }, key, o),
    async close() {
      await app.close();
      if (!opts.database) await testDatabase.drop();
    },
  };
}
