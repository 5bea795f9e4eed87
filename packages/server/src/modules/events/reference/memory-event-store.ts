import type { Readable } from 'node:stream';
import { DEFAULT_SESSION_ORDER, Interval, OrderDirection } from '@tally/shared';
import { HISTOGRAM_BUCKETS, bucketOf, quantileFromHistogram } from '../duration-histogram';
import { rankBreakdown } from '../breakdown';
import type {
  AnalyticsQuery,
  BreakdownData,
  BreakdownKey,
  DurationPointData,
  EventBatch,
  EventData,
  EventKey,
  EventStore,
  ExportFormat,
  OverviewData,
  Page,
  PageRequest,
  PurgeOptions,
  ScanOptions,
  SessionData,
  SessionInput,
  SessionPageRequest,
  UsageData,
  WriteResult,
} from '../event-store';
import { serializeEvents } from '../export-format';
import { isEmptyFilter, matchesEvent, propertyText } from '../query';
import { sessionSortValue } from '../session-order';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

interface Workspace {
  /** Every stored event, by `ts|id` (the identity a client id with its timestamp is deduped on). */
  events: Map<string, EventData>;
  /** The id ledger: client ids sent without a timestamp. */
  claims: Set<string>;
  sessions: Map<string, SessionData>;
}

/**
 * The reference event store: every answer computed the plain way, from the stored events and
 * sessions, by scanning them. No rollups, no indexes, nothing clever — what it answers is what
 * every engine must answer (test/event-store/contract.ts), so it must stay obviously right.
 * Not for production: it keeps everything in memory and forgets it on restart.
 */
export class MemoryEventStore implements EventStore {
  private readonly workspaces = new Map<string, Workspace>();

  private workspace(id: string): Workspace {
    let found = this.workspaces.get(id);
    if (!found) {
      found = { events: new Map(), claims: new Set(), sessions: new Map() };
      this.workspaces.set(id, found);
    }
    return found;
  }

  writeBatch(workspaceId: string, batch: EventBatch): Promise<WriteResult> {
    const ws = this.workspace(workspaceId);
    const seen = new Set<string>();
    const fresh: EventData[] = [];
    for (const input of batch.events) {
      if (input.clientId) {
        if (seen.has(input.id)) continue;
        seen.add(input.id);
      }
      if (input.clientId && !input.clientTimestamp) {
        if (ws.claims.has(input.id)) continue;
        ws.claims.add(input.id);
      }
      const key = eventKey(input.timestamp, input.id);
      if (ws.events.has(key)) continue;
      const event: EventData = {
        id: input.id,
        sessionId: input.sessionId,
        name: input.name,
        type: input.type,
        timestamp: new Date(input.timestamp.getTime()),
        userId: input.userId,
        durationMs: input.durationMs,
        status: input.status,
        properties: input.properties === null ? null : structuredClone(input.properties),
      };
      ws.events.set(key, event);
      fresh.push(event);
    }
    const items = mergeSessions(batch.sessions);
    for (const event of [...fresh].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())) {
      const known = ws.sessions.get(event.sessionId);
      const isError = event.status === 'error' ? 1 : 0;
      if (!known) {
        ws.sessions.set(event.sessionId, {
          id: event.sessionId,
          userId: event.userId,
          startedAt: event.timestamp,
          endedAt: event.timestamp,
          eventCount: 1,
          errorCount: isError,
          attributes: null,
        });
      } else {
        if (event.timestamp < known.startedAt) known.startedAt = event.timestamp;
        if (event.timestamp > known.endedAt) known.endedAt = event.timestamp;
        known.eventCount += 1;
        known.errorCount += isError;
        // The batch's latest event with a user id names the session's user.
        if (event.userId !== null) known.userId = event.userId;
      }
    }
    // What the batch says of its sessions: the user id given wins, attributes merge (shallow).
    // A session the store does not know (no event stored yet) is not created by this alone.
    for (const item of items) {
      const session = ws.sessions.get(item.id);
      if (!session) continue;
      if (item.userId !== null) session.userId = item.userId;
      if (item.attributes) session.attributes = { ...session.attributes, ...structuredClone(item.attributes) };
    }
    return Promise.resolve({ stored: fresh.length, duplicates: batch.events.length - fresh.length });
  }

  /** Events of the range that match the filters. */
  private matching(query: AnalyticsQuery): EventData[] {
    return this.eventsOf(query.workspaceId).filter(
      (e) => inRange(e.timestamp, query) && matchesEvent(e, query.filters),
    );
  }

  private eventsOf(workspaceId: string): EventData[] {
    return [...(this.workspaces.get(workspaceId)?.events.values() ?? [])];
  }

  /** Sessions started in the range; when filtered, only those with a matching event in it. */
  private sessionsOf(query: AnalyticsQuery): SessionData[] {
    const all = [...(this.workspaces.get(query.workspaceId)?.sessions.values() ?? [])].filter((s) =>
      inRange(s.startedAt, query),
    );
    if (isEmptyFilter(query.filters)) return all;
    const withMatch = new Set(this.matching(query).map((e) => e.sessionId));
    return all.filter((s) => withMatch.has(s.id));
  }

  overview(query: AnalyticsQuery, interval: Interval): Promise<OverviewData> {
    const step = interval === Interval.HOUR ? HOUR_MS : DAY_MS;
    const events = this.matching(query);
    const sessions = this.sessionsOf(query);
    const points = new Map<number, { at: Date; sessions: number; events: number }>();
    for (let t = Math.floor(query.from.getTime() / step) * step; t < query.to.getTime(); t += step) {
      points.set(t, { at: new Date(t), sessions: 0, events: 0 });
    }
    const bucket = (at: Date) => points.get(Math.floor(at.getTime() / step) * step);
    for (const e of events) {
      const point = bucket(e.timestamp);
      if (point) point.events += 1;
    }
    let duration = 0;
    for (const s of sessions) {
      const point = bucket(s.startedAt);
      if (point) point.sessions += 1;
      duration += s.endedAt.getTime() - s.startedAt.getTime();
    }
    return Promise.resolve({
      sessions: sessions.length,
      events: events.length,
      users: new Set(sessions.map((s) => s.userId).filter((u) => u !== null)).size,
      errors: events.filter((e) => e.status === 'error').length,
      avgSessionDurationMs: sessions.length > 0 ? duration / sessions.length : null,
      series: [...points.values()],
    });
  }

  toolsUsage(query: AnalyticsQuery, limit: number): Promise<UsageData[]> {
    // When each session first used each name (over all its events, whatever the range).
    const firstUse = new Map<string, number>();
    for (const e of this.eventsOf(query.workspaceId)) {
      const key = `${e.sessionId}\u0000${e.name}\u0000${e.type}`;
      const before = firstUse.get(key);
      if (before === undefined || e.timestamp.getTime() < before) firstUse.set(key, e.timestamp.getTime());
    }
    const groups = new Map<string, EventData[]>();
    for (const e of this.matching(query)) {
      const key = `${e.name}\u0000${e.type}`;
      groups.set(key, [...(groups.get(key) ?? []), e]);
    }
    const rows: UsageData[] = [];
    for (const events of groups.values()) {
      const [first] = events;
      if (!first) continue;
      const durations = events.map((e) => e.durationMs).filter((d) => d !== null);
      const histogram = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
      for (const d of durations) histogram[bucketOf(d)] = (histogram[bucketOf(d)] ?? 0) + 1;
      // A session counts where it first used the name: in the range, and with a matching event there.
      const sessions = new Set(
        events
          .filter((e) => {
            const at = firstUse.get(`${e.sessionId}\u0000${e.name}\u0000${e.type}`);
            return at !== undefined && at >= query.from.getTime() && at < query.to.getTime();
          })
          .map((e) => e.sessionId),
      );
      rows.push({
        name: first.name,
        type: first.type,
        count: events.length,
        sessions: sessions.size,
        errors: events.filter((e) => e.status === 'error').length,
        avgDurationMs: durations.length > 0 ? durations.reduce((a, b) => a + b, 0) / durations.length : null,
        p95DurationMs: quantileFromHistogram(histogram, 0.95),
      });
    }
    rows.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
    return Promise.resolve(rows.slice(0, limit));
  }

  breakdown(query: AnalyticsQuery, by: BreakdownKey, limit: number): Promise<BreakdownData[]> {
    const sessions = this.workspaces.get(query.workspaceId)?.sessions;
    const groups = new Map<string | null, { events: EventData[]; sessions: Set<string> }>();
    for (const e of this.matching(query)) {
      const value =
        by.kind === 'property'
          ? propertyText(e.properties, by.key)
          : propertyText(sessions?.get(e.sessionId)?.attributes ?? null, by.key);
      const group = groups.get(value) ?? { events: [], sessions: new Set<string>() };
      group.events.push(e);
      group.sessions.add(e.sessionId);
      groups.set(value, group);
    }
    const rows = [...groups].map(([value, group]) => ({
      value,
      count: group.events.length,
      sessions: group.sessions.size,
      errors: group.events.filter((e) => e.status === 'error').length,
    }));
    return Promise.resolve(rankBreakdown(rows, limit));
  }

  durationSeries(query: AnalyticsQuery, interval: Interval): Promise<DurationPointData[]> {
    const step = interval === Interval.HOUR ? HOUR_MS : DAY_MS;
    const points = new Map<number, { at: Date; count: number; errors: number; histogram: number[] }>();
    for (let t = Math.floor(query.from.getTime() / step) * step; t < query.to.getTime(); t += step) {
      points.set(t, { at: new Date(t), count: 0, errors: 0, histogram: new Array<number>(HISTOGRAM_BUCKETS).fill(0) });
    }
    for (const e of this.matching(query)) {
      const point = points.get(Math.floor(e.timestamp.getTime() / step) * step);
      if (!point) continue;
      point.count += 1;
      if (e.status === 'error') point.errors += 1;
      if (e.durationMs !== null) {
        const bucket = bucketOf(e.durationMs);
        point.histogram[bucket] = (point.histogram[bucket] ?? 0) + 1;
      }
    }
    return Promise.resolve(
      [...points.values()].map((p) => ({
        at: p.at,
        count: p.count,
        errors: p.errors,
        p95DurationMs: quantileFromHistogram(p.histogram, 0.95),
      })),
    );
  }

  sessions(query: AnalyticsQuery, page: SessionPageRequest): Promise<Page<SessionData>> {
    const { field, direction } = page.order ?? DEFAULT_SESSION_ORDER;
    // Ascending by (value, id), or descending by both.
    const sign = direction === OrderDirection.ASC ? 1 : -1;
    const keyOf = (s: SessionData): [number, string] => [sessionSortValue(s, field), s.id];
    const sorted = this.sessionsOf(query)
      .map(copySession)
      .sort((a, b) => sign * compareValueKeys(keyOf(a), keyOf(b)));
    const after = page.after;
    const rest = after ? sorted.filter((s) => sign * compareValueKeys(keyOf(s), [after.value, after.id]) > 0) : sorted;
    return Promise.resolve(pageOf(rest, page.first));
  }

  countSessions(query: AnalyticsQuery): Promise<number> {
    return Promise.resolve(this.sessionsOf(query).length);
  }

  session(workspaceId: string, id: string): Promise<SessionData | null> {
    const found = this.workspaces.get(workspaceId)?.sessions.get(id);
    return Promise.resolve(found ? copySession(found) : null);
  }

  sessionEvents(workspaceId: string, sessionId: string, page: PageRequest<EventKey>): Promise<Page<EventData>> {
    const events = ascending(this.eventsOf(workspaceId).filter((e) => e.sessionId === sessionId));
    const after = page.after;
    const rest = after ? events.filter((e) => compareKeys([e.timestamp, e.id], [after.ts, after.id]) > 0) : events;
    return Promise.resolve(pageOf(rest.map(copyEvent), page.first));
  }

  activity(query: AnalyticsQuery, page: PageRequest<EventKey>): Promise<Page<EventData>> {
    const events = ascending(this.matching(query)).reverse();
    const after = page.after;
    const rest = after ? events.filter((e) => compareKeys([e.timestamp, e.id], [after.ts, after.id]) < 0) : events;
    return Promise.resolve(pageOf(rest.map(copyEvent), page.first));
  }

  async *scanEvents(query: AnalyticsQuery, options: ScanOptions = {}): AsyncGenerator<EventData[]> {
    const size = options.batchSize ?? 1000;
    const events = ascending(this.matching(query)).map(copyEvent);
    for (let i = 0; i < events.length; i += size) {
      if (options.signal?.aborted) return;
      yield await Promise.resolve(events.slice(i, i + size));
    }
  }

  exportEvents(query: AnalyticsQuery, format: ExportFormat): Promise<Readable> {
    return Promise.resolve(serializeEvents(this.scanEvents(query), format));
  }

  purgeWorkspace(workspaceId: string, options: PurgeOptions = {}): Promise<{ done: boolean }> {
    if (options.signal?.aborted) return Promise.resolve({ done: false });
    this.workspaces.delete(workspaceId);
    return Promise.resolve({ done: true });
  }

  /** Nothing to keep up. */
  registerMaintenance(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing pending: every answer is computed when asked. */
  settle(): Promise<void> {
    return Promise.resolve();
  }
}

function eventKey(at: Date, id: string): string {
  return `${at.toISOString()}|${id}`;
}

function inRange(at: Date, range: { from: Date; to: Date }): boolean {
  return at >= range.from && at < range.to;
}

/** Keys `(time, id)` compared as PostgreSQL compares them: time, then id by code point (C collation). */
function compareKeys(a: [Date, string], b: [Date, string]): number {
  const byTime = a[0].getTime() - b[0].getTime();
  if (byTime !== 0) return byTime;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** Keys `(number, id)` compared the same way: the number, then the id by code point. */
function compareValueKeys(a: [number, string], b: [number, string]): number {
  const byValue = a[0] - b[0];
  if (byValue !== 0) return byValue;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

function ascending(events: EventData[]): EventData[] {
  return events.sort((a, b) => compareKeys([a.timestamp, a.id], [b.timestamp, b.id]));
}

function pageOf<T>(rows: T[], size: number): Page<T> {
  return { nodes: rows.slice(0, size), hasNextPage: rows.length > size };
}

function copyEvent(e: EventData): EventData {
  return { ...e, properties: e.properties === null ? null : structuredClone(e.properties) };
}

function copySession(s: SessionData): SessionData {
  return { ...s, attributes: s.attributes === null ? null : structuredClone(s.attributes) };
}

/** A batch's sessions merged per id: the last user id given, attributes merged in order. */
function mergeSessions(sessions: readonly SessionInput[]): SessionInput[] {
  const byId = new Map<string, SessionInput>();
  for (const session of sessions) {
    const known = byId.get(session.id);
    if (!known) byId.set(session.id, { ...session });
    else {
      known.userId = session.userId ?? known.userId;
      if (session.attributes) known.attributes = { ...known.attributes, ...session.attributes };
    }
  }
  return [...byId.values()];
}
