import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLContext } from './context.js';

/**
 * Query limits (graphql-armor). The deepest legitimate query,
 * team → whatsappAccounts → snapshots → metrics → messages → total, is 6 levels. Costs (armor's
 * model): a dashboard with every field ≈ 510, team → accounts → realTimeMetrics + snapshots ≈ 260,
 * so 3 000 allows a rich page but not a dozen aliased year-long dashboards in one request. Introspection is exempt from depth and cost, so the explorer works.
 */
export const ARMOR_LIMITS = {
  maxDepth: 8,
  maxAliases: 15,
  maxTokens: 2_000,
  maxCost: 3_000,
  maxDirectives: 20,
} as const;

type GraphQLArmorConfig = NonNullable<ConstructorParameters<typeof ApolloArmor>[0]>;

export function armorConfig(production: boolean): GraphQLArmorConfig {
  return {
    maxDepth: { n: ARMOR_LIMITS.maxDepth, ignoreIntrospection: true, flattenFragments: true, exposeLimits: true },
    maxAliases: { n: ARMOR_LIMITS.maxAliases, exposeLimits: true },
    // Not armor's token plugin: it re-parses in a plugin hook, so any syntax error (and the limit itself)
    // escapes Apollo's error handling as a 500. graphql-js enforces the limit while parsing instead
    // (Apollo's parseOptions.maxTokens, below): a 400 GRAPHQL_PARSE_FAILED.
    maxTokens: { enabled: false },
    costLimit: { maxCost: ARMOR_LIMITS.maxCost, ignoreIntrospection: true, flattenFragments: true, exposeLimits: true },
    maxDirectives: { n: ARMOR_LIMITS.maxDirectives, exposeLimits: true },
    // "Did you mean …" helps people in development and tells attackers the schema in production.
    blockFieldSuggestion: { enabled: production },
  };
}

/** Apollo plugins and validation rules enforcing the limits. */
export function armor(production: boolean) {
  const { plugins, validationRules } = new ApolloArmor(armorConfig(production)).protect();
  // graphql-armor's typings resolve @apollo/server's CommonJS declarations; the plugins are the same at run time.
  return {
    plugins: plugins as unknown as ApolloServerPlugin<GraphQLContext>[],
    validationRules,
    parseOptions: { maxTokens: ARMOR_LIMITS.maxTokens },
  };
}
