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
  'SERVICE_UNAVAILABLE',
]);

/** Postgres statement timeout (57014, possibly wrapped by drizzle) or no pool connection in time. */
function isTimeout(error: Error): boolean {
  const cause = (error as { cause?: unknown }).cause;
  const code = (error as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
  const message = `${error.message} ${cause instanceof Error ? cause.message : ''}`;
  return code === '57014' || /timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(message);
}

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
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) return { code, message: original.message };
    // Apollo's own request errors (persisted-query hash mismatch, bad version…) carry a 4xx and no code.
    const status = (original.extensions?.http as { status?: number } | undefined)?.status;
    if (code === undefined && typeof status === 'number' && status >= 400 && status < 500) return { code: 'BAD_REQUEST', message: original.message };
    if (original.originalError instanceof Error && isTimeout(original.originalError)) return timeout;
    return null;
  }
  if (original instanceof Error) {
    if (original.name === 'NotFoundError') return { code: 'NOT_FOUND', message: original.message };
    if (['InvalidDateError', 'BadInputError', 'UnknownJobError'].includes(original.name)) return { code: 'BAD_USER_INPUT', message: original.message };
    if (original.name === 'JobBusyError') return { code: 'CONFLICT', message: original.message };
    if (isTimeout(original)) return timeout;
  }
  return null;
}

const timeout = {
  code: 'SERVICE_UNAVAILABLE',
  message: 'The database did not answer in time; the request was stopped. Retry shortly.',
};

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
