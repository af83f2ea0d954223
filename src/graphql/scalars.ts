import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { DateTime } from 'luxon';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_HELP = 'a calendar date formatted YYYY-MM-DD (for example "2026-03-11")';

function parseDate(value: unknown): string {
  if (typeof value !== 'string' || !DATE_RE.test(value) || !DateTime.fromISO(value, { zone: 'UTC' }).isValid) {
    throw new GraphQLError(`Date must be ${DATE_HELP}, got ${JSON.stringify(value)}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return value;
}

/** `Date`: a calendar date, YYYY-MM-DD; kept as a string end to end (no time zone drift). */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD.',
  specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc3339#section-5.6',
  serialize: (value) => parseDate(value),
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError(`Date must be ${DATE_HELP}`, { extensions: { code: 'BAD_USER_INPUT' } });
    return parseDate(ast.value);
  },
});

function toInstant(value: unknown): string {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  if (typeof value === 'string') {
    const parsed = DateTime.fromISO(value, { setZone: true });
    if (parsed.isValid) return new Date(parsed.toMillis()).toISOString();
  }
  throw new GraphQLError(`DateTime must be an ISO-8601 instant (for example "2026-03-11T09:30:00.000Z"), got ${JSON.stringify(value)}`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

/**
 * `DateTime`: an ISO-8601 instant, always served in UTC with milliseconds. Accepts Date objects and
 * ISO strings (values that went through the JSON cache arrive as strings).
 */
export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  description: 'An ISO-8601 instant in UTC, e.g. 2026-03-11T09:30:00.000Z.',
  specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc3339#section-5.6',
  serialize: (value) => toInstant(value),
  parseValue: (value) => toInstant(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
    return toInstant(ast.value);
  },
});
