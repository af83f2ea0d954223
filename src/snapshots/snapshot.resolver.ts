import { Arg, Authorized, Ctx, Directive, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { MAX_AGE, maxAge } from '../graphql/cache-hints.js';
import { principalOf, type GraphQLContext } from '../graphql/context.js';
import { notFound } from '../graphql/errors.js';
import { DateScalar } from '../graphql/scalars.js';
import { checkFirst, checkRange } from '../graphql/validate.js';
import type { SnapshotType as SnapshotTypeName } from '../metrics/periods.js';
import { decodeCursor, type SnapshotPage, type SnapshotRow } from './snapshot.store.js';
import { badInput } from '../graphql/errors.js';
import { Snapshot, SnapshotConnection, SnapshotType } from './snapshot.type.js';

@Resolver(() => Snapshot)
export class SnapshotResolver {
  @Authorized()
  @Directive(maxAge(MAX_AGE.snapshots))
  @Query(() => SnapshotConnection, {
    description: 'Snapshots whose date is in from..to (inclusive), oldest first. Without whatsappAccountId: team-wide rows only.',
  })
  async snapshots(
    @Arg('type', () => SnapshotType) type: SnapshotTypeName,
    @Arg('from', () => DateScalar) from: string,
    @Arg('to', () => DateScalar) to: string,
    @Arg('whatsappAccountId', () => ID, { nullable: true }) whatsappAccountId: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<{ nodes: SnapshotRow[]; pageInfo: { hasNextPage: boolean; endCursor: string | null }; totalCount: number }> {
    const { teamId } = principalOf(ctx);
    checkRange(type, from, to);
    checkFirst(first);
    if (after && !decodeCursor(after)) throw badInput('after must be a cursor returned in pageInfo.endCursor', 'after');
    const accountId = whatsappAccountId ?? null;
    if (accountId !== null && !(await ctx.loaders.account.load(accountId))) throw notFound('WhatsApp account', accountId);
    const page: SnapshotPage = await ctx.services.snapshots.page(teamId, { type, from, to, whatsappAccountId: accountId, first, after: after ?? null });
    return { nodes: page.nodes, totalCount: page.totalCount, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
  }

  @Authorized()
  @Directive(maxAge(MAX_AGE.snapshots))
  @Query(() => Snapshot, { nullable: true, description: "A snapshot of the caller's team by id; null for any other id." })
  snapshot(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<SnapshotRow | null> {
    return ctx.services.snapshots.byId(principalOf(ctx).teamId, id.toLowerCase());
  }

  @Authorized('admin')
  @Mutation(() => Snapshot, { description: 'Computes and upserts the snapshot of the period containing date (admin only).' })
  generateSnapshot(
    @Arg('date', () => DateScalar) date: string,
    @Arg('type', () => SnapshotType) type: SnapshotTypeName,
    @Arg('whatsappAccountId', () => ID, { nullable: true }) whatsappAccountId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<SnapshotRow> {
    return ctx.services.snapshotWriter.generateSnapshot(principalOf(ctx).teamId, whatsappAccountId ?? null, date, type);
  }
}
