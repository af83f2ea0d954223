import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import { createAuthenticator, secretKey, type AuthResult } from '../auth/jwt.js';
import type { AnalyticsCache } from '../cache/analytics-cache.js';
import type { Config } from '../config/config.js';
import type { Database } from '../db/client.js';
import type { ApiServices, GraphQLContext, JobsPort, SnapshotWriter } from '../graphql/context.js';
import { createLoaders } from '../graphql/loaders.js';
import { buildSchema } from '../graphql/schema.js';
import { createApiServices } from '../graphql/services.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createApollo } from './apollo.js';
import { createCors } from './cors.js';
import { HttpError, sendHttpError, sendJson } from './body.js';
import type { ExplorerPage } from './explorer.js';
import { createGraphQLHandler } from './graphql-handler.js';
import { health, prometheus, ready, type StartupState } from './ops.js';

export const GRAPHQL_PATH = '/graphql';

/** Everything the gateway's HTTP side needs; the composition root (src/main.ts) builds it. */
export interface GatewayDeps {
  config: Pick<Config, 'production' | 'env' | 'jwtSecret' | 'maxBodyBytes' | 'host' | 'port'> & Partial<Pick<Config, 'corsOrigins'>>;
  logger: Logger;
  database: Database;
  cache: AnalyticsCache;
  metrics: Metrics;
  /** The job runner (triggerJob, analyticsHealth.recentJobRuns). */
  jobs: JobsPort;
  /** Writes snapshots (generateSnapshot); the SnapshotService. */
  snapshotWriter: SnapshotWriter;
  /** Development only: pre-filled in the explorer's Headers editor. Never pass one in production. */
  demoToken?: string;
  /** Replaces the services built from database and cache (tests). */
  services?: ApiServices;
  /** Clock of real-time and dashboard windows (tests). */
  now?: () => Date;
  /** While set, GET /ready answers 503 with the reason (start-up still waiting for Postgres). */
  startup?: StartupState;
}

export interface Gateway {
  server: Server;
  apollo: ApolloServer<GraphQLContext>;
  schema: GraphQLSchema;
  services: ApiServices;
  /** Starts listening (default: config.port and config.host) and returns the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops taking requests, lets in-flight ones finish, stops Apollo. Leaves database and cache open. */
  close(): Promise<void>;
}

/** Builds the schema, Apollo and the node:http server with its routes: /graphql, /health, /ready, /metrics. */
export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const schema = await buildSchema();
  const services = deps.services ?? createApiServices(deps);
  const authenticateHeader = createAuthenticator(secretKey(deps.config.jwtSecret));
  // A well-signed token for a team that does not exist is no identity (spec §7: UNAUTHENTICATED).
  const teamsSeen = new LRUCache<string, true>({ max: 10_000, ttl: 60_000 });
  // Synchronous for a team seen in the last minute: a cached poll waits for nothing but Redis.
  const knownTeam = (auth: AuthResult): AuthResult | Promise<AuthResult> => {
    const teamId = auth.principal?.teamId;
    if (!teamId || teamsSeen.has(teamId)) return auth;
    return services.teams.getTeam(teamId).then((team) => {
      if (!team) return { principal: null, error: 'The token is invalid: its team does not exist' };
      teamsSeen.set(teamId, true);
      return auth;
    });
  };
  const server = createServer();
  const apollo = createApollo({ schema, server, production: deps.config.production, env: deps.config.env, logger: deps.logger, metrics: deps.metrics });
  await apollo.start();

  let explorer: Promise<ExplorerPage> | undefined;
  const graphql = createGraphQLHandler({
    apollo,
    maxBodyBytes: deps.config.maxBodyBytes,
    // Rendered on first use: the GraphiQL bundle is large (tens of MB of heap), and most gateways never serve it.
    explorer: () =>
      (explorer ??= import('./explorer-page.js')
        .then((m) => m.renderExplorer({ endpoint: GRAPHQL_PATH, demoToken: deps.config.production ? undefined : deps.demoToken }))
        .catch((err: unknown) => {
          explorer = undefined;
          throw err;
        })),
    responseCache: deps.cache,
    authenticate: (req) => knownTeam(authenticateHeader(req.headers.authorization)),
    async contextFor(_req, { principal, error }): Promise<GraphQLContext> {
      return { principal, authError: error, services, loaders: createLoaders(services, principal?.teamId ?? null), logger: deps.logger };
    },
  });

  const cors = deps.config.corsOrigins?.length ? createCors(deps.config.corsOrigins) : null;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (cors?.(req, res)) return; // a preflight, answered
    // The bare path (a POST poll) needs no URL parsing.
    if (req.url === GRAPHQL_PATH) return graphql(req, res, null);
    const url = new URL(req.url ?? '/', 'http://gateway');
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (url.pathname === GRAPHQL_PATH) return graphql(req, res, url);
    if (url.pathname === '/health' && read) return health(res);
    if (url.pathname === '/ready' && read) return ready(res, deps);
    if (url.pathname === '/metrics' && read) return prometheus(res, deps.metrics);
    if (url.pathname === '/' && read) {
      res.writeHead(302, { location: GRAPHQL_PATH, 'content-length': 0 });
      return void res.end();
    }
    throw new HttpError(404, 'NOT_FOUND', `No route for ${req.method} ${url.pathname}: the API is at ${GRAPHQL_PATH}`);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpError) return sendHttpError(res, err);
      deps.logger.error({ err, method: req.method, url: req.url }, 'http request failed');
      sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });

  return {
    server,
    apollo,
    schema,
    services,
    listen(port = deps.config.port, host = deps.config.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
    },
    async close() {
      await apollo.stop(); // the drain plugin closes the server and waits for in-flight requests
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

