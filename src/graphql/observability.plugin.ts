import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { GraphQLContext } from './context.js';
import { isClientError } from './errors.js';

/**
 * A bounded label for an operation: its type and root fields (`query:dashboard`), never the
 * client-chosen operation name, which would let clients create unbounded metric series.
 */
export function operationLabel(op: OperationDefinitionNode | undefined | null): string {
  if (!op) return 'invalid';
  const roots = op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : ['…']));
  return `${op.operation}:${[...new Set(roots)].sort().join(',')}`.slice(0, 120);
}

/** Logs every operation (INFO, also for rejected requests; ERROR with stack for failures) and records its duration. */
export function observabilityPlugin(logger: Logger, metrics: Metrics | undefined): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ request }) {
      const started = performance.now();
      let label = 'invalid';
      return {
        async didResolveOperation({ operation }) {
          label = operationLabel(operation);
        },
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            if (isClientError(error)) continue;
            const original = error.originalError ?? error;
            logger.error({ err: original, path: error.path, operation: label, teamId: contextValue.principal?.teamId }, 'graphql operation failed');
          }
        },
        async willSendResponse({ response, errors, contextValue }) {
          const seconds = (performance.now() - started) / 1000;
          const failed = errors?.some((e) => !isClientError(e)) ?? false;
          const outcome = failed ? 'error' : errors?.length ? 'client_error' : 'ok';
          metrics?.graphqlSeconds.observe({ operation: label, outcome }, seconds);
          const fields = {
            operation: label,
            operationName: request.operationName,
            teamId: contextValue.principal?.teamId,
            outcome,
            ms: Math.round(seconds * 1000),
            status: response.http.status ?? 200,
            ...(errors?.length ? { codes: [...new Set(errors.map((e) => e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'))] } : {}),
          };
          if (outcome === 'ok') logger.info(fields, 'graphql operation');
          else if (outcome === 'client_error') logger.info(fields, 'graphql operation rejected');
          else logger.error(fields, 'graphql operation failed');
        },
      };
    },
  };
}
