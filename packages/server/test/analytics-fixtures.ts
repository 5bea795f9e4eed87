import type { TestServer } from './harness';

/** Helpers of the analytics tests: keys, sending batches, raw counts. */

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

export async function scalar(server: TestServer, sql: string, params: unknown[]): Promise<number> {
  const rows: Array<{ n: string | number | null }> = await server.tally.db.query(sql, params);
  return Number(rows[0]?.n ?? 0);
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

/**
 * The PostgreSQL store's partitions for the months of `times`, for tests that write rows straight
 * into its tables (bulk loads far faster than ingest).
 */
export async function ensureEventPartitions(server: TestServer, times: readonly Date[]): Promise<void> {
  for (const at of times) {
    await server.tally.db.query(`SELECT tally_ensure_events_partition($1::timestamptz)`, [at.toISOString()]);
  }
}

/** The PostgreSQL store's partitions of `events` (`events_pYYYY_MM`). */
export async function eventPartitions(server: TestServer): Promise<string[]> {
  const rows: Array<{ name: string }> = await server.tally.db.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}
