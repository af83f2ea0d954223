import { Arg, Authorized, Ctx, Directive, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { MAX_AGE, maxAge } from '../graphql/cache-hints.js';
import type { GraphQLContext } from '../graphql/context.js';
import { DateScalar } from '../graphql/scalars.js';
import { checkRange } from '../graphql/validate.js';
import { AnalyticsMetrics } from '../metrics/metrics.type.js';
import type { AnalyticsMetrics as Metrics } from '../metrics/metrics.types.js';
import type { SnapshotType as SnapshotTypeName } from '../metrics/periods.js';
import type { SnapshotRow } from '../snapshots/snapshot.store.js';
import { Snapshot, SnapshotType } from '../snapshots/snapshot.type.js';
import type { AccountRow, TeamRow } from './team.store.js';
import { Team, WhatsAppAccount } from './team.type.js';

@Resolver(() => Team)
export class TeamResolver {
  @Authorized()
  @Directive(maxAge(MAX_AGE.team))
  @Query(() => Team, { description: "The caller's team (the team comes only from the token)." })
  team(@Ctx() ctx: GraphQLContext): Promise<TeamRow> {
    return ctx.loaders.requireTeam();
  }

  @FieldResolver(() => [WhatsAppAccount])
  whatsappAccounts(@Root() team: TeamRow, @Ctx() ctx: GraphQLContext): Promise<AccountRow[]> {
    return ctx.loaders.accountsOfTeam.load(team.id);
  }
}

@Resolver(() => WhatsAppAccount)
export class WhatsAppAccountResolver {
  @Directive(maxAge(MAX_AGE.realtime))
  @FieldResolver(() => AnalyticsMetrics, { description: "Today's metrics of this account so far (local midnight to now)." })
  realTimeMetrics(@Root() account: AccountRow, @Ctx() ctx: GraphQLContext): Promise<Metrics> {
    return ctx.loaders.realtime.load(account.id);
  }

  @FieldResolver(() => [Snapshot], { description: "This account's snapshots whose date is in from..to (inclusive)." })
  snapshots(
    @Root() account: AccountRow,
    @Arg('type', () => SnapshotType) type: SnapshotTypeName,
    @Arg('from', () => DateScalar) from: string,
    @Arg('to', () => DateScalar) to: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<SnapshotRow[]> {
    checkRange(type, from, to);
    return ctx.loaders.accountSnapshots(type, from, to).load(account.id);
  }
}
