import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { INHERIT } from '../graphql/cache-hints.js';
import { DateScalar, DateTimeScalar } from '../graphql/scalars.js';
import { AnalyticsMetrics } from '../metrics/metrics.type.js';
import type { SnapshotType as SnapshotTypeName } from '../metrics/periods.js';

export const SnapshotType = { Daily: 'Daily', Weekly: 'Weekly', Monthly: 'Monthly' } as const satisfies Record<SnapshotTypeName, SnapshotTypeName>;
registerEnumType(SnapshotType, {
  name: 'SnapshotType',
  description: 'Daily: one local day. Weekly: an ISO week from Monday. Monthly: a calendar month.',
});

@ObjectType({ description: 'Pre-aggregated metrics of one period and scope (team-wide when whatsappAccountId is null).' })
@Directive(INHERIT)
export class Snapshot {
  @Field(() => ID) id!: string;
  @Field(() => ID) teamId!: string;
  @Field(() => ID, { nullable: true }) whatsappAccountId!: string | null;
  @Field(() => DateScalar, { description: 'First day of the period.' }) date!: string;
  @Field(() => SnapshotType) snapshotType!: SnapshotTypeName;
  @Field(() => AnalyticsMetrics) metrics!: AnalyticsMetrics;
  @Field(() => DateTimeScalar) createdAt!: Date | string;
  @Field(() => DateTimeScalar) updatedAt!: Date | string;
}

@ObjectType()
@Directive(INHERIT)
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' }) endCursor!: string | null;
}

@ObjectType()
@Directive(INHERIT)
export class SnapshotConnection {
  @Field(() => [Snapshot]) nodes!: Snapshot[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'Snapshots in the whole range, over all pages.' }) totalCount!: number;
}
