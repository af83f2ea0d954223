import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLContext } from './context.js';

/**
 * Query limits (graphql-armor). The deepest legitimate query,
 * team → whatsappAccounts → snapshots → metrics → messages → total, is 6 levels; a full dashboard
 * with its series costs about 1 000. Introspection is exempt from depth and cost, so the explorer works.
 */
export const ARMOR_LIMITS = {
  maxDepth: 8,
  maxAliases: 15,
  maxTokens: 2_000,
  maxCost: 5_000,
  maxDirectives: 20,
} as const;

type GraphQLArmorConfig = NonNullable<ConstructorParameters<typeof ApolloArmor>[0]>;

export function armorConfig(production: boolean): GraphQLArmorConfig {
  return {
    maxDepth: { n: ARMOR_LIMITS.maxDepth, ignoreIntrospection: true, exposeLimits: true },
    maxAliases: { n: ARMOR_LIMITS.maxAliases, exposeLimits: true },
    maxTokens: { n: ARMOR_LIMITS.maxTokens, exposeLimits: true },
    costLimit: { maxCost: ARMOR_LIMITS.maxCost, ignoreIntrospection: true, exposeLimits: true },
    maxDirectives: { n: ARMOR_LIMITS.maxDirectives, exposeLimits: true },
    // "Did you mean …" helps people in development and tells attackers the schema in production.
    blockFieldSuggestion: { enabled: production },
  };
}

/** Apollo plugins and validation rules enforcing the limits. */
export function armor(production: boolean) {
  const { plugins, validationRules } = new ApolloArmor(armorConfig(production)).protect();
  // graphql-armor's typings resolve @apollo/server's CommonJS declarations; the plugins are the same at run time.
  return { plugins: plugins as unknown as ApolloServerPlugin<GraphQLContext>[], validationRules };
}
