import { Directive, Field, Float, Int, ObjectType } from 'type-graphql';
import { INHERIT } from '../graphql/cache-hints.js';
import { AnalyticsMetrics } from '../metrics/metrics.type.js';
import { Snapshot } from '../snapshots/snapshot.type.js';

/**
 * Growth types: every numeric field of the four metric sections as a nullable Float, the percentage
 * change from `previous` to `current` (2 decimals); null exactly when previous is 0 and current is not.
 */
const growth = (description?: string) => Field(() => Float, { nullable: true, description });

@ObjectType()
@Directive(INHERIT)
export class MessageGrowth {
  @growth() total!: number | null;
  @growth() inbound!: number | null;
  @growth() outbound!: number | null;
  @growth() sent!: number | null;
  @growth() delivered!: number | null;
  @growth() read!: number | null;
  @growth() failed!: number | null;
  @growth() replied!: number | null;
  @growth() deliveryRate!: number | null;
  @growth() readRate!: number | null;
  @growth() replyRate!: number | null;
  @growth() failureRate!: number | null;
}

@ObjectType()
@Directive(INHERIT)
export class CampaignGrowth {
  @growth() total!: number | null;
  @growth() active!: number | null;
  @growth() completed!: number | null;
  @growth() failed!: number | null;
  @growth() totalRecipients!: number | null;
  @growth() messagesSent!: number | null;
  @growth() avgDeliveryRate!: number | null;
  @growth() avgReadRate!: number | null;
}

@ObjectType()
@Directive(INHERIT)
export class ContactGrowth {
  @growth() total!: number | null;
  @growth() new!: number | null;
  @growth() active!: number | null;
  @growth() blocked!: number | null;
  @growth() avgEngagementScore!: number | null;
}

@ObjectType()
@Directive(INHERIT)
export class ConversationGrowth {
  @growth() total!: number | null;
  @growth() open!: number | null;
  @growth() closed!: number | null;
  @growth() avgResponseTime!: number | null;
  @growth() answeredTurns!: number | null;
}

@ObjectType({ description: 'Growth rates (%) from previous to current; null = growth from a zero baseline ("new").' })
@Directive(INHERIT)
export class AnalyticsGrowth {
  @Field(() => MessageGrowth) messages!: MessageGrowth;
  @Field(() => CampaignGrowth) campaigns!: CampaignGrowth;
  @Field(() => ContactGrowth) contacts!: ContactGrowth;
  @Field(() => ConversationGrowth) conversations!: ConversationGrowth;
}

@ObjectType({ description: 'The last `days` complete local days (current) against the `days` before them (previous).' })
@Directive(INHERIT)
export class Dashboard {
  @Field(() => Int) days!: number;
  @Field(() => AnalyticsMetrics, { description: 'Computed exactly over the whole window (not summed from days).' }) current!: AnalyticsMetrics;
  @Field(() => AnalyticsMetrics) previous!: AnalyticsMetrics;
  @Field(() => AnalyticsGrowth) growth!: AnalyticsGrowth;
  @Field(() => [Snapshot], { description: 'Daily snapshots of the current window, oldest first.' }) series!: Snapshot[];
}
