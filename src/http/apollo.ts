import { GraphQLError, type ValidationRule } from 'graphql';
import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import { armor } from '../graphql/armor.js';
import type { GraphQLContext } from '../graphql/context.js';
import { createFormatError } from '../graphql/errors.js';
import { observabilityPlugin } from '../graphql/observability.plugin.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';

export interface ApolloOptions {
  schema: GraphQLSchema;
  server: Server;
  production: boolean;
  env: string;
  logger: Logger;
  metrics?: Metrics;
}

/**
 * Apollo Server over the type-graphql schema.
 * - Cache-Control from @cacheControl hints: realTimeMetrics `private, max-age=30`, dashboard
 *   `private, max-age=300`; any error or mutation → `no-store`.
 * - CSRF prevention: a GET (or a POST that is not JSON) must carry a header a browser cannot send
 *   without a CORS preflight: `Authorization`, `apollo-require-preflight: true` or
 *   `x-apollo-operation-name`. Polling clients send `Authorization` anyway.
 * - graphql-armor limits; introspection stays on for the explorer; unknown errors masked in production.
 * - The landing page is ours (src/http/explorer.ts): Apollo's loads from a CDN.
 */
/** The schema has no subscriptions: say so in validation rather than fail at execution. */
const noSubscriptions: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation === 'subscription') {
      context.reportError(new GraphQLError('Subscriptions are not supported: poll with a query (see Cache-Control)', { nodes: [node] }));
    }
  },
});

export function createApollo(opts: ApolloOptions): ApolloServer<GraphQLContext> {
  const limits = armor(opts.production);
  return new ApolloServer<GraphQLContext>({
    schema: opts.schema,
    introspection: true,
    csrfPrevention: { requestHeaders: ['authorization', 'apollo-require-preflight', 'x-apollo-operation-name'] },
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: !opts.production && opts.env === 'development',
    formatError: createFormatError(!opts.production),
    validationRules: [...limits.validationRules, noSubscriptions],
    parseOptions: limits.parseOptions,
    logger: opts.logger,
    plugins: [
      ...limits.plugins,
      ApolloServerPluginCacheControl({ defaultMaxAge: 0, calculateHttpHeaders: true }),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer: opts.server, stopGracePeriodMillis: 5_000 }),
      observabilityPlugin(opts.logger, opts.metrics),
    ],
  });
}
