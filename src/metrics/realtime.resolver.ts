import { Arg, Authorized, Ctx, Directive, ID, Query, Resolver } from 'type-graphql';
import { MAX_AGE, maxAge } from '../graphql/cache-hints.js';
import type { GraphQLContext } from '../graphql/context.js';
import { notFound } from '../graphql/errors.js';
import { AnalyticsMetrics } from './metrics.type.js';
import type { AnalyticsMetrics as Metrics } from './metrics.types.js';

@Resolver()
export class RealtimeResolver {
  @Authorized()
  @Directive(maxAge(MAX_AGE.realtime))
  @Query(() => AnalyticsMetrics, {
    description: "Today's metrics so far (local midnight to now) of the team, or of one of its WhatsApp accounts. Fresh for 30 s.",
  })
  async realTimeMetrics(
    @Arg('whatsappAccountId', () => ID, { nullable: true }) whatsappAccountId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Metrics> {
    if (whatsappAccountId == null) return ctx.services.realtime.forTeam(await ctx.loaders.requireTeam());
    const account = await ctx.loaders.account.load(whatsappAccountId);
    if (!account) throw notFound('WhatsApp account', whatsappAccountId);
    return ctx.loaders.realtime.load(account.id);
  }
}
