import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { INHERIT } from '../graphql/cache-hints.js';
import { DateTimeScalar } from '../graphql/scalars.js';

/** One recorded run of a job (a row of job_runs). Other teams' ids (failed_teams) are never exposed. */
@ObjectType()
@Directive(INHERIT)
export class JobRun {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'daily-analytics-snapshot, weekly-analytics-snapshot or monthly-analytics-snapshot' }) name!: string;
  @Field(() => String, { description: 'running, succeeded, partial or failed' }) status!: string;
  @Field(() => String, { description: 'What started it: schedule, manual or cli' }) trigger!: string;
  @Field(() => DateTimeScalar) startedAt!: Date | string;
  @Field(() => DateTimeScalar, { nullable: true }) finishedAt!: Date | string | null;
  @Field(() => Int) snapshotsWritten!: number;
  @Field(() => Int) teamsTotal!: number;
  @Field(() => Int) teamsFailed!: number;
  @Field(() => String, { nullable: true }) error!: string | null;
}
