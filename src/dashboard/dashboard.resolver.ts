import { Arg, Authorized, Ctx, Directive, ID, Int, Query, Resolver } from 'type-graphql';
import { MAX_AGE, maxAge } from '../graphql/cache-hints.js';
import { principalOf, type GraphQLContext } from '../graphql/context.js';
import { notFound } from '../graphql/errors.js';
import { checkDays } from '../graphql/validate.js';
import type { DashboardData } from './dashboard.service.js';
import { Dashboard } from './dashboard.type.js';

@Resolver(() => Dashboard)
export class DashboardResolver {
  @Authorized()
  @Directive(maxAge(MAX_AGE.dashboard))
  @Query(() => Dashboard, { description: 'Current and previous windows of `days` (1–365) complete local days, growth and the daily series.' })
  async dashboard(
    @Arg('days', () => Int, { defaultValue: 30 }) days: number,
    @Arg('whatsappAccountId', () => ID, { nullable: true }) whatsappAccountId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<DashboardData> {
    const { teamId } = principalOf(ctx);
    checkDays(days);
    const account = whatsappAccountId == null ? null : await ctx.loaders.account.load(whatsappAccountId);
    if (whatsappAccountId != null && !account) throw notFound('WhatsApp account', whatsappAccountId);
    return ctx.services.dashboard.get(teamId, days, account?.id ?? null);
  }
}
