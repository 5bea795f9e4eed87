import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
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

  @Field(() => Int, {
    nullable: true,
    description:
      'With `compare`: the count in the previous period (null without compare, or when the name had no events then).',
  })
  previousCount!: number | null;

  @Field(() => Float, { nullable: true, description: 'With `compare`: the error rate in the previous period.' })
  previousErrorRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'With `compare`: the p95 duration in the previous period.' })
  previousP95DurationMs!: number | null;
}

/**
 * Exactly one of the two: the top values of an event property or of a session attribute. The
 * service checks it (exactly one, 1–200 characters; BAD_USER_INPUT otherwise).
 */
@InputType('BreakdownBy')
export class BreakdownBy {
  @Field(() => String, { nullable: true, description: "A top-level key of the events' properties." })
  property?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "A top-level key of the events' sessions' attributes (app, version, plan, referrer, …).",
  })
  sessionAttribute?: string | null;
}

@ObjectType('BreakdownRow')
export class BreakdownRow {
  @Field(() => String, {
    nullable: true,
    description: 'The value as text (numbers, booleans and nested JSON as JSON text); null: not set.',
  })
  value!: string | null;

  @Field(() => Int, { description: 'Matching events with this value.' })
  count!: number;

  @Field(() => Int, { description: 'Distinct sessions of those events.' })
  sessions!: number;

  @Field(() => Float)
  errorRate!: number;
}

@ObjectType('DurationPoint')
export class DurationPoint {
  @Field(() => Date)
  at!: Date;

  @Field(() => Int, { description: 'Matching events in the bucket.' })
  count!: number;

  @Field(() => Int)
  errors!: number;

  @Field(() => Float)
  errorRate!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'p95 of their durations, from a log-scale histogram (within 19 %); null without durations.',
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
  /** The list's range and filter, for `totalCount` (counted only when asked). */
  query!: AnalyticsQuery;

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
