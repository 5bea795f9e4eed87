import { DEFAULT_SESSION_ORDER, Interval, Scope } from '@tally/shared';
import { Arg, Ctx, FieldResolver, ID, Int, Resolver, Root } from 'type-graphql';
import { RequiresScopes } from '../../auth/declarations';
import type { AnalyticsContext } from './analytics-reads';
import { connectionOf } from '../../platform/pagination';
import { decodeEventCursor, decodeSessionCursor, encodeEventCursor, encodeSessionCursor } from './analytics-cursors';
import { Annotation } from '../annotations/annotation.entity';
import { ANNOTATIONS_LISTED } from '../annotations/annotation.service';
import { Workspace } from '../workspaces/workspace.entity';
import { STATEMENT_COST, analyticsComplexity, statementComplexity } from './analytics-cost';
import { DateRangeInput } from '../../platform/date-range';
import { EventFilterInput } from '../saved-filters/event-filter.inputs';
import { sessionKeyOf } from '../events/session-order';
import { SessionOrderInput } from './session-order.inputs';
import { ANALYTICS_PAGE, type AnalyticsService, BREAKDOWN_LIMIT, USAGE_LIMIT } from './analytics.service';
import {
  Analytics,
  BreakdownBy,
  BreakdownRow,
  CompareTo,
  DurationPoint,
  EventConnection,
  type EventNode,
  Overview,
  SessionConnection,
  SessionNode,
  UsageRow,
} from './analytics.types';

/** An event's cursor: its time and id. */
const eventCursor = (event: EventNode) => encodeEventCursor({ ts: event.timestamp, id: event.id });

/**
 * A list field's cost: its page size (capped) times what each row selects, plus `base` (the scan
 * of a range is priced on `Workspace.analytics`, analytics-cost.ts).
 */
function listCost(argument: string, limits: { default: number; max: number }, base = 1) {
  return ({ args, childComplexity }: { args: Record<string, unknown>; childComplexity: number }) =>
    base + rowsAsked(args, argument, limits) * childComplexity;
}

/**
 * A list whose rows are one statement's grouped rows of scalar columns (toolsUsage): a row costs
 * 1 however many of its columns are selected (the scan itself is priced by analyticsComplexity).
 */
function rowsCost(argument: string, limits: { default: number; max: number }) {
  return ({ args }: { args: Record<string, unknown> }) => 1 + rowsAsked(args, argument, limits);
}

function rowsAsked(args: Record<string, unknown>, argument: string, limits: { default: number; max: number }): number {
  return Math.min(Number(args[argument] ?? limits.default) || limits.default, limits.max);
}

@Resolver(() => Workspace)
export class WorkspaceAnalyticsResolver {
  constructor(private readonly service: AnalyticsService) {}

  @FieldResolver(() => Analytics, { complexity: analyticsComplexity })
  @RequiresScopes(Scope.ANALYTICS_VIEW)
  analytics(
    @Root() workspace: Workspace,
    @Arg('range', () => DateRangeInput) range: DateRangeInput,
    @Arg('filter', () => EventFilterInput, { nullable: true }) filter: EventFilterInput | null | undefined,
    @Arg('savedFilterId', () => ID, { nullable: true }) savedFilterId: string | null | undefined,
  ): Promise<Analytics> {
    return this.service.analytics(workspace.id, range, filter, savedFilterId);
  }
}

/** The fields of Analytics; `Workspace.analytics` has checked analytics.view in its workspace. */
@Resolver(() => Analytics)
export class AnalyticsResolver {
  constructor(private readonly service: AnalyticsService) {}

  @FieldResolver(() => Overview, {
    description:
      'Totals and series of the range; with `compare`, `previous` holds the same for the period compared with (priced and rate-limited as a second scan).',
  })
  overview(
    @Root() analytics: Analytics,
    @Arg('interval', () => Interval, { nullable: true }) interval: Interval | null | undefined,
    @Arg('compare', () => CompareTo, { nullable: true }) compare: CompareTo | null | undefined,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<Overview> {
    return this.service.overview(analytics, interval, ctx.analyticsReads, compare);
  }

  @FieldResolver(() => SessionConnection, {
    description:
      'In `orderBy` (default: newest first), ties by id the same way; `after` takes an endCursor of the same orderBy. `first` defaults to 20 and is capped at 100.',
    complexity: listCost('first', ANALYTICS_PAGE),
  })
  async sessions(
    @Root() analytics: Analytics,
    @Arg('first', () => Int, { nullable: true }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Arg('orderBy', () => SessionOrderInput, { nullable: true }) orderBy: SessionOrderInput | null | undefined,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<SessionConnection> {
    const order = orderBy ? { field: orderBy.field, direction: orderBy.direction } : DEFAULT_SESSION_ORDER;
    const key = decodeSessionCursor(after, order);
    const page = await this.service.sessions(analytics, first, key, ctx.analyticsReads, order);
    const connection = connectionOf(page, (node) => encodeSessionCursor(sessionKeyOf(node, order), order));
    return Object.assign(new SessionConnection(), { ...connection, query: analytics.query });
  }

  @FieldResolver(() => SessionNode, {
    nullable: true,
    description: 'A session of the workspace by id, whatever the range.',
    complexity: statementComplexity,
  })
  session(
    @Root() analytics: Analytics,
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<SessionNode | null> {
    return this.service.session(analytics, id, ctx.analyticsReads);
  }

  @FieldResolver(() => [UsageRow], {
    description:
      'Per event name (a tool, a page, a custom event): how often, in how many sessions, how well; most used first. `limit` defaults to 20 and is capped at 500.',
    complexity: rowsCost('limit', USAGE_LIMIT),
  })
  toolsUsage(
    @Root() analytics: Analytics,
    @Arg('limit', () => Int, { nullable: true }) limit: number | null | undefined,
    @Arg('compare', () => CompareTo, {
      nullable: true,
      description: "PREVIOUS_PERIOD: each row also carries its name's figures in the period just before.",
    })
    compare: CompareTo | null | undefined,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<UsageRow[]> {
    return this.service.toolsUsage(analytics, limit, ctx.analyticsReads, compare);
  }

  @FieldResolver(() => [BreakdownRow], {
    description:
      'The top values of an event property or a session attribute over the range and filters: events, sessions and error rate per value (null: not set), most events first; `limit` defaults to 10 and is capped at 100.',
    complexity: listCost('limit', BREAKDOWN_LIMIT),
  })
  breakdown(
    @Root() analytics: Analytics,
    @Arg('by', () => BreakdownBy) by: BreakdownBy,
    @Arg('limit', () => Int, { nullable: true }) limit: number | null | undefined,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<BreakdownRow[]> {
    return this.service.breakdown(analytics, by, limit, ctx.analyticsReads);
  }

  @FieldResolver(() => [DurationPoint], {
    description:
      'Per HOUR or DAY (UTC) of the range, every bucket: the matching events, their error rate and p95 duration (with a names filter: one tool over time).',
  })
  durationSeries(
    @Root() analytics: Analytics,
    @Arg('interval', () => Interval, { nullable: true }) interval: Interval | null | undefined,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<DurationPoint[]> {
    return this.service.durationSeries(analytics, interval, ctx.analyticsReads);
  }

  @FieldResolver(() => EventConnection, {
    description: 'Newest events first.',
    complexity: listCost('first', ANALYTICS_PAGE),
  })
  async activity(
    @Root() analytics: Analytics,
    @Arg('first', () => Int, { nullable: true }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<EventConnection> {
    const page = await this.service.activity(analytics, first, decodeEventCursor(after), ctx.analyticsReads);
    return connectionOf(page, eventCursor);
  }
}

@Resolver(() => Overview)
export class OverviewResolver {
  constructor(private readonly service: AnalyticsService) {}

  @FieldResolver(() => [Annotation], {
    description: 'The annotations within the range, in time order.',
    complexity: ({ childComplexity }) => 1 + ANNOTATIONS_LISTED * childComplexity,
  })
  annotations(@Root() overview: Overview): Promise<Annotation[]> {
    return this.service.annotations(overview.query);
  }
}

@Resolver(() => SessionConnection)
export class SessionConnectionResolver {
  constructor(private readonly service: AnalyticsService) {}

  /**
   * Its cost is a scan of the range, priced on `Workspace.analytics` (analytics-cost.ts); nothing
   * here, where the list's page size would multiply it.
   */
  @FieldResolver(() => Int, {
    description:
      'Sessions in the list in all, over every page: started in the range (with a matching event, when filtered).',
    complexity: 0,
  })
  totalCount(@Root() connection: SessionConnection, @Ctx() ctx: AnalyticsContext): Promise<number> {
    return this.service.countSessions(connection.query, ctx.analyticsReads);
  }
}

@Resolver(() => SessionNode)
export class SessionResolver {
  constructor(private readonly service: AnalyticsService) {}

  @FieldResolver(() => EventConnection, {
    description: "The session's events in time order; `first` defaults to 20 and is capped at 100.",
    complexity: listCost('first', ANALYTICS_PAGE, STATEMENT_COST),
  })
  async events(
    @Root() session: SessionNode,
    @Arg('first', () => Int, { nullable: true }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<EventConnection> {
    const page = await this.service.sessionEvents(session, first, decodeEventCursor(after), ctx.analyticsReads);
    return connectionOf(page, eventCursor);
  }
}
