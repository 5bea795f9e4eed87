import { type EventFilter, Interval } from '@tally/shared';
import { notFound } from '../../platform/errors';
import { pageSize } from '../../platform/pagination';
import type { Annotation } from '../annotations/annotation.entity';
import type {
  AnalyticsQuery,
  EventData,
  EventKey,
  EventStore,
  Page,
  SessionData,
  SessionKey,
} from '../events/event-store';
import { checkRange } from '../events/time-range';
import { normalizeEventFilter } from '../events/query';
import type { AnalyticsReads } from './analytics-reads';
import { Analytics, CompareTo, EventNode, Overview, SessionNode, type UsageRow } from './analytics.types';

/** `first` of sessions, activity and a session's events. */
export const ANALYTICS_PAGE = { default: 20, max: 100 } as const;
/** `limit` of toolsUsage. */
export const USAGE_LIMIT = { default: 20, max: 100 } as const;
/** Ranges up to this long default to an HOUR series; longer ones to DAY. */
const HOURLY_UP_TO_MS = 2 * 24 * 60 * 60 * 1000;

/** Where a saved filter's stored filter comes from (SavedFilterService). */
export interface SavedFilterSource {
  findFilter(workspaceId: string, id: string): Promise<EventFilter | null>;
}

/** Where Overview's annotations come from (AnnotationService). */
export interface AnnotationSource {
  listInRange(workspaceId: string, from: Date, to: Date): Promise<Annotation[]>;
}

/**
 * The analytics queries of one workspace: input checked here, answered by the event store. With
 * a request's `reads`, every field counts against its caller's limit and its statements wait for
 * the request's turn (analytics-reads.ts).
 */
export class AnalyticsService {
  constructor(
    private readonly store: EventStore,
    private readonly savedFilters?: SavedFilterSource,
    private readonly annotationSource?: AnnotationSource,
  ) {}

  /** The range checked, the ad-hoc filter normalised, the saved filter looked up (NOT_FOUND when unknown). */
  async analytics(
    workspaceId: string,
    range: { from: Date; to: Date },
    filter: EventFilter | null | undefined,
    savedFilterId: string | null | undefined,
  ): Promise<Analytics> {
    const { from, to } = checkRange(range.from, range.to);
    const filters: EventFilter[] = [];
    if (filter) filters.push(normalizeEventFilter(filter));
    if (savedFilterId !== null && savedFilterId !== undefined) {
      const saved = this.savedFilters ? await this.savedFilters.findFilter(workspaceId, savedFilterId) : null;
      if (!saved) throw notFound('Saved filter');
      filters.push(saved);
    }
    return new Analytics({ workspaceId, from, to, filters });
  }

  /**
   * Totals and series of the range; with `compare`, the same of the previous period too (the
   * same length just before, the same interval), read at the same time through the same gate,
   * each counting as one analytics field against the caller's limit.
   */
  async overview(
    analytics: Analytics,
    interval: Interval | null | undefined,
    reads?: AnalyticsReads,
    compare?: CompareTo | null,
  ): Promise<Overview> {
    const { query } = analytics;
    const chosen =
      interval ?? (query.to.getTime() - query.from.getTime() <= HOURLY_UP_TO_MS ? Interval.HOUR : Interval.DAY);
    const [current, previous] = await Promise.all([
      this.overviewOf(query, chosen, reads),
      compare === CompareTo.PREVIOUS_PERIOD ? this.overviewOf(previousPeriod(query), chosen, reads) : null,
    ]);
    current.previous = previous;
    return current;
  }

  private async overviewOf(query: AnalyticsQuery, interval: Interval, reads?: AnalyticsReads): Promise<Overview> {
    await reads?.count();
    const data = await this.store.overview(query, interval, reads?.gate);
    return Object.assign(new Overview(), { ...data, query, previous: null });
  }

  annotations(query: AnalyticsQuery): Promise<Annotation[]> {
    return this.annotationSource?.listInRange(query.workspaceId, query.from, query.to) ?? Promise.resolve([]);
  }

  async toolsUsage(
    analytics: Analytics,
    limit: number | null | undefined,
    reads?: AnalyticsReads,
  ): Promise<UsageRow[]> {
    await reads?.count();
    const rows = await this.store.toolsUsage(analytics.query, pageSize(limit, USAGE_LIMIT), reads?.gate);
    return rows.map((row) => ({
      name: row.name,
      type: row.type,
      count: row.count,
      sessions: row.sessions,
      errorRate: row.count > 0 ? row.errors / row.count : 0,
      avgDurationMs: row.avgDurationMs,
      p95DurationMs: row.p95DurationMs,
    }));
  }

  async sessions(
    analytics: Analytics,
    first: number | null | undefined,
    after: SessionKey | null,
    reads?: AnalyticsReads,
  ): Promise<Page<SessionNode>> {
    await reads?.count();
    const page = await this.store.sessions(
      analytics.query,
      { first: pageSize(first, ANALYTICS_PAGE), after },
      reads?.gate,
    );
    return { ...page, nodes: page.nodes.map((node) => sessionNode(analytics.query.workspaceId, node)) };
  }

  async session(analytics: Analytics, id: string, reads?: AnalyticsReads): Promise<SessionNode | null> {
    await reads?.count();
    const found = await this.store.session(analytics.query.workspaceId, id, reads?.gate);
    return found ? sessionNode(analytics.query.workspaceId, found) : null;
  }

  async sessionEvents(
    session: SessionNode,
    first: number | null | undefined,
    after: EventKey | null,
    reads?: AnalyticsReads,
  ): Promise<Page<EventNode>> {
    await reads?.count();
    const page = await this.store.sessionEvents(
      session.workspaceId,
      session.id,
      { first: pageSize(first, ANALYTICS_PAGE), after },
      reads?.gate,
    );
    return eventNodes(page);
  }

  async activity(
    analytics: Analytics,
    first: number | null | undefined,
    after: EventKey | null,
    reads?: AnalyticsReads,
  ): Promise<Page<EventNode>> {
    await reads?.count();
    const page = await this.store.activity(
      analytics.query,
      { first: pageSize(first, ANALYTICS_PAGE), after },
      reads?.gate,
    );
    return eventNodes(page);
  }
}

/** The range of the same length just before `query`'s: [from - (to - from), from), the same filters. */
export function previousPeriod(query: AnalyticsQuery): AnalyticsQuery {
  const length = query.to.getTime() - query.from.getTime();
  return { ...query, from: new Date(query.from.getTime() - length), to: query.from };
}

function sessionNode(workspaceId: string, data: SessionData): SessionNode {
  return Object.assign(new SessionNode(), {
    ...data,
    workspaceId,
    durationMs: data.endedAt.getTime() - data.startedAt.getTime(),
  });
}

function eventNodes(page: Page<EventData>): Page<EventNode> {
  return { ...page, nodes: page.nodes.map((node) => Object.assign(new EventNode(), node)) };
}
