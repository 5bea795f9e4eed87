import { type Readable, Transform, type TransformCallback, pipeline } from 'node:stream';
import { Interval } from '@tally/shared';
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { Logger } from 'pino';
import { to as copyTo } from 'pg-copy-streams';
import type { DataSource } from 'typeorm';
import { notFound } from '../../platform/errors';
import { isStatementTimeout, tooSlow } from './statement-timeout';
import { decodeKeysetCursor, encodeCursor } from '../../platform/pagination';
import { type BatchedDeleteOptions, purgeWorkspaceRows } from '../../platform/jobs/batched-delete';
import { HISTOGRAM_BUCKETS, bucketOf, quantileFromHistogram } from './duration-histogram';
import { EventPartitions } from './event-partitions';
import { EVENT_TABLES } from './event-tables';
import { RollupCompaction } from './rollup-compaction';
import type {
  AnalyticsQuery,
  EventBatch,
  EventData,
  EventStore,
  ExportFormat,
  OverviewData,
  Page,
  PageRequest,
  ReadGate,
  SessionData,
  SessionInput,
  TimeRange,
  UsageData,
  WriteResult,
} from './event-store';
import {
  SettingParams,
  SqlParams,
  eventCondition,
  isEmptyFilter,
  nameTypeCondition,
  rollupsCanAnswer,
} from './sql-params';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The whole batch in one statement (one round trip, atomic on its own), and nothing in it
 * updates a row that other batches of the workspace also update, except each batch's own
 * sessions — so concurrent batches never queue behind each other's locks:
 *
 * - Events are inserted with ON CONFLICT DO NOTHING: a client id sent with its timestamp comes
 *   back with the same (workspace_id, ts, id), which the primary key refuses. A client id sent
 *   without a timestamp lands at a new `ts` each time, so such ids are claimed in `event_ids`
 *   first. `fresh` is what was really stored; everything below is computed from it alone.
 * - Sessions are upserted; `prev_started_at` / `prev_ended_at` are set to what each upsert
 *   replaced, so the RETURNING rows say what to move in the session rollup: a new session adds
 *   one at its start hour; a known one is taken out where it was and put back where it now is.
 *   The same goes for `event_name_sessions.first_at` (the hour a session first used a name).
 * - The rollups only get appended deltas (`event_rollup_deltas` with a sparse duration
 *   histogram, `session_rollup_deltas`), which rollup-compaction.ts folds in later; queries add
 *   the deltas not folded yet, so the numbers are exact from the commit on.
 *
 * A deleted workspace stores nothing (`live` takes a share lock on its row, which the team
 * deletion's update waits for). Upserted rows are fed in key order, so concurrent batches lock
 * shared rows in the same order.
 */
const INGEST_SQL = `
WITH live AS (
  SELECT id FROM workspaces WHERE id = $1 AND deleted_at IS NULL FOR SHARE
),
input AS (
  SELECT t.* FROM json_to_recordset($2::json)
    AS t(id uuid, claim boolean, ts timestamptz, session_id text, name text, type text, user_id text,
         duration_ms float8, duration_bucket smallint, status text, properties jsonb)
  WHERE EXISTS (SELECT 1 FROM live)
),
claimed AS (
  INSERT INTO event_ids (workspace_id, id)
  SELECT $1, id FROM input WHERE claim ORDER BY id
  ON CONFLICT DO NOTHING
  RETURNING id
),
fresh AS (
  INSERT INTO events
    (workspace_id, ts, id, session_id, name, type, user_id, duration_ms, duration_bucket, status, properties)
  SELECT $1, ts, id, session_id, name, type, user_id, duration_ms, duration_bucket, status, properties
    FROM input WHERE NOT claim OR id IN (SELECT id FROM claimed)
  ON CONFLICT DO NOTHING
  RETURNING ts, session_id, name, type, user_id, duration_ms, duration_bucket, status
),
items AS (
  SELECT s.* FROM json_to_recordset($3::json) AS s(id text, user_id text, attributes jsonb)
  WHERE EXISTS (SELECT 1 FROM live)
),
per_session AS (
  SELECT session_id AS id, min(ts) AS started_at, max(ts) AS ended_at, count(*)::int AS events,
         (count(*) FILTER (WHERE status = 'error'))::int AS errors,
         (array_agg(user_id ORDER BY ts DESC) FILTER (WHERE user_id IS NOT NULL))[1] AS user_id
    FROM fresh GROUP BY session_id
),
upserted AS (
  INSERT INTO sessions AS s (workspace_id, id, started_at, ended_at, event_count, error_count, user_id, attributes)
  SELECT $1, p.id, p.started_at, p.ended_at, p.events, p.errors, COALESCE(i.user_id, p.user_id), i.attributes
    FROM per_session p LEFT JOIN items i ON i.id = p.id
   ORDER BY p.id
  ON CONFLICT (workspace_id, id) DO UPDATE SET
    prev_started_at = s.started_at,
    prev_ended_at = s.ended_at,
    prev_user_id = s.user_id,
    started_at = LEAST(s.started_at, EXCLUDED.started_at),
    ended_at = GREATEST(s.ended_at, EXCLUDED.ended_at),
    event_count = s.event_count + EXCLUDED.event_count,
    error_count = s.error_count + EXCLUDED.error_count,
    user_id = COALESCE(EXCLUDED.user_id, s.user_id),
    attributes = CASE WHEN EXCLUDED.attributes IS NULL THEN s.attributes
                      ELSE COALESCE(s.attributes, '{}'::jsonb) || EXCLUDED.attributes END,
    updated_at = now()
  RETURNING started_at, ended_at, prev_started_at, prev_ended_at, user_id, prev_user_id
),
attributed AS (
  UPDATE sessions s SET
    prev_started_at = s.started_at,
    prev_user_id = s.user_id,
    user_id = COALESCE(i.user_id, s.user_id),
    attributes = CASE WHEN i.attributes IS NULL THEN s.attributes
                      ELSE COALESCE(s.attributes, '{}'::jsonb) || i.attributes END,
    updated_at = now()
   FROM items i
  WHERE s.workspace_id = $1 AND s.id = i.id AND i.id NOT IN (SELECT id FROM per_session)
  RETURNING s.started_at, s.prev_started_at, s.user_id, s.prev_user_id
),
-- Sessions whose (user, start day) is new or changed: the user-days table moves them.
user_moves AS (
  SELECT user_id, started_at AS at, 1 AS n FROM (
    SELECT started_at, prev_started_at, user_id, prev_user_id FROM upserted
    UNION ALL SELECT started_at, prev_started_at, user_id, prev_user_id FROM attributed
  ) c
   WHERE user_id IS NOT NULL
     AND (prev_started_at IS NULL OR user_id IS DISTINCT FROM prev_user_id
          OR date_trunc('day', started_at, 'UTC') <> date_trunc('day', prev_started_at, 'UTC'))
  UNION ALL
  SELECT prev_user_id, prev_started_at, -1 FROM (
    SELECT started_at, prev_started_at, user_id, prev_user_id FROM upserted
    UNION ALL SELECT started_at, prev_started_at, user_id, prev_user_id FROM attributed
  ) c
   WHERE prev_user_id IS NOT NULL AND prev_started_at IS NOT NULL
     AND (user_id IS DISTINCT FROM prev_user_id
          OR date_trunc('day', started_at, 'UTC') <> date_trunc('day', prev_started_at, 'UTC'))
),
user_days AS (
  INSERT INTO user_days_monthly AS u (workspace_id, month, user_id, day_sessions, days)
  SELECT $1, month, user_id, counts, tally_days_mask(counts) FROM (
    SELECT (date_trunc('month', at, 'UTC') AT TIME ZONE 'UTC')::date AS month, user_id,
           tally_day_counts(array_agg(extract(day FROM at AT TIME ZONE 'UTC')::int), array_agg(n)) AS counts
      FROM user_moves GROUP BY 1, 2
  ) m
   ORDER BY month, user_id
  ON CONFLICT (workspace_id, month, user_id) DO UPDATE SET
    day_sessions = tally_add_histograms(u.day_sessions, EXCLUDED.day_sessions),
    days = tally_days_mask(tally_add_histograms(u.day_sessions, EXCLUDED.day_sessions))
),
session_moves AS (
  SELECT date_trunc('hour', started_at, 'UTC') AS hour, 1 AS n,
         round(extract(epoch FROM ended_at - started_at) * 1000)::bigint AS ms
    FROM upserted
  UNION ALL
  SELECT date_trunc('hour', prev_started_at, 'UTC'), -1,
         -round(extract(epoch FROM prev_ended_at - prev_started_at) * 1000)::bigint
    FROM upserted WHERE prev_started_at IS NOT NULL
),
session_rollup AS (
  INSERT INTO session_rollup_deltas (workspace_id, hour, sessions, duration_sum_ms)
  SELECT $1, hour, sum(n), sum(ms) FROM session_moves GROUP BY hour
),
name_firsts AS (
  INSERT INTO event_name_sessions AS x (workspace_id, session_id, name, type, first_at)
  SELECT $1, session_id, name, type, min(ts) FROM fresh GROUP BY session_id, name, type ORDER BY 2, 3, 4
  ON CONFLICT (workspace_id, session_id, name, type) DO UPDATE SET
    prev_first_at = x.first_at,
    first_at = EXCLUDED.first_at
  WHERE EXCLUDED.first_at < x.first_at
  RETURNING name, type, first_at, prev_first_at
),
bucketed AS (
  SELECT date_trunc('hour', ts, 'UTC') AS hour, name, type, duration_bucket AS bucket, count(*) AS events,
         count(*) FILTER (WHERE status = 'error') AS errors,
         COALESCE(sum(duration_ms), 0) AS duration_sum, count(duration_ms) AS duration_count
    FROM fresh GROUP BY 1, 2, 3, 4
),
changes AS (
  SELECT hour, name, type, events, errors, duration_sum, duration_count, bucket, 0 AS sessions FROM bucketed
  UNION ALL
  SELECT date_trunc('hour', first_at, 'UTC'), name, type, 0, 0, 0, 0, NULL, 1 FROM name_firsts
  UNION ALL
  SELECT date_trunc('hour', prev_first_at, 'UTC'), name, type, 0, 0, 0, 0, NULL, -1
    FROM name_firsts WHERE prev_first_at IS NOT NULL
),
event_rollup AS (
  INSERT INTO event_rollup_deltas
    (workspace_id, hour, name, type, events, errors, duration_sum_ms, duration_count, buckets, bucket_counts, sessions)
  SELECT $1, hour, name, type, sum(events), sum(errors), sum(duration_sum), sum(duration_count),
         array_agg(bucket) FILTER (WHERE bucket IS NOT NULL),
         array_agg(events::int) FILTER (WHERE bucket IS NOT NULL),
         sum(sessions)
    FROM changes GROUP BY hour, name, type
)
SELECT (SELECT count(*) FROM live)::int AS live, (SELECT count(*) FROM fresh)::int AS stored`;

const EVENT_ROLLUP_COLUMNS = 'workspace_id, name, type, events, errors, duration_sum_ms, duration_count, sessions';

/**
 * The event rollups of an hour-aligned range, in one snapshot (so a fold never changes an
 * answer): whole UTC days from `event_rollups_daily` when `byDay` (its `day` as `hour`), the
 * hours around them from `event_rollups_hourly`, and for the whole range the ingest's deltas not
 * folded yet (rollup-compaction.ts). Every part is bounded by `workspace_id` ($1) and time, which
 * lead each table's key. A 30-day range reads about 30 rows per name instead of 720.
 */
function eventRollups(p: SqlParams, rolled: TimeRange, byDay: boolean): string {
  const days = byDay ? splitByDays(rolled) : { daily: null, hourly: [rolled] };
  const parts: string[] = [];
  if (days.daily) {
    parts.push(`SELECT day AS hour, ${EVENT_ROLLUP_COLUMNS} FROM event_rollups_daily
       WHERE workspace_id = $1 AND day >= ${p.add(days.daily.from, 'timestamptz')} AND day < ${p.add(days.daily.to, 'timestamptz')}`);
  }
  if (days.hourly.length > 0) {
    parts.push(`SELECT hour, ${EVENT_ROLLUP_COLUMNS} FROM event_rollups_hourly
       WHERE workspace_id = $1 AND ${inRanges('hour', days.hourly, p)}`);
  }
  parts.push(`SELECT hour, ${EVENT_ROLLUP_COLUMNS} FROM event_rollup_deltas
     WHERE workspace_id = $1 AND hour >= ${p.add(rolled.from, 'timestamptz')} AND hour < ${p.add(rolled.to, 'timestamptz')}`);
  return `(${parts.join('\n UNION ALL ')})`;
}

/** The session rollups plus the ingest's deltas not folded into them yet, likewise. */
const SESSION_ROLLUPS = `(
  SELECT workspace_id, hour, sessions, duration_sum_ms FROM session_rollups_hourly
  UNION ALL
  SELECT workspace_id, hour, sessions, duration_sum_ms FROM session_rollup_deltas
)`;

const EVENT_COLUMNS = `e.id, e.session_id, e.name, e.type, e.ts, e.user_id, e.duration_ms, e.status, e.properties`;
const SESSION_COLUMNS = `s.id, s.user_id, s.started_at, s.ended_at, s.event_count, s.error_count, s.attributes`;
const SESSION_DURATION_MS = `(extract(epoch FROM s.ended_at - s.started_at) * 1000)`;

interface EventRow {
  id: string;
  session_id: string;
  name: string;
  type: string;
  ts: Date;
  user_id: string | null;
  duration_ms: number | null;
  status: string | null;
  properties: Record<string, unknown> | null;
}

interface SessionRow {
  id: string;
  user_id: string | null;
  started_at: Date;
  ended_at: Date;
  event_count: number;
  error_count: number;
  attributes: Record<string, unknown> | null;
}

/** A range cut at whole hours: the middle from the rollups, the ragged ends from raw rows. */
interface Split {
  rolled: TimeRange | null;
  raw: TimeRange[];
}

function splitByHours(range: TimeRange): Split {
  const start = Math.ceil(range.from.getTime() / HOUR_MS) * HOUR_MS;
  const end = Math.floor(range.to.getTime() / HOUR_MS) * HOUR_MS;
  if (start >= end) return { rolled: null, raw: [range] };
  const raw: TimeRange[] = [];
  if (range.from.getTime() < start) raw.push({ from: range.from, to: new Date(start) });
  if (end < range.to.getTime()) raw.push({ from: new Date(end), to: range.to });
  return { rolled: { from: new Date(start), to: new Date(end) }, raw };
}

/** Whole UTC days of an hour-aligned range, and the hours before and after them. */
function splitByDays(range: TimeRange): { daily: TimeRange | null; hourly: TimeRange[] } {
  const start = Math.ceil(range.from.getTime() / DAY_MS) * DAY_MS;
  const end = Math.floor(range.to.getTime() / DAY_MS) * DAY_MS;
  if (start >= end) return { daily: null, hourly: [range] };
  const hourly: TimeRange[] = [];
  if (range.from.getTime() < start) hourly.push({ from: range.from, to: new Date(start) });
  if (end < range.to.getTime()) hourly.push({ from: new Date(end), to: range.to });
  return { daily: { from: new Date(start), to: new Date(end) }, hourly };
}

/**
 * The months (first day, `YYYY-MM-DD`) a day-aligned range touches, each with the mask of its
 * days inside the range (bit d - 1 for day d), as `user_days_monthly.days` holds them.
 */
function monthMasks(range: TimeRange): Array<{ month: string; mask: string }> {
  const result: Array<{ month: string; mask: string }> = [];
  for (let t = range.from.getTime(); t < range.to.getTime();) {
    const at = new Date(t);
    const monthStart = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
    const monthEnd = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
    const end = Math.min(monthEnd, range.to.getTime());
    let mask = 0n;
    for (let day = t; day < end; day += DAY_MS) mask |= 1n << BigInt(new Date(day).getUTCDate() - 1);
    result.push({ month: new Date(monthStart).toISOString().slice(0, 10), mask: mask.toString() });
    t = end;
  }
  return result;
}

/** `column` within any of `ranges` (FALSE for none). */
function inRanges(column: string, ranges: readonly TimeRange[], params: SqlParams): string {
  if (ranges.length === 0) return 'FALSE';
  return `(${ranges
    .map(
      (r) => `(${column} >= ${params.add(r.from, 'timestamptz')} AND ${column} < ${params.add(r.to, 'timestamptz')})`,
    )
    .join(' OR ')})`;
}

function toNumber(value: string | number | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}

function toEvent(row: EventRow): EventData {
  return {
    id: row.id,
    sessionId: row.session_id,
    name: row.name,
    type: row.type,
    timestamp: row.ts,
    userId: row.user_id,
    durationMs: row.duration_ms,
    status: row.status,
    properties: row.properties,
  };
}

function toSession(row: SessionRow): SessionData {
  return {
    id: row.id,
    userId: row.user_id,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    eventCount: row.event_count,
    errorCount: row.error_count,
    attributes: row.attributes,
  };
}

/** A keyset cursor: a timestamp (to the millisecond, as stored) and an id. */
function readCursor(after: string, idIsUuid: boolean): [Date, string] {
  const { time, id } = decodeKeysetCursor(after, idIsUuid ? 'uuid' : 'text');
  return [time, id];
}

function page<T>(rows: T[], size: number, key: (row: T) => [Date, string]): Page<T> {
  const nodes = rows.slice(0, size);
  const last = nodes.at(-1);
  return {
    nodes,
    hasNextPage: rows.length > size,
    endCursor: last ? encodeCursor(key(last).map((part) => (part instanceof Date ? part.toISOString() : part))) : null,
  };
}

/** Sessions (merged per id: the last user id given, attributes merged in order). */
function mergeSessions(sessions: readonly SessionInput[]): SessionInput[] {
  const byId = new Map<string, SessionInput>();
  for (const session of sessions) {
    const known = byId.get(session.id);
    if (!known) {
      byId.set(session.id, { ...session });
      continue;
    }
    known.userId = session.userId ?? known.userId;
    if (session.attributes) known.attributes = { ...known.attributes, ...session.attributes };
  }
  return [...byId.values()];
}

function isRetryable(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  // deadlock_detected, serialization_failure: the statement did nothing; running it again is safe.
  return code === '40P01' || code === '40001';
}

/** CSV with CRLF line ends (RFC 4180): PostgreSQL ends records with LF; quoted LFs stay as they are. */
class CrlfRecords extends Transform {
  private quoted = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const parts: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i += 1) {
      const byte = chunk[i];
      if (byte === 0x22) this.quoted = !this.quoted;
      else if (byte === 0x0a && !this.quoted) {
        parts.push(chunk.subarray(start, i), CRLF);
        start = i + 1;
      }
    }
    parts.push(chunk.subarray(start));
    done(null, Buffer.concat(parts));
  }
}
const CRLF = Buffer.from('\r\n');

/** The export's rows, read through settings of its own transaction (COPY takes no parameters). */
const EXPORT_WHERE = `e.workspace_id = current_setting('tally.export_workspace')::uuid
  AND e.ts >= current_setting('tally.export_from')::timestamptz
  AND e.ts < current_setting('tally.export_to')::timestamptz`;
const EXPORT_TIMESTAMP = `to_char(e.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/**
 * A text column of the CSV export, with a cell that a spreadsheet would read as a formula made
 * plain text (OWASP "CSV Injection"): one that starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return gets a `'` in front. In SQL, so the export stays one COPY; `ascii()` of the first
 * character is the cheapest test (NULL stays NULL). Only the columns clients write free text into:
 * ids and timestamps are Tally's own format, `status` is `ok` or `error`, `durationMs` is a number
 * (and stays one, `-5` included), `properties` is a JSON object, so its text starts with `{`.
 */
function csvText(column: string): string {
  return `CASE WHEN ascii(${column}) IN (9, 13, 43, 45, 61, 64) THEN '''' || ${column} ELSE ${column} END`;
}

/** The export's COPY; `filter` is a condition on `e` whose values are settings too (SettingParams). */
function exportSql(format: ExportFormat, filter: string): string {
  const where = filter === 'TRUE' ? EXPORT_WHERE : `${EXPORT_WHERE} AND ${filter}`;
  if (format === 'csv') {
    return `COPY (
    SELECT e.id, ${EXPORT_TIMESTAMP} AS "timestamp", ${csvText('e.session_id')} AS "sessionId",
           ${csvText('e.name')} AS name, ${csvText('e.type')} AS type, ${csvText('e.user_id')} AS "userId",
           e.duration_ms AS "durationMs", e.status, e.properties
      FROM events e WHERE ${where} ORDER BY e.ts, e.id
  ) TO STDOUT WITH (FORMAT csv, HEADER true)`;
  }
  // JSON text never holds a raw control character (json_build_object escapes them), so with
  // CSV framing, a quote and a delimiter it cannot contain, every line goes out exactly as built:
  // unlike COPY's text format, which would double every backslash.
  return `COPY (
    SELECT json_build_object('id', e.id, 'timestamp', ${EXPORT_TIMESTAMP}, 'sessionId', e.session_id,
             'name', e.name, 'type', e.type, 'userId', e.user_id, 'durationMs', e.duration_ms,
             'status', e.status, 'properties', e.properties)::text
      FROM events e WHERE ${where} ORDER BY e.ts, e.id
  ) TO STDOUT WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')`;
}

/** The analytics reads' own pool (its connections start with a `statement_timeout`). */
export interface AnalyticsReadPool {
  pool: Pool;
  /** The pool's statement_timeout, for the message of a statement it stopped. */
  statementTimeoutMs: number;
}

/** Event storage in PostgreSQL: monthly partitions of raw events, sessions and hourly rollups. */
export class PostgresEventStore implements EventStore {
  readonly partitions: EventPartitions;
  /** Folds the ingest's rollup deltas into the rollups (a job runs it). */
  readonly compaction: RollupCompaction;

  /** Where the analytics statements run: a pool of their own, so they never hold up ingest. */
  private readonly readPool: Pool;
  private readonly statementTimeoutMs: number | null;

  constructor(
    /** Ingest, partitions, compaction, exports. */
    private readonly pool: Pool,
    /** For the batched purge. */
    private readonly db: DataSource,
    logger: Logger | null = null,
    reads: AnalyticsReadPool | null = null,
  ) {
    this.partitions = new EventPartitions(pool);
    this.compaction = new RollupCompaction(pool, logger);
    this.readPool = reads?.pool ?? pool;
    this.statementTimeoutMs = reads?.statementTimeoutMs ?? null;
  }

  /**
   * One analytics statement on the read pool, through the request's gate when there is one. A
   * statement the pool's `statement_timeout` stopped is the caller's too-wide question, not a
   * fault: BAD_USER_INPUT saying what to narrow.
   */
  private read<R extends QueryResultRow>(
    gate: ReadGate | undefined,
    text: string,
    values: unknown[],
  ): Promise<QueryResult<R>> {
    const run = () =>
      this.readPool.query<R>(text, values).catch((error: unknown) => {
        throw isStatementTimeout(error) ? tooSlow(this.statementTimeoutMs) : error;
      });
    return gate ? gate(run) : run();
  }

  prepareAhead(now: Date): Promise<void> {
    return this.partitions.ensureAhead(now);
  }

  async writeBatch(workspaceId: string, batch: EventBatch): Promise<WriteResult> {
    // A client id twice in one batch: the first copy counts.
    const seen = new Set<string>();
    const events = batch.events.filter((event) => {
      if (!event.clientId) return true;
      if (seen.has(event.id)) return false;
      seen.add(event.id);
      return true;
    });
    const sessions = mergeSessions(batch.sessions);
    await this.partitions.ensureFor(events.map((event) => event.timestamp));
    // Two JSON parameters, not an array per column: one native JSON.stringify instead of
    // escaping every element of a dozen arrays (the array encoding cost more than the parse).
    const values = [
      workspaceId,
      JSON.stringify(
        events.map((e) => ({
          id: e.id,
          // Claimed in event_ids: client ids without a client timestamp (see INGEST_SQL).
          claim: e.clientId && !e.clientTimestamp,
          ts: e.timestamp.toISOString(),
          session_id: e.sessionId,
          name: e.name,
          type: e.type,
          user_id: e.userId,
          duration_ms: e.durationMs,
          duration_bucket: e.durationMs === null ? null : bucketOf(e.durationMs),
          status: e.status,
          properties: e.properties,
        })),
      ),
      JSON.stringify(sessions.map((s) => ({ id: s.id, user_id: s.userId, attributes: s.attributes }))),
    ];
    for (let attempt = 1; ; attempt += 1) {
      try {
        // Named: each connection plans it once, not on every batch.
        const { rows } = await this.pool.query<{ live: number; stored: number }>({
          name: 'tally-ingest',
          text: INGEST_SQL,
          values,
        });
        const row = rows[0];
        if (!row || row.live === 0) throw notFound('Workspace');
        this.compaction.noteStored(row.stored);
        return { stored: row.stored, duplicates: batch.events.length - row.stored };
      } catch (error) {
        if (attempt < 3 && isRetryable(error)) continue;
        throw error;
      }
    }
  }

  async overview(query: AnalyticsQuery, interval: Interval, gate?: ReadGate): Promise<OverviewData> {
    const unit = interval === Interval.HOUR ? 'hour' : 'day';
    const split: Split = isEmptyFilter(query.filters) ? splitByHours(query) : { rolled: null, raw: [query] };
    const ws = query.workspaceId;

    const rp = new SqlParams(ws, unit);
    const rolledEvents = split.rolled
      ? this.read<{ bucket: Date; events: string; errors: string }>(
          gate,
          `SELECT date_trunc($2, r.hour, 'UTC') AS bucket, sum(r.events) AS events, sum(r.errors) AS errors
             FROM ${eventRollups(rp, split.rolled, unit === 'day')} r GROUP BY 1`,
          rp.values,
        )
      : null;
    const rolledSessions = split.rolled
      ? this.read<{ bucket: Date; sessions: string; duration: string }>(
          gate,
          `SELECT date_trunc($2, r.hour, 'UTC') AS bucket, sum(r.sessions) AS sessions,
                  sum(r.duration_sum_ms) AS duration
             FROM ${SESSION_ROLLUPS} r WHERE r.workspace_id = $1 AND r.hour >= $3 AND r.hour < $4 GROUP BY 1`,
          [ws, unit, split.rolled.from, split.rolled.to],
        )
      : null;

    const ep = new SqlParams(ws, unit);
    const rawEvents =
      split.raw.length === 0
        ? null
        : this.read<{ bucket: Date; events: string; errors: string }>(
            gate,
            `SELECT date_trunc($2, e.ts, 'UTC') AS bucket, count(*) AS events,
                    count(*) FILTER (WHERE e.status = 'error') AS errors
               FROM events e
              WHERE e.workspace_id = $1 AND ${inRanges('e.ts', split.raw, ep)} AND ${eventCondition(query.filters, ep, 'e')}
              GROUP BY 1`,
            ep.values,
          );

    const sp = new SqlParams(ws, unit);
    const sessionsWhere = (params: SqlParams, ranges: readonly TimeRange[]) =>
      `s.workspace_id = $1 AND ${inRanges('s.started_at', ranges, params)}${this.matchingEvent(query, params)}`;
    const rawSessions =
      split.raw.length === 0
        ? null
        : this.read<{ bucket: Date; sessions: string; duration: string | null }>(
            gate,
            `SELECT date_trunc($2, s.started_at, 'UTC') AS bucket, count(*) AS sessions,
                    sum(${SESSION_DURATION_MS}) AS duration
               FROM sessions s WHERE ${sessionsWhere(sp, split.raw)} GROUP BY 1`,
            sp.values,
          );
    const users = this.distinctUsers(query, sessionsWhere, gate);

    const [re, rs, we, ws2, u] = await Promise.all([rolledEvents, rolledSessions, rawEvents, rawSessions, users]);
    const step = unit === 'hour' ? HOUR_MS : DAY_MS;
    const first = Math.floor(query.from.getTime() / step) * step;
    const points = new Map<number, { at: Date; sessions: number; events: number }>();
    for (let t = first; t < query.to.getTime(); t += step) points.set(t, { at: new Date(t), sessions: 0, events: 0 });
    const point = (bucket: Date) => {
      const key = bucket.getTime();
      let found = points.get(key);
      if (!found) {
        found = { at: bucket, sessions: 0, events: 0 };
        points.set(key, found);
      }
      return found;
    };
    let events = 0;
    let errors = 0;
    let sessions = 0;
    let duration = 0;
    for (const row of [...(re?.rows ?? []), ...(we?.rows ?? [])]) {
      point(row.bucket).events += toNumber(row.events);
      events += toNumber(row.events);
      errors += toNumber(row.errors);
    }
    for (const row of [...(rs?.rows ?? []), ...(ws2?.rows ?? [])]) {
      point(row.bucket).sessions += toNumber(row.sessions);
      sessions += toNumber(row.sessions);
      duration += toNumber(row.duration);
    }
    return {
      sessions,
      events,
      errors,
      users: toNumber(u.rows[0]?.users),
      avgSessionDurationMs: sessions > 0 ? duration / sessions : null,
      series: [...points.values()].sort((a, b) => a.at.getTime() - b.at.getTime()),
    };
  }

  /**
   * Distinct users of the sessions that started in the range (and, when filtered, had a matching
   * event there). Unfiltered, whole UTC days come from `user_days_monthly` (one row per user and
   * month, its day mask tested against the range's days) and only the ragged ends from the
   * sessions themselves; a UNION counts each user once.
   */
  private distinctUsers(
    query: AnalyticsQuery,
    sessionsWhere: (params: SqlParams, ranges: readonly TimeRange[]) => string,
    gate: ReadGate | undefined,
  ): Promise<{ rows: Array<{ users: string }> }> {
    const p = new SqlParams(query.workspaceId);
    const days = isEmptyFilter(query.filters) ? splitByDays(query) : null;
    if (!days?.daily) {
      return this.read<{ users: string }>(
        gate,
        // DISTINCT in a subquery is hashed; count(DISTINCT …) would sort (≈ 4× slower here).
        `SELECT count(*) AS users FROM (SELECT DISTINCT s.user_id FROM sessions s
           WHERE ${sessionsWhere(p, [query])} AND s.user_id IS NOT NULL) AS u`,
        p.values,
      );
    }
    const months = monthMasks(days.daily).map(
      ({ month, mask }) => `(u.month = ${p.add(month, 'date')} AND u.days & ${p.add(mask, 'bigint')} <> 0)`,
    );
    return this.read<{ users: string }>(
      gate,
      `SELECT count(*) AS users FROM (
         SELECT u.user_id FROM user_days_monthly u WHERE u.workspace_id = $1 AND (${months.join(' OR ')})
         UNION
         SELECT s.user_id FROM sessions s
          WHERE s.workspace_id = $1 AND ${inRanges('s.started_at', days.hourly, p)} AND s.user_id IS NOT NULL
       ) AS x`,
      p.values,
    );
  }

  /** ` AND` a matching event of the session in the range, when the query is filtered. */
  private matchingEvent(query: AnalyticsQuery, params: SqlParams): string {
    if (isEmptyFilter(query.filters)) return '';
    return ` AND EXISTS (SELECT 1 FROM events e
       WHERE e.workspace_id = s.workspace_id AND e.session_id = s.id
         AND e.ts >= ${params.add(query.from, 'timestamptz')} AND e.ts < ${params.add(query.to, 'timestamptz')}
         AND ${eventCondition(query.filters, params, 'e')})`;
  }

  async toolsUsage(query: AnalyticsQuery, limit: number, gate?: ReadGate): Promise<UsageData[]> {
    const ws = query.workspaceId;
    const split: Split = rollupsCanAnswer(query.filters) ? splitByHours(query) : { rolled: null, raw: [query] };
    type Counts = { name: string; type: string; events: string; errors: string; dsum: number | null; dcount: string };
    type Buckets = { name: string; type: string; bucket: number; n: string };
    type Sessions = { name: string; type: string; sessions: string };
    const work: Array<Promise<{ counts?: Counts[]; buckets?: Buckets[]; sessions?: Sessions[] }>> = [];

    if (split.rolled) {
      const p = new SqlParams(ws);
      const source = eventRollups(p, split.rolled, true);
      work.push(
        this.read<Counts & { sessions: string }>(
          gate,
          `SELECT r.name, r.type, sum(r.events) AS events, sum(r.errors) AS errors, sum(r.duration_sum_ms) AS dsum,
                    sum(r.duration_count) AS dcount, sum(r.sessions) AS sessions
               FROM ${source} r WHERE ${nameTypeCondition(query.filters, p, 'r')} GROUP BY 1, 2`,
          p.values,
        ).then(({ rows }) => ({ counts: rows, sessions: rows })),
      );
      // Histograms: the deltas not folded yet (sparse), then what was folded: whole days from
      // the daily table, the hours around them from the hourly one.
      const xp = new SqlParams(ws, split.rolled.from, split.rolled.to);
      work.push(
        this.read<Buckets>(
          gate,
          `SELECT x.name, x.type, u.bucket::int AS bucket, sum(u.n) AS n
               FROM event_rollup_deltas x
               CROSS JOIN LATERAL unnest(x.buckets, x.bucket_counts) AS u(bucket, n)
              WHERE x.workspace_id = $1 AND x.hour >= $2 AND x.hour < $3 AND ${nameTypeCondition(query.filters, xp, 'x')}
              GROUP BY 1, 2, 3`,
          xp.values,
        ).then(({ rows }) => ({ buckets: rows })),
      );
      const days = splitByDays(split.rolled);
      if (days.daily) {
        const dp = new SqlParams(ws, days.daily.from, days.daily.to);
        work.push(
          this.read<Buckets>(
            gate,
            `SELECT d.name, d.type, (u.i - 1)::int AS bucket, sum(u.c) AS n
                 FROM event_rollups_daily d
                 CROSS JOIN LATERAL unnest(d.duration_histogram) WITH ORDINALITY AS u(c, i)
                WHERE d.workspace_id = $1 AND d.day >= $2 AND d.day < $3
                  AND ${nameTypeCondition(query.filters, dp, 'd')} AND u.c > 0
                GROUP BY 1, 2, 3`,
            dp.values,
          ).then(({ rows }) => ({ buckets: rows })),
        );
      }
      if (days.hourly.length > 0) {
        const hp = new SqlParams(ws);
        work.push(
          this.read<Buckets>(
            gate,
            `SELECT r.name, r.type, (u.i - 1)::int AS bucket, sum(u.c) AS n
                 FROM event_rollups_hourly r
                 CROSS JOIN LATERAL unnest(r.duration_histogram) WITH ORDINALITY AS u(c, i)
                WHERE r.workspace_id = $1 AND ${inRanges('r.hour', days.hourly, hp)}
                  AND ${nameTypeCondition(query.filters, hp, 'r')} AND r.duration_count > 0 AND u.c > 0
                GROUP BY 1, 2, 3`,
            hp.values,
          ).then(({ rows }) => ({ buckets: rows })),
        );
      }
    }
    if (split.raw.length > 0) {
      const p = new SqlParams(ws);
      const where = `e.workspace_id = $1 AND ${inRanges('e.ts', split.raw, p)} AND ${eventCondition(query.filters, p, 'e')}`;
      work.push(
        this.read<Counts>(
          gate,
          `SELECT e.name, e.type, count(*) AS events, count(*) FILTER (WHERE e.status = 'error') AS errors,
                    sum(e.duration_ms) AS dsum, count(e.duration_ms) AS dcount
               FROM events e WHERE ${where} GROUP BY 1, 2`,
          p.values,
        ).then(({ rows }) => ({ counts: rows })),
        this.read<Buckets>(
          gate,
          `SELECT e.name, e.type, e.duration_bucket AS bucket, count(*) AS n
               FROM events e WHERE ${where} AND e.duration_bucket IS NOT NULL GROUP BY 1, 2, 3`,
          p.values,
        ).then(({ rows }) => ({ buckets: rows })),
      );
      // A session counts for a name in the range where it first used that name.
      const sp = new SqlParams(ws);
      const sessionsSql = split.rolled
        ? // The ragged ends of an unfiltered (or name/type-filtered) range.
          `SELECT x.name, x.type, count(*) AS sessions FROM event_name_sessions x
            WHERE x.workspace_id = $1 AND ${inRanges('x.first_at', split.raw, sp)}
              AND ${nameTypeCondition(query.filters, sp, 'x')} GROUP BY 1, 2`
        : `SELECT e.name, e.type, count(DISTINCT e.session_id) AS sessions
             FROM events e JOIN event_name_sessions x
               ON x.workspace_id = e.workspace_id AND x.session_id = e.session_id AND x.name = e.name AND x.type = e.type
            WHERE e.workspace_id = $1 AND ${inRanges('e.ts', split.raw, sp)} AND ${inRanges('x.first_at', split.raw, sp)}
              AND ${eventCondition(query.filters, sp, 'e')}
            GROUP BY 1, 2`;
      work.push(this.read<Sessions>(gate, sessionsSql, sp.values).then(({ rows }) => ({ sessions: rows })));
    }

    const rows = new Map<
      string,
      { data: UsageData; durationSum: number; durationCount: number; histogram: number[] }
    >();
    const entry = (name: string, type: string) => {
      const key = `${name}\u0000${type}`;
      let found = rows.get(key);
      if (!found) {
        found = {
          data: { name, type, count: 0, sessions: 0, errors: 0, avgDurationMs: null, p95DurationMs: null },
          durationSum: 0,
          durationCount: 0,
          histogram: new Array<number>(HISTOGRAM_BUCKETS).fill(0),
        };
        rows.set(key, found);
      }
      return found;
    };
    for (const part of await Promise.all(work)) {
      for (const row of part.counts ?? []) {
        const e = entry(row.name, row.type);
        e.data.count += toNumber(row.events);
        e.data.errors += toNumber(row.errors);
        e.durationSum += toNumber(row.dsum);
        e.durationCount += toNumber(row.dcount);
      }
      for (const row of part.sessions ?? []) entry(row.name, row.type).data.sessions += toNumber(row.sessions);
      for (const row of part.buckets ?? []) {
        const histogram = entry(row.name, row.type).histogram;
        histogram[row.bucket] = (histogram[row.bucket] ?? 0) + toNumber(row.n);
      }
    }
    return [...rows.values()]
      .filter((e) => e.data.count > 0)
      .map((e) => ({
        ...e.data,
        avgDurationMs: e.durationCount > 0 ? e.durationSum / e.durationCount : null,
        p95DurationMs: quantileFromHistogram(e.histogram, 0.95),
      }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name) || a.type.localeCompare(b.type))
      .slice(0, limit);
  }

  async sessions(query: AnalyticsQuery, request: PageRequest, gate?: ReadGate): Promise<Page<SessionData>> {
    const p = new SqlParams(query.workspaceId, query.from, query.to);
    let keyset = '';
    if (request.after) {
      const [at, id] = readCursor(request.after, false);
      keyset = ` AND (s.started_at, s.id) < (${p.add(at, 'timestamptz')}, ${p.add(id, 'text')})`;
    }
    const matching = this.matchingEvent(query, p);
    const { rows } = await this.read<SessionRow>(
      gate,
      `SELECT ${SESSION_COLUMNS} FROM sessions s
        WHERE s.workspace_id = $1 AND s.started_at >= $2 AND s.started_at < $3${matching}${keyset}
        ORDER BY s.started_at DESC, s.id DESC LIMIT ${p.add(request.first + 1, 'int')}`,
      p.values,
    );
    return page(rows.map(toSession), request.first, (s) => [s.startedAt, s.id]);
  }

  async session(workspaceId: string, id: string, gate?: ReadGate): Promise<SessionData | null> {
    const { rows } = await this.read<SessionRow>(
      gate,
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.workspace_id = $1 AND s.id = $2`,
      [workspaceId, id],
    );
    const row = rows[0];
    return row ? toSession(row) : null;
  }

  async sessionEvents(
    workspaceId: string,
    session: SessionData,
    request: PageRequest,
    gate?: ReadGate,
  ): Promise<Page<EventData>> {
    // Bounded by the session's own span, so only the partitions it touches are read.
    const p = new SqlParams(workspaceId, session.id, session.startedAt, session.endedAt);
    let keyset = '';
    if (request.after) {
      const [at, id] = readCursor(request.after, true);
      keyset = ` AND (e.ts, e.id) > (${p.add(at, 'timestamptz')}, ${p.add(id, 'uuid')})`;
    }
    const { rows } = await this.read<EventRow>(
      gate,
      `SELECT ${EVENT_COLUMNS} FROM events e
        WHERE e.workspace_id = $1 AND e.session_id = $2 AND e.ts >= $3 AND e.ts <= $4${keyset}
        ORDER BY e.ts, e.id LIMIT ${p.add(request.first + 1, 'int')}`,
      p.values,
    );
    return page(rows.map(toEvent), request.first, (e) => [e.timestamp, e.id]);
  }

  async activity(query: AnalyticsQuery, request: PageRequest, gate?: ReadGate): Promise<Page<EventData>> {
    const p = new SqlParams(query.workspaceId, query.from, query.to);
    let keyset = '';
    if (request.after) {
      const [at, id] = readCursor(request.after, true);
      keyset = ` AND (e.ts, e.id) < (${p.add(at, 'timestamptz')}, ${p.add(id, 'uuid')})`;
    }
    const { rows } = await this.read<EventRow>(
      gate,
      `SELECT ${EVENT_COLUMNS} FROM events e
        WHERE e.workspace_id = $1 AND e.ts >= $2 AND e.ts < $3 AND ${eventCondition(query.filters, p, 'e')}${keyset}
        ORDER BY e.ts DESC, e.id DESC LIMIT ${p.add(request.first + 1, 'int')}`,
      p.values,
    );
    return page(rows.map(toEvent), request.first, (e) => [e.timestamp, e.id]);
  }

  async exportEvents(query: AnalyticsQuery, format: ExportFormat): Promise<Readable> {
    // The analytics queries' own filter condition, its values read from settings (COPY takes no parameters).
    const filterParams = new SettingParams('tally.export_p');
    const filter = eventCondition(query.filters, filterParams, 'e');
    const settings = [
      { name: 'tally.export_workspace', value: query.workspaceId },
      { name: 'tally.export_from', value: query.from.toISOString() },
      { name: 'tally.export_to', value: query.to.toISOString() },
      ...filterParams.settings,
    ];
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(
        `SELECT set_config(s.name, s.value, true) FROM unnest($1::text[], $2::text[]) AS s(name, value)`,
        [settings.map((s) => s.name), settings.map((s) => s.value)],
      );
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    const copy = client.query(copyTo(exportSql(format, filter)));
    let released = false;
    const release = (error?: Error) => {
      if (released) return;
      released = true;
      if (error) {
        // Closing the connection is what stops a COPY … TO that nobody reads any more.
        client.release(error);
        return;
      }
      client.query('COMMIT').then(
        () => client.release(),
        (commitError: unknown) => client.release(commitError instanceof Error ? commitError : true),
      );
    };
    if (format === 'ndjson') {
      copy.once('end', () => release());
      copy.once('close', () => release(new Error('export stopped before its end')));
      copy.once('error', (error) => release(error));
      return copy;
    }
    const output = new CrlfRecords();
    pipeline(copy, output, (error) => release(error ?? undefined));
    return output;
  }

  async purge(workspaceId: string, options: BatchedDeleteOptions = {}): Promise<{ done: boolean }> {
    const result = await purgeWorkspaceRows(this.db, workspaceId, EVENT_TABLES, options);
    return { done: result.done };
  }
}
