import { Field, InputType } from 'type-graphql';

/** A time range argument (`from`, `to`); the services check its order and length. */
@InputType('DateRangeInput')
export class DateRangeInput {
  @Field(() => Date)
  from!: Date;

  @Field(() => Date)
  to!: Date;
}
