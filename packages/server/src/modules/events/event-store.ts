import type { Readable } from 'node:stream';
import type { EventFilter, Interval, SessionOrder } from '@tally/shared';
import type { BatchedDeleteOptions } from '../../platform/jobs/batched-delete';
import type { JobQueue } from '../../platform/jobs/job-queue';

/**
 * All event storage sits behind this one interface (DESIGN.md, "Built to scale out"): writing a
 * batch, every analytics query, export, purge and the engine's own upkeep. Every caller holds an
 * `EventStore`, never an engine's class. PostgreSQL implements it (postgres/); the in-memory
 * reference (reference/memory-event-store.ts) states what every answer must be, and the contract
 * suite (test/event-store/contract.ts) holds every engine to it. Every method takes the workspace
 * first and never reads another workspace's rows.
 *
 * Inputs and outputs are engine-neutral: typed keysets (`EventKey`, `SessionKey`), never cursor
 * strings (the GraphQL layer encodes them, graphql/pagination.ts); filters as the one event
 * filter (query/), whose meaning `matchesEvent` states.
 */
export interface EventStore {
  /**
   * Stores a validated batch atomically; resolves only after it is durable and visible to every
   * read. Dedupe, the same on every engine, so that a retried batch is never counted twice by any
   * query:
   * - an event whose client sent its id is stored once: a second copy in the same batch is
   *   dropped (the first counts);
   * - with the client's timestamp too, a copy with the same id and timestamp as a stored event is
   *   dropped, for as long as that event is kept;
   * - without a timestamp (each send gets its own time of receipt), the id is claimed in an id
   *   ledger and a copy is dropped while the claim lasts (EVENT_IDS_RETENTION_DAYS, 30 days);
   * - events without a client id are always new.
   * `stored` is what this call stored, `duplicates` the rest of the batch (`stored + duplicates`
   * is its length). Sessions are created or merged only by what is stored.
   * Whether the workspace may still take events is the ingest service's question, not the store's.
   */
  writeBatch(workspaceId: string, batch: EventBatch): Promise<WriteResult>;

  // The analytics reads: each statement they run goes through `gate` when given (one request's
  // limiter, analytics-reads.ts), and one that runs too long ends in BAD_USER_INPUT.
  overview(query: AnalyticsQuery, interval: Interval, gate?: ReadGate): Promise<OverviewData>;
  /**
   * Per name and type, the busiest `limit`. `ranked`, when given, may be called once with the names
   * of the rows the answer will hold as soon as the store knows them, before it reads their
   * durations: a caller comparing with another period starts that period's read then, not after
   * this one. A store that learns them only with the answer need not call it.
   */
  toolsUsage(
    query: AnalyticsQuery,
    limit: number,
    gate?: ReadGate,
    ranked?: (names: readonly string[]) => void,
  ): Promise<UsageData[]>;
  /**
   * The matching events of the range grouped by one value: an event property's text, or a session
   * attribute's text of the event's session (as the session is now), each as PostgreSQL's `->>`
   * gives it (query/matches-event.ts, `propertyText`: strings as they are, numbers, booleans and
   * nested JSON as jsonb's text); null when the key is missing or JSON null ("not set"). Per value:
   * events, errors and distinct sessions of those events. Ordered by events descending, then the
   * value's UTF-8 bytes ascending with null last; the first `limit`.
   */
  breakdown(query: AnalyticsQuery, by: BreakdownKey, limit: number, gate?: ReadGate): Promise<BreakdownData[]>;
  /**
   * Per HOUR or DAY (UTC) bucket of the range (every bucket, empty ones too): the matching
   * events, their errors and the p95 of their durations, read from the log-scale histogram
   * (duration-histogram.ts; null without durations).
   */
  durationSeries(query: AnalyticsQuery, interval: Interval, gate?: ReadGate): Promise<DurationPointData[]>;
  /**
   * Sessions started in the range (with a matching event in it, when filtered), in `page.order`
   * (default newest first): by the order's value (`sessionSortValue`, session-order.ts), then by
   * id in the same direction, after `page.after` (a key of that same order).
   */
  sessions(query: AnalyticsQuery, page: SessionPageRequest, gate?: ReadGate): Promise<Page<SessionData>>;
  /** How many sessions `sessions(query, …)` lists in all (from the sessions, never every event). */
  countSessions(query: AnalyticsQuery, gate?: ReadGate): Promise<number>;
  session(workspaceId: string, id: string, gate?: ReadGate): Promise<SessionData | null>;
  /** A session's events in time order (its timeline): `(ts, id)` ascending, after `page.after`. */
  sessionEvents(
    workspaceId: string,
    sessionId: string,
    page: PageRequest<EventKey>,
    gate?: ReadGate,
  ): Promise<Page<EventData>>;
  /** Matching events in the range, newest first: `(ts, id)` descending, after `page.after`. */
  activity(query: AnalyticsQuery, page: PageRequest<EventKey>, gate?: ReadGate): Promise<Page<EventData>>;

  /**
   * The matching events of a range in `(ts, id)` order, in batches; stopping the iteration (or
   * `signal`) stops the reading.
   */
  scanEvents(query: AnalyticsQuery, options?: ScanOptions): AsyncIterable<EventData[]>;
  /**
   * The matching events of a range as NDJSON or CSV: exactly the bytes of
   * `serializeEvents(scanEvents(query), format)` (export-format.ts), which an engine may produce
   * faster its own way. Destroying the stream stops the query.
   */
  exportEvents(query: AnalyticsQuery, format: ExportFormat): Promise<Readable>;

  /**
   * Deletes every event, session and aggregate of a (deleted) workspace, in batches; resumable:
   * `done: false` when `signal` stopped it, and the next call carries on.
   */
  purgeWorkspace(workspaceId: string, options?: PurgeOptions): Promise<{ done: boolean }>;

  /**
   * Prepares storage for now and registers the engine's own upkeep on the job queue (PostgreSQL:
   * partitions ahead, folding rollup deltas, expiring the id ledger).
   */
  registerMaintenance(jobs: MaintenanceJobs): Promise<void>;

  /**
   * Runs the upkeep that is pending now (folds, merges), for tests and benches: answers must be
   * the same before and after, which is what the contract suite checks.
   */
  settle(): Promise<void>;
}

/** What an engine's upkeep needs of the job queue. */
export type MaintenanceJobs = Pick<JobQueue, 'define' | 'schedule' | 'send'>;

export interface ScanOptions {
  /** Events per batch (default 1000). */
  batchSize?: number;
  signal?: AbortSignal;
}

export type PurgeOptions = BatchedDeleteOptions;

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
  /** Events stored by this call. */
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

/** A position in a list of events: its time (to the millisecond, as stored) and id. */
export interface EventKey {
  ts: Date;
  id: string;
}

/**
 * A position in a list of sessions: the value of the list's order for the session
 * (`sessionSortValue`: its start in epoch milliseconds, its duration in milliseconds, its events
 * or its errors) and its id.
 */
export interface SessionKey {
  value: number;
  id: string;
}

export interface PageRequest<K> {
  first: number;
  /** The key of the last item of the page before (the list continues after it), or null. */
  after: K | null;
}

/** A page of sessions in an order (default: newest first); `after` is a key of that order. */
export interface SessionPageRequest extends PageRequest<SessionKey> {
  order?: SessionOrder;
}

export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
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

/** What a breakdown groups by: one event property or one session attribute (a top-level key). */
export type BreakdownKey = { kind: 'property'; key: string } | { kind: 'sessionAttribute'; key: string };

export interface BreakdownData {
  /** The value's text; null: not set. */
  value: string | null;
  count: number;
  sessions: number;
  errors: number;
}

export interface DurationPointData {
  at: Date;
  count: number;
  errors: number;
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
