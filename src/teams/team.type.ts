import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { INHERIT } from '../graphql/cache-hints.js';

/** A WhatsApp Business account of the caller's team; realTimeMetrics and snapshots are field resolvers. */
@ObjectType()
@Directive(INHERIT)
export class WhatsAppAccount {
  @Field(() => ID) id!: string;
  @Field(() => String) phoneNumber!: string;
  @Field(() => String, { nullable: true }) displayName!: string | null;
  teamId!: string;
}

/** The caller's team (from the token); whatsappAccounts is a field resolver. */
@ObjectType()
@Directive(INHERIT)
export class Team {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'IANA time zone; days, weeks and months follow it.' }) timezone!: string;
}
