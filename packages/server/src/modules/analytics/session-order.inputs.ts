import { OrderDirection, SessionOrderField } from '@tally/shared';
import { Field, InputType } from 'type-graphql';

/** How `Analytics.sessions` is sorted; absent: newest first (STARTED_AT DESC). */
@InputType('SessionOrder')
export class SessionOrderInput {
  @Field(() => SessionOrderField)
  field!: SessionOrderField;

  @Field(() => OrderDirection)
  direction!: OrderDirection;
}
