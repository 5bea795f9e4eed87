import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../platform/pagination';
import { JsonValue } from '../../platform/scalars';
import type { AnalyticsQuery } from '../events/event-store';

/**
 * The analytics of one workspace over one range and filter, as `Workspace.analytics` resolved
 * them (saved filter included). Reached only through that field, which checks analytics.view;
 * its own fields need nothing more.
 */
@ObjectType('Analytics')
export class Analytics {
  constructor(readonly query: AnalyticsQuery) {}
}

/** What a range is compared with. */
export const CompareTo = {
  /** The range of the same length just before it: [from - (to - from), from). */
  PREVIOUS_PERIOD: 'PREVIOUS_PERIOD',
} as const;
export type CompareTo = (typeof CompareTo)[keyof typeof CompareTo];
registerEnumType(CompareTo, {
  name: 'CompareTo',
  description: 'What a range is compared with.',
  valuesConfig: {
    PREVIOUS_PERIOD: { description: 'The range of the same length just before it: [from - (to - from), from).' },
  },
});

@ObjectType('SeriesPoint')
export class SeriesPoint {
  @Field(() => Date)
  at!: Date;

  @Field(() => Int)
  sessions!: number;

  @Field(() => Int)
  events!: number;
}

@ObjectType('Overview')
export class Overview {
  /** For the annotations in range. */
  query!: AnalyticsQuery;

  @Field(() => Int, { description: 'Sessions started in the range (with a matching event in it, when filtered).' })
  sessions!: number;

  @Field(() => Int)
  events!: number;

  @Field(() => Int, { description: 'Distinct users of those sessions.' })
  users!: number;

  @Field(() => Int)
  errors!: number;

  @Field(() => Float, { nullable: true })
  avgSessionDurationMs!: number | null;

  @Field(() => [SeriesPoint], { description: 'Per HOUR or DAY (UTC) of the range; every bucket, empty ones too.' })
  series!: SeriesPoint[];

  @Field(() => Overview, {
    nullable: true,
    description:
      'The same numbers for the period compared with (`compare`), its series at its own times and with the same interval; null unless asked.',
  })
  previous!: Overview | null;
}

@ObjectType('UsageRow')
export class UsageRow {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  type!: string;

  @Field(() => Int)
  count!: number;

  @Field(() => Int, { description: 'Sessions that first used this name within the range.' })
  sessions!: number;

  @Field(() => Float)
  errorRate!: number;

  @Field(() => Float, { nullable: true })
  avgDurationMs!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Read from a log-scale histogram (quarter powers of two): within 19 % of the exact value.',
  })
  p95DurationMs!: number | null;
}

@ObjectType('Event')
export class EventNode {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  sessionId!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  type!: string;

  @Field(() => Date)
  timestamp!: Date;

  @Field(() => String, { nullable: true })
  userId!: string | null;

  @Field(() => Float, { nullable: true })
  durationMs!: number | null;

  @Field(() => String, { nullable: true, description: 'ok or error' })
  status!: string | null;

  @Field(() => JsonValue, { nullable: true })
  properties!: Record<string, unknown> | null;
}

@ObjectType('Session')
export class SessionNode {
  /** The workspace, for its events. */
  workspaceId!: string;

  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  userId!: string | null;

  @Field(() => Date)
  startedAt!: Date;

  @Field(() => Date)
  endedAt!: Date;

  @Field(() => Float)
  durationMs!: number;

  @Field(() => Int)
  eventCount!: number;

  @Field(() => Int)
  errorCount!: number;

  @Field(() => JsonValue, { nullable: true })
  attributes!: Record<string, unknown> | null;
}

@ObjectType('SessionConnection')
export class SessionConnection {
  @Field(() => [SessionNode])
  nodes!: SessionNode[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType('EventConnection')
export class EventConnection {
  @Field(() => [EventNode])
  nodes!: EventNode[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
