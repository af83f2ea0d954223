import { Directive, Field, Float, Int, ObjectType } from 'type-graphql';
import { INHERIT } from '../graphql/cache-hints.js';
import { DateTimeScalar } from '../graphql/scalars.js';
import type * as M from './metrics.types.js';

/** GraphQL object types of the metrics JSON (spec §4, §6). Resolved straight from AnalyticsMetrics. */

@ObjectType({ description: 'A half-open interval: `start` is its first instant, `end` is its last millisecond (real-time: now).' })
@Directive(INHERIT)
export class Period implements M.Period {
  @Field(() => DateTimeScalar) start!: string;
  @Field(() => DateTimeScalar) end!: string;
}

@ObjectType({ description: 'Messages created in the period. Rates are percentages with 2 decimals.' })
@Directive(INHERIT)
export class MessageMetrics implements M.MessageMetrics {
  @Field(() => Int) total!: number;
  @Field(() => Int) inbound!: number;
  @Field(() => Int) outbound!: number;
  @Field(() => Int, { description: 'Outbound accepted: status sent, delivered or read.' }) sent!: number;
  @Field(() => Int) delivered!: number;
  @Field(() => Int) read!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int, { description: 'Accepted outbound messages answered by the contact within 24 h.' }) replied!: number;
  @Field(() => Float) deliveryRate!: number;
  @Field(() => Float) readRate!: number;
  @Field(() => Float) replyRate!: number;
  @Field(() => Float) failureRate!: number;
}

@ObjectType({ description: 'Campaigns running during the period.' })
@Directive(INHERIT)
export class CampaignMetrics implements M.CampaignMetrics {
  @Field(() => Int) total!: number;
  @Field(() => Int) active!: number;
  @Field(() => Int) completed!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int) totalRecipients!: number;
  @Field(() => Int) messagesSent!: number;
  @Field(() => Float) avgDeliveryRate!: number;
  @Field(() => Float) avgReadRate!: number;
}

@ObjectType()
@Directive(INHERIT)
export class ContactMetrics implements M.ContactMetrics {
  @Field(() => Int, { description: 'Contacts created before the end of the period.' }) total!: number;
  @Field(() => Int) new!: number;
  @Field(() => Int, { description: 'Distinct contacts with a message in the period.' }) active!: number;
  @Field(() => Int) blocked!: number;
  @Field(() => Float) avgEngagementScore!: number;
}

@ObjectType({ description: 'Conversations with at least one message in the period.' })
@Directive(INHERIT)
export class ConversationMetrics implements M.ConversationMetrics {
  @Field(() => Int) total!: number;
  @Field(() => Int) open!: number;
  @Field(() => Int) closed!: number;
  @Field(() => Float, { description: 'Mean seconds from a customer turn to our first answer, 2 decimals.' }) avgResponseTime!: number;
  @Field(() => Int, { description: 'Customer turns that got an answer (the denominator of avgResponseTime).' }) answeredTurns!: number;
}

@ObjectType({ description: 'Every metric of one scope (team or WhatsApp account) over one period.' })
@Directive(INHERIT)
export class AnalyticsMetrics implements M.AnalyticsMetrics {
  @Field(() => Period) period!: Period;
  @Field(() => MessageMetrics) messages!: MessageMetrics;
  @Field(() => CampaignMetrics) campaigns!: CampaignMetrics;
  @Field(() => ContactMetrics) contacts!: ContactMetrics;
  @Field(() => ConversationMetrics) conversations!: ConversationMetrics;
  @Field(() => DateTimeScalar) generatedAt!: string;
}
