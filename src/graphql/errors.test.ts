import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../snapshots/errors.js';
import { badInput, createFormatError, INTERNAL_MESSAGE, isClientError } from './errors.js';
import { operationLabel } from './observability.plugin.js';
import { parse, type OperationDefinitionNode } from 'graphql';

/** What Apollo hands formatError for an error thrown in a resolver. */
const fromResolver = (original: Error) => new GraphQLError(original.message, { originalError: original, path: ['x'] });
const formatted = (e: GraphQLError) => ({ message: e.message, path: e.path, extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at secret.ts:1'] } });

describe('error formatting and masking', () => {
  it('known errors keep message and get their code; service errors are mapped by name', () => {
    const format = createFormatError(false);
    const bad = fromResolver(badInput('days must be an integer from 1 to 365'));
    expect(format(formatted(bad), bad)).toEqual({ message: 'days must be an integer from 1 to 365', path: ['x'], extensions: { code: 'BAD_USER_INPUT' } });
    const missing = fromResolver(new NotFoundError('WhatsApp account'));
    expect(format(formatted(missing), missing).extensions).toEqual({ code: 'NOT_FOUND' });
    expect(isClientError(missing)).toBe(true);
  });

  it('unknown errors are masked in production and never carry a stack trace', () => {
    const leak = fromResolver(new Error('relation "x" does not exist: SELECT password FROM users'));
    expect(format(createFormatError(false))(leak)).toEqual({ message: INTERNAL_MESSAGE, path: ['x'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(format(createFormatError(true))(leak).message).toMatch(/SELECT/); // development shows it
    expect(isClientError(leak)).toBe(false);
  });

  it('operation labels are bounded: type and root fields, not client-chosen names', () => {
    const op = parse('query WhateverTheClientLikes { b: dashboard { days } team { id } dashboard { days } }').definitions[0] as OperationDefinitionNode;
    expect(operationLabel(op)).toBe('query:dashboard,team');
    expect(operationLabel(undefined)).toBe('invalid');
  });
});

function format(fn: ReturnType<typeof createFormatError>) {
  return (e: GraphQLError) => fn(formatted(e), e);
}
