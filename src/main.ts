/** `npm start`: read the configuration once, start the gateway, stop it gracefully on SIGTERM/SIGINT. */
import { startApp } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './logging/logger.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

const logger = createLogger(config.logLevel);
const app = await startApp(config, logger);

const lines = [
  '',
  `  Analytics gateway ready on ${config.databaseUrl ? 'Postgres' : `embedded Postgres (PGlite, ${config.dataDir})`}` +
    ` with ${config.redisUrl ? 'Redis' : 'the in-process cache'}`,
  `  Explorer:  ${app.url}/graphql`,
  `  Health:    ${app.url}/health   Ready: ${app.url}/ready   Metrics: ${app.url}/metrics`,
];
if (app.demoToken) {
  lines.push(
    '',
    '  Demo token (admin of the first demo team; already filled in the explorer):',
    `  Authorization: Bearer ${app.demoToken}`,
  );
}
if (config.devSecret) lines.push('', '  JWT_SECRET is not set: using the development key. Set it for anything but a demo.');
process.stdout.write(`${lines.join('\n')}\n\n`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
