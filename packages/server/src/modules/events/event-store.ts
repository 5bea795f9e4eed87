import type { Readable } from 'node:stream';
import type { EventFilter, Interval } from '@tally/shared';
import type { BatchedDeleteOptions } from '../../platform/jobs/batched-delete';

/**
 * All event storage sits behind this one interface (DESIGN.md, "Built to scale out"): writing a
 * batch, every analytics query, export and purge. PostgreSQL implements it today
 * (postgres-event-store.ts); a columnar engine can implement it beside PostgreSQL and must pass
 * the same tests (test/analytics-*.test.ts). Every method takes the workspace first and never
 * reads another workspace's rows.
 */
export interface EventStore {
  /** Stores a validated batch atomically; resolves only after it is durable. */
  writeBatch(workspaceId: string, batch: EventBatch): Promise<WriteResult>;

  // The analytics reads: each statement they run goes through `gate` when given (one request's
  // limiter, analytics-reads.ts), and one that runs too long ends in BAD_USER_INPUT.
  overview(query: AnalyticsQuery, interval: Interval, gate?: ReadGate): Promise<OverviewData>;
  toolsUsage(query: AnalyticsQuery, limit: number, gate?: ReadGate): Promise<UsageData[]>;
  /** Sessions started in the range (with a matching event in it, when filtered), newest first. */
  sessions(query: AnalyticsQuery, page: PageRequest, gate?: ReadGate): Promise<Page<SessionData>>;
  session(workspaceId: string, id: string, gate?: ReadGate): Promise<SessionData | null>;
  /** A session's events in time order (its timeline). */
  sessionEvents(
    workspaceId: string,
    session: SessionData,
    page: PageRequest,
    gate?: ReadGate,
  ): Promise<Page<EventData>>;
  /** Matching events in the range, newest first. */
  activity(query: AnalyticsQuery, page: PageRequest, gate?: ReadGate): Promise<Page<EventData>>;

  /** Streams the matching events of a range as NDJSON or CSV; destroying the stream stops the query. */
  exportEvents(query: AnalyticsQuery, format: ExportFormat): Promise<Readable>;

  /** Deletes every row of a (deleted) workspace, in batches; resumable. */
  purge(workspaceId: string, options?: BatchedDeleteOptions): Promise<{ done: boolean }>;

  /** Storage for the coming months (partitions), so that ingest never waits to create it. */
  prepareAhead(now: Date): Promise<void>;
}

/**
 * Runs one read statement when its turn comes: a request's limiter lets only a few of them run
 * at a time, however many fields and aliases the request asks for.
 */
export type ReadGate = <T>(read: () => Promise<T>) => Promise<T>;

/** One event as the ingest has validated it (ids and timestamps filled in). */
export interface EventInput {
  id: string;
  /** Whether the client sent the id (then a resent copy is recognised and stored once). */
  clientId: boolean;
  /** Whether the client sent the timestamp (else it is the time of receipt). */
  clientTimestamp: boolean;
  timestamp: Date;
  sessionId: string;
  name: string;
  type: string;
  userId: string | null;
  durationMs: number | null;
  status: 'ok' | 'error' | null;
  properties: Record<string, unknown> | null;
}

/** Attributes of a session, merged into it (shallow) by the batch that carries them. */
export interface SessionInput {
  id: string;
  userId: string | null;
  attributes: Record<string, unknown> | null;
}

export interface EventBatch {
  events: EventInput[];
  sessions: SessionInput[];
}

export interface WriteResult {
  /** Events stored by this call (the rest had been stored before: a resent batch). */
  stored: number;
  duplicates: number;
}

export interface TimeRange {
  from: Date;
  to: Date;
}

export interface AnalyticsQuery extends TimeRange {
  workspaceId: string;
  /** Every one must match (an ad-hoc filter and a saved one); none, or empty ones, match everything. */
  filters: readonly EventFilter[];
}

export interface PageRequest {
  first: number;
  after: string | null;
}

export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface OverviewData {
  sessions: number;
  events: number;
  users: number;
  errors: number;
  avgSessionDurationMs: number | null;
  series: Array<{ at: Date; sessions: number; events: number }>;
}

export interface UsageData {
  name: string;
  type: string;
  count: number;
  sessions: number;
  errors: number;
  avgDurationMs: number | null;
  p95DurationMs: number | null;
}

export interface SessionData {
  id: string;
  userId: string | null;
  startedAt: Date;
  endedAt: Date;
  eventCount: number;
  errorCount: number;
  attributes: Record<string, unknown> | null;
}

export interface EventData {
  id: string;
  sessionId: string;
  name: string;
  type: string;
  timestamp: Date;
  userId: string | null;
  durationMs: number | null;
  status: string | null;
  properties: Record<string, unknown> | null;
}

export type ExportFormat = 'ndjson' | 'csv';
