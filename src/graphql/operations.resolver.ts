import { Arg, Authorized, Ctx, Directive, Field, FieldResolver, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { JobRun } from '../jobs/job-run.type.js';
import { INHERIT, MAX_AGE, maxAge } from './cache-hints.js';
import { principalOf, type GraphQLContext, type JobRunRow } from './context.js';
import { DateTimeScalar } from './scalars.js';
import { checkJobName, checkLimit } from './validate.js';

/** A team counts as healthy when one of its snapshots was written in the last 24 hours. */
export const HEALTHY_WITHIN_MS = 24 * 3600 * 1000;

@ObjectType({ description: "Freshness of the caller's team's snapshots and the latest job runs." })
@Directive(INHERIT)
export class AnalyticsHealth {
  @Field(() => Boolean, { description: "The caller's team has a snapshot updated in the last 24 h." }) healthy!: boolean;
  @Field(() => DateTimeScalar, { nullable: true }) latestSnapshotAt!: Date | string | null;
}

/** analyticsHealth, and the operational mutations (admin only): cache invalidation and job triggers. */
@Resolver(() => AnalyticsHealth)
export class OperationsResolver {
  @Authorized()
  @Directive(maxAge(MAX_AGE.health))
  @Query(() => AnalyticsHealth)
  async analyticsHealth(@Ctx() ctx: GraphQLContext): Promise<AnalyticsHealth> {
    const latest = await ctx.services.snapshots.latestUpdatedAt(principalOf(ctx).teamId);
    const at = latest ? new Date(latest) : null;
    return { healthy: at !== null && Date.now() - at.getTime() <= HEALTHY_WITHIN_MS, latestSnapshotAt: at };
  }

  @FieldResolver(() => [JobRun], { description: 'Most recent job runs first.' })
  recentJobRuns(
    @Root() _health: AnalyticsHealth,
    @Arg('limit', () => Int, { defaultValue: 10 }) limit: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<JobRunRow[]> {
    return ctx.services.jobs.recentRuns(checkLimit(limit));
  }

  @Authorized('admin')
  @Mutation(() => Boolean, { description: "Clears every cached value of the caller's team (admin only)." })
  async invalidateAnalyticsCache(@Ctx() ctx: GraphQLContext): Promise<boolean> {
    await ctx.services.cache.invalidateTeam(principalOf(ctx).teamId);
    return true;
  }

  @Authorized('admin')
  @Mutation(() => JobRun, {
    description: 'Runs a job now: daily-analytics-snapshot, weekly-analytics-snapshot or monthly-analytics-snapshot (admin only).',
  })
  triggerJob(@Arg('name', () => String) name: string, @Ctx() ctx: GraphQLContext): Promise<JobRunRow> {
    checkJobName(name);
    return ctx.services.jobs.trigger(name);
  }
}
