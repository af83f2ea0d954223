import 'reflect-metadata'; // type-graphql decorators need it loaded before any type class is defined
import { DirectiveLocation, GraphQLBoolean, GraphQLDirective, GraphQLEnumType, GraphQLInt } from 'graphql';

/**
 * Apollo's @cacheControl directive (read by ApolloServerPluginCacheControl from the schema's AST nodes).
 * Root fields carry maxAge; every object type inherits its parent's maxAge, so a response's
 * Cache-Control is decided by the root fields it asks for (and an error makes it no-store).
 */
export const CacheControlScope = new GraphQLEnumType({
  name: 'CacheControlScope',
  values: { PUBLIC: {}, PRIVATE: {} },
});

export const cacheControlDirective = new GraphQLDirective({
  name: 'cacheControl',
  locations: [DirectiveLocation.FIELD_DEFINITION, DirectiveLocation.OBJECT, DirectiveLocation.INTERFACE, DirectiveLocation.UNION],
  args: {
    maxAge: { type: GraphQLInt },
    scope: { type: CacheControlScope },
    inheritMaxAge: { type: GraphQLBoolean },
  },
});

/** Seconds a polling client may reuse an answer (spec §8: the cache TTLs of the same data). */
export const MAX_AGE = { realtime: 30, dashboard: 300, snapshots: 300, team: 300, health: 30 } as const;

/** For object types: take the maxAge of the field that returned them. */
export const INHERIT = '@cacheControl(inheritMaxAge: true)';
/** For root and nested fields that decide freshness: per-team data, so PRIVATE. */
export const maxAge = (seconds: number) => `@cacheControl(maxAge: ${seconds}, scope: PRIVATE)`;
