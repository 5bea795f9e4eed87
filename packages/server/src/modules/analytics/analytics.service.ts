import { type EventFilter, Interval, type SessionOrder } from '@tally/shared';
import { badInput, notFound } from '../../platform/errors';
import { pageSize } from '../../platform/pagination';
import type { Annotation } from '../annotations/annotation.entity';
import type {
  AnalyticsQuery,
  BreakdownKey,
  EventData,
  EventKey,
  EventStore,
  Page,
  SessionData,
  SessionKey,
  UsageData,
} from '../events/event-store';
import { checkRange } from '../events/time-range';
import { normalizeEventFilter } from '../events/query';
import type { AnalyticsReads } from './analytics-reads';
import {
  Analytics,
  type BreakdownBy,
  type BreakdownRow,
  CompareTo,
  type DurationPoint,
  EventNode,
  Overview,
  SessionNode,
  type UsageRow,
} from './analytics.types';

/** `first` of sessions, activity and a session's events. */
export const ANALYTICS_PAGE = { default: 20, max: 100 } as const;
/**
 * `limit` of toolsUsage: agent products have hundreds of tools, and the rows are one grouped
 * statement's (the previous period's a second), so a page may list them all.
 */
export const USAGE_LIMIT = { default: 20, max: 500 } as const;
/** `limit` of breakdown. */
export const BREAKDOWN_LIMIT = { default: 10, max: 100 } as const;
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
    const chosen = interval ?? defaultInterval(query);
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

  /**
   * The busiest names of the range; with `compare`, each row also carries the same name's figures
   * in the previous period (the store's toolsUsage over that range, matched by name and type;
   * null for a name it did not list then).
   */
  async toolsUsage(
    analytics: Analytics,
    limit: number | null | undefined,
    reads?: AnalyticsReads,
    compare?: CompareTo | null,
  ): Promise<UsageRow[]> {
    const size = pageSize(limit, USAGE_LIMIT);
    await reads?.count();
    // The previous period's read of the names shown starts as soon as the store knows them (while
    // it reads their durations), or else once the rows are here.
    let previousRead: Promise<UsageData[]> | null = null;
    const readPrevious = (names: readonly string[]) => {
      if (compare !== CompareTo.PREVIOUS_PERIOD || previousRead || names.length === 0) return;
      previousRead = this.previousUsage(analytics.query, names, reads);
      // Awaited below; until then a failure must not count as unhandled.
      previousRead.catch(() => undefined);
    };
    const rows = await this.store.toolsUsage(analytics.query, size, reads?.gate, readPrevious);
    readPrevious([...new Set(rows.map((row) => row.name))]);
    const previousRows: UsageData[] = previousRead ? await previousRead : [];
    const previous = new Map(previousRows.map((row) => [`${row.name}\u0000${row.type}`, row]));
    return rows.map((row) => {
      const before = previous.get(`${row.name}\u0000${row.type}`);
      return {
        name: row.name,
        type: row.type,
        count: row.count,
        sessions: row.sessions,
        errorRate: row.count > 0 ? row.errors / row.count : 0,
        avgDurationMs: row.avgDurationMs,
        p95DurationMs: row.p95DurationMs,
        previousCount: before ? before.count : null,
        previousErrorRate: before ? (before.count > 0 ? before.errors / before.count : 0) : null,
        previousP95DurationMs: before ? before.p95DurationMs : null,
      };
    });
  }

  /** `names` (each with any type) in the period before `query`'s; a names filter keeps the rollups answering. */
  private async previousUsage(
    query: AnalyticsQuery,
    names: readonly string[],
    reads: AnalyticsReads | undefined,
  ): Promise<UsageData[]> {
    await reads?.count();
    const previous = previousPeriod(query);
    return this.store.toolsUsage(
      { ...previous, filters: [...previous.filters, { names: [...names] }] },
      names.length * 10,
      reads?.gate,
    );
  }

  /** The top values of one property or session attribute over the range and filters. */
  async breakdown(
    analytics: Analytics,
    by: BreakdownBy,
    limit: number | null | undefined,
    reads?: AnalyticsReads,
  ): Promise<BreakdownRow[]> {
    const key = breakdownKey(by);
    const size = pageSize(limit, BREAKDOWN_LIMIT);
    await reads?.count();
    const rows = await this.store.breakdown(analytics.query, key, size, reads?.gate);
    return rows.map((row) => ({
      value: row.value,
      count: row.count,
      sessions: row.sessions,
      errorRate: row.count > 0 ? row.errors / row.count : 0,
    }));
  }

  /** Per bucket: the matching events, their error rate and their p95 duration. */
  async durationSeries(
    analytics: Analytics,
    interval: Interval | null | undefined,
    reads?: AnalyticsReads,
  ): Promise<DurationPoint[]> {
    const { query } = analytics;
    await reads?.count();
    const points = await this.store.durationSeries(query, interval ?? defaultInterval(query), reads?.gate);
    return points.map((point) => ({
      ...point,
      errorRate: point.count > 0 ? point.errors / point.count : 0,
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

function defaultInterval(query: AnalyticsQuery): Interval {
  return query.to.getTime() - query.from.getTime() <= HOURLY_UP_TO_MS ? Interval.HOUR : Interval.DAY;
}

/** The period of the same length just before the query's: [from - (to - from), from). */
export function previousPeriod(query: AnalyticsQuery): AnalyticsQuery {
  const length = query.to.getTime() - query.from.getTime();
  return { ...query, from: new Date(query.from.getTime() - length), to: new Date(query.from.getTime()) };
}

/** Exactly one of property and sessionAttribute, 1–200 characters, else BAD_USER_INPUT. */
function breakdownKey(by: BreakdownBy): BreakdownKey {
  const property = by.property ?? null;
  const attribute = by.sessionAttribute ?? null;
  if ((property === null) === (attribute === null)) {
    throw badInput('Break down by exactly one of `property` and `sessionAttribute`.', { field: 'by' });
  }
  const key = property ?? attribute ?? '';
  if (key.length === 0 || key.length > 200) {
    throw badInput('A breakdown key is 1 to 200 characters.', { field: 'by' });
  }
  return property !== null ? { kind: 'property', key } : { kind: 'sessionAttribute', key };
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
