import { ANALYTICS_LIMITS, PropertyOp } from '@tally/shared';
import { ArrayMaxSize, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { PROPERTY_VALUE_MAX_LENGTH } from '../events/query';

@InputType('PropertyConditionInput')
export class PropertyConditionInput {
  @Field(() => String)
  @MaxLength(200)
  key!: string;

  @Field(() => PropertyOp)
  op!: PropertyOp;

  @Field(() => String, { nullable: true })
  @MaxLength(PROPERTY_VALUE_MAX_LENGTH)
  value?: string | null;
}

/** An ad-hoc filter; the same shape is what a saved filter stores. Every list is capped. */
@InputType('EventFilterInput')
export class EventFilterInput {
  @Field(() => [String], { nullable: true })
  @ArrayMaxSize(ANALYTICS_LIMITS.filterValues)
  names?: string[] | null;

  @Field(() => [String], { nullable: true })
  @ArrayMaxSize(ANALYTICS_LIMITS.filterValues)
  types?: string[] | null;

  @Field(() => [String], { nullable: true })
  @ArrayMaxSize(ANALYTICS_LIMITS.filterValues)
  userIds?: string[] | null;

  @Field(() => [PropertyConditionInput], { nullable: true })
  @ArrayMaxSize(ANALYTICS_LIMITS.filterProperties)
  properties?: PropertyConditionInput[] | null;
}
