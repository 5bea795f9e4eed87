import { Interval, Scope } from '@tally/shared';
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
import { ANALYTICS_PAGE, type AnalyticsService, USAGE_LIMIT } from './analytics.service';
import {
  Analytics,
  CompareTo,
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
    base + Math.min(Number(args[argument] ?? limits.default) || limits.default, limits.max) * childComplexity;
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
    description: 'Newest first; `first` defaults to 20 and is capped at 100.',
    complexity: listCost('first', ANALYTICS_PAGE),
  })
  async sessions(
    @Root() analytics: Analytics,
    @Arg('first', () => Int, { nullable: true }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<SessionConnection> {
    const page = await this.service.sessions(analytics, first, decodeSessionCursor(after), ctx.analyticsReads);
    return connectionOf(page, encodeSessionCursor);
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
    description: 'Per event name (a tool, a page, a custom event): how often, in how many sessions, how well.',
    complexity: listCost('limit', USAGE_LIMIT),
  })
  toolsUsage(
    @Root() analytics: Analytics,
    @Arg('limit', () => Int, { nullable: true }) limit: number | null | undefined,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<UsageRow[]> {
    return this.service.toolsUsage(analytics, limit, ctx.analyticsReads);
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
