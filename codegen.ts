import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the operations clients and the API tests use. `npm run codegen` regenerates
 * tests/api/generated/graphql.ts from schema.graphql (itself emitted from the resolvers by
 * `npm run schema:emit`); tests/api/schema-drift.test.ts fails when either is stale.
 */
export const codegenConfig: CodegenConfig = {
  overwrite: true,
  schema: 'schema.graphql',
  documents: ['tests/api/operations/*.graphql'],
  generates: {
    'tests/api/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { Date: 'string', DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        skipTypename: true,
      },
    },
  },
  hooks: {},
  silent: true,
};

export default codegenConfig;
