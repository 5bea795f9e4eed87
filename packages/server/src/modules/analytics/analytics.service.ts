import { type EventFilter, Interval, type SessionOrder } from '@tally/shared';
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
import { Analytics, EventNode, Overview, SessionNode, type UsageRow } from './analytics.types';

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

  async overview(
    analytics: Analytics,
    interval: Interval | null | undefined,
    reads?: AnalyticsReads,
  ): Promise<Overview> {
    const { query } = analytics;
    const chosen =
      interval ?? (query.to.getTime() - query.from.getTime() <= HOURLY_UP_TO_MS ? Interval.HOUR : Interval.DAY);
    await reads?.count();
    const data = await this.store.overview(query, chosen, reads?.gate);
    return Object.assign(new Overview(), { ...data, query });
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

  /** A page of the range's sessions in `order` (default newest first), after a key of that order. */
  async sessions(
    analytics: Analytics,
    first: number | null | undefined,
    after: SessionKey | null,
    reads?: AnalyticsReads,
    order?: SessionOrder,
  ): Promise<Page<SessionNode>> {
    await reads?.count();
    const page = await this.store.sessions(
      analytics.query,
      { first: pageSize(first, ANALYTICS_PAGE), after, ...(order ? { order } : {}) },
      reads?.gate,
    );
    return { ...page, nodes: page.nodes.map((node) => sessionNode(analytics.query.workspaceId, node)) };
  }

  /** How many sessions the list of `query` has in all. */
  async countSessions(query: AnalyticsQuery, reads?: AnalyticsReads): Promise<number> {
    await reads?.count();
    return this.store.countSessions(query, reads?.gate);
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
