import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** Error codes a client may see with their original message (spec §7). */
export const PUBLIC_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PAYLOAD_TOO_LARGE',
  'CONFLICT',
]);

export const unauthenticated = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

export const forbidden = (message = 'This operation needs the admin role') =>
  new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });

/** The same answer for "does not exist" and "belongs to another team" (spec §7). */
export const notFound = (what: string, id: string) =>
  new GraphQLError(`${what} "${id}" was not found`, { extensions: { code: 'NOT_FOUND' } });

export const badInput = (message: string, argument?: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(argument ? { argument } : {}) } });

/** Maps errors thrown by services (by name, so services need not import GraphQL) to public codes. */
function classify(original: unknown): { code: string; message: string } | null {
  if (original instanceof GraphQLError) {
    const code = original.extensions?.code;
    return typeof code === 'string' && PUBLIC_CODES.has(code) ? { code, message: original.message } : null;
  }
  if (original instanceof Error) {
    if (original.name === 'NotFoundError') return { code: 'NOT_FOUND', message: original.message };
    if (['InvalidDateError', 'BadInputError', 'UnknownJobError'].includes(original.name)) return { code: 'BAD_USER_INPUT', message: original.message };
    if (original.name === 'JobBusyError') return { code: 'CONFLICT', message: original.message };
  }
  return null;
}

export const INTERNAL_MESSAGE = 'Internal server error';

/** true when an error is the caller's fault (a 4xx kind), false for a failure of ours. */
export function isClientError(error: unknown): boolean {
  return classify(unwrapResolverError(error)) !== null;
}

/**
 * Apollo `formatError`: known errors keep their message with a public code; anything else is an
 * INTERNAL_SERVER_ERROR whose message (it may carry SQL or hostnames) is masked unless `exposeInternal`.
 * Stack traces never leave in production (Apollo's includeStacktraceInErrorResponses is off there).
 */
export function createFormatError(exposeInternal: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const known = classify(original);
    const { stacktrace, ...extensions } = (formatted.extensions ?? {}) as Record<string, unknown>;
    delete extensions.http;
    if (known) {
      return { ...formatted, message: known.message, extensions: { ...extensions, code: known.code } };
    }
    if (exposeInternal) return { ...formatted, extensions: { ...extensions, code: 'INTERNAL_SERVER_ERROR', ...(stacktrace ? { stacktrace } : {}) } };
    return { message: INTERNAL_MESSAGE, locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
