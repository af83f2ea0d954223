import 'reflect-metadata';
import { isObjectType, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema as buildTypeGraphQLSchema, type AuthChecker } from 'type-graphql';
// Import order = field order of Query and Mutation (the order of spec §6).
import { TeamResolver, WhatsAppAccountResolver } from '../teams/team.resolver.js';
import { SnapshotResolver } from '../snapshots/snapshot.resolver.js';
import { RealtimeResolver } from '../metrics/realtime.resolver.js';
import { DashboardResolver } from '../dashboard/dashboard.resolver.js';
import { cacheControlDirective } from './cache-hints.js';
import type { GraphQLContext } from './context.js';
import { forbidden, unauthenticated } from './errors.js';
import { OperationsResolver } from './operations.resolver.js';

/** @Authorized() needs a verified token; @Authorized('admin') needs the admin role (spec §7). */
const authChecker: AuthChecker<GraphQLContext> = ({ context }, roles) => {
  if (!context.principal) throw unauthenticated(context.authError ?? 'Authentication required');
  if (roles.length && !roles.includes(context.principal.role)) throw forbidden(`This operation needs the ${roles.join(' or ')} role`);
  return true;
};

export const RESOLVERS = [
  TeamResolver,
  WhatsAppAccountResolver,
  SnapshotResolver,
  RealtimeResolver,
  DashboardResolver,
  OperationsResolver,
] as const;

let built: Promise<GraphQLSchema> | undefined;

/** The executable schema (built once per process: type-graphql's metadata is global anyway). */
export function buildSchema(): Promise<GraphQLSchema> {
  built ??= buildTypeGraphQLSchema({
    resolvers: [...RESOLVERS],
    authChecker,
    directives: [cacheControlDirective],
    validate: false,
    emitSchemaFile: false,
  }).then(argumentsInDeclarationOrder);
  return built;
}

/**
 * type-graphql collects parameter decorators last-first, so arguments come out reversed. Execution
 * does not care; people reading the SDL and the explorer's docs do (dashboard(days, whatsappAccountId)).
 */
function argumentsInDeclarationOrder(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) (field.args as unknown[]).reverse();
  }
  return schema;
}

/** The SDL committed as schema.graphql (types in declaration order, which follows the spec). */
export async function printSchemaSDL(): Promise<string> {
  return `${printSchema(await buildSchema())}\n`;
}
