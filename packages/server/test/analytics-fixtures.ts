import type { EventFilter } from '@tally/shared';
import type { EventData, OverviewData, SessionData, SessionKey } from '../src/modules/events/event-store';
import { sessionKeyOf } from '../src/modules/events/session-order';
import type { TestServer } from './harness';

/**
 * Helpers of the analytics tests: keys, sending batches, and what the event store holds as the
 * store itself answers it (`server.tally.services.events`, the `EventStore` interface). These
 * tests never read an engine's tables: they must pass unchanged on every engine
 * (analytics-tests-engine-neutral.test.ts keeps it so); what is about PostgreSQL's tables is
 * tested in event-store/postgres-engine.test.ts.
 */

/**
 * Settings for a server whose fixtures carry fixed dates (late 2025 on): ingest's timestamp
 * window then reaches back to 2020, so those dates stay inside it however much time passes.
 */
export const FIXED_DATES_WINDOW = {
  EVENT_TIMESTAMP_MAX_AGE_DAYS: String(Math.ceil((Date.now() - Date.UTC(2020, 0, 1)) / 86_400_000)),
};

export interface PostResult {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** POST /v1/events with a credential (`tly_…` as a key, anything else as a bearer token). */
export async function postEvents(
  server: TestServer,
  credential: string | null,
  body: unknown,
  options: { header?: 'authorization' | 'x-api-key'; raw?: string } = {},
): Promise<PostResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credential !== null) {
    if (options.header === 'x-api-key') headers['x-api-key'] = credential;
    else headers.authorization = `Bearer ${credential}`;
  }
  const response = await fetch(`${server.url}/v1/events`, {
    method: 'POST',
    headers,
    body: options.raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: parseJson(text), headers: response.headers };
}

function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { text };
  }
}

/** Sends a batch that must be accepted. */
export async function track(server: TestServer, key: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await postEvents(server, key, body);
  if (res.status !== 202) throw new Error(`ingest failed ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export const ANALYTICS = `query($w: ID!, $range: DateRangeInput!, $filter: EventFilterInput, $saved: ID, $interval: Interval,
    $first: Int, $after: String, $limit: Int) {
  workspace(id: $w) {
    analytics(range: $range, filter: $filter, savedFilterId: $saved) {
      overview(interval: $interval) {
        sessions events users errors avgSessionDurationMs
        series { at sessions events }
      }
      toolsUsage(limit: $limit) { name type count sessions errorRate avgDurationMs p95DurationMs }
      sessions(first: $first, after: $after) {
        nodes { id userId startedAt endedAt durationMs eventCount errorCount attributes }
        pageInfo { hasNextPage endCursor }
      }
      activity(first: $first, after: $after) {
        nodes { id sessionId name type timestamp userId durationMs status properties }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}`;

export interface OverviewResult {
  sessions: number;
  events: number;
  users: number;
  errors: number;
  avgSessionDurationMs: number | null;
  series: Array<{ at: string; sessions: number; events: number }>;
}

export interface UsageResult {
  name: string;
  type: string;
  count: number;
  sessions: number;
  errorRate: number;
  avgDurationMs: number | null;
  p95DurationMs: number | null;
}

export interface SessionResult {
  id: string;
  userId: string | null;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  eventCount: number;
  errorCount: number;
  attributes: Record<string, unknown> | null;
}

export interface EventResult {
  id: string;
  sessionId: string;
  name: string;
  type: string;
  timestamp: string;
  userId: string | null;
  durationMs: number | null;
  status: string | null;
  properties: Record<string, unknown> | null;
}

export interface Connection<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface AnalyticsResult {
  overview: OverviewResult;
  toolsUsage: UsageResult[];
  sessions: Connection<SessionResult>;
  activity: Connection<EventResult>;
}

/** Every time an event can have: the store's answers over it are everything it holds. */
export const ALL_TIME = { from: new Date('1970-01-01T00:00:00Z'), to: new Date('2100-01-01T00:00:00Z') };

/**
 * The events a workspace holds in `range` (all time by default), in `(ts, id)` order, as the
 * store's `scanEvents` gives them, optionally filtered.
 */
export async function storedEvents(
  server: TestServer,
  workspaceId: string,
  options: { range?: { from: Date | string; to: Date | string }; filters?: EventFilter[] } = {},
): Promise<EventData[]> {
  const range = options.range ?? ALL_TIME;
  const events: EventData[] = [];
  for await (const batch of server.tally.services.events.scanEvents({
    workspaceId,
    from: new Date(range.from),
    to: new Date(range.to),
    filters: options.filters ?? [],
  })) {
    events.push(...batch);
  }
  return events;
}

/** How many events of one session a workspace holds (0 when it holds none). */
export async function eventsOfSession(server: TestServer, workspaceId: string, sessionId: string): Promise<number> {
  return (await storedEvents(server, workspaceId)).filter((event) => event.sessionId === sessionId).length;
}

/** A session as the store answers it, or null. */
export function storedSession(server: TestServer, workspaceId: string, sessionId: string): Promise<SessionData | null> {
  return server.tally.services.events.session(workspaceId, sessionId);
}

/**
 * Everything of a workspace that a reader can see, as counts: events and sessions listed, and
 * the aggregates (totals by day, usage by name), which come from an engine's rollups when it
 * keeps them. All zero once it is purged.
 */
export async function storeContents(
  server: TestServer,
  workspaceId: string,
): Promise<{ events: number; sessions: number; overview: OverviewData; usage: number }> {
  const store = server.tally.services.events;
  // Not all time: the overview's series has a point per day of the range.
  const query = {
    workspaceId,
    from: new Date('2020-01-01T00:00:00Z'),
    to: new Date('2031-01-01T00:00:00Z'),
    filters: [],
  };
  let sessions = 0;
  let after: SessionKey | null = null;
  for (;;) {
    const page = await store.sessions(query, { first: 500, after });
    sessions += page.nodes.length;
    const last = page.nodes.at(-1);
    if (!page.hasNextPage || !last) break;
    after = sessionKeyOf(last);
  }
  const overview = await store.overview(query, 'DAY');
  overview.series = overview.series.filter((point) => point.events > 0 || point.sessions > 0);
  const usage = (await store.toolsUsage(query, 1000)).reduce((sum, row) => sum + row.count, 0);
  return { events: (await storedEvents(server, workspaceId)).length, sessions, overview, usage };
}
