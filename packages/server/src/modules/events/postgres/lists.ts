import type { Pool } from 'pg';
import { DEFAULT_SESSION_ORDER, OrderDirection, SessionOrderField } from '@tally/shared';
import type {
  AnalyticsQuery,
  EventData,
  EventKey,
  Page,
  PageRequest,
  ReadGate,
  ScanOptions,
  SessionData,
  SessionPageRequest,
} from '../event-store';
import { SqlParams, eventCondition } from './filter-sql';
import { matchingEvent } from './overview';
import type { AnalyticsSql } from './read-pool';

const EVENT_COLUMNS = `e.id, e.session_id, e.name, e.type, e.ts, e.user_id, e.duration_ms, e.status, e.properties`;
const SESSION_COLUMNS = `s.id, s.user_id, s.started_at, s.ended_at, s.event_count, s.error_count, s.attributes`;

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

/** A page of `size` from `size + 1` rows read: the extra one only says there is a next page. */
function page<T>(rows: T[], size: number): Page<T> {
  return { nodes: rows.slice(0, size), hasNextPage: rows.length > size };
}

/**
 * What a list of sessions is sorted by, per field: the expression, and its key's placeholder
 * (`SessionKey.value`, session-order.ts: a start in epoch milliseconds, else a whole number).
 */
const SESSION_ORDER: Record<SessionOrderField, { expr: string; key: (value: number, p: SqlParams) => string }> = {
  [SessionOrderField.STARTED_AT]: { expr: 's.started_at', key: (v, p) => p.add(new Date(v), 'timestamptz') },
  // Exact (numeric): times are kept to the millisecond.
  [SessionOrderField.DURATION]: {
    expr: '(extract(epoch FROM s.ended_at - s.started_at) * 1000)',
    key: (v, p) => p.add(String(v), 'numeric'),
  },
  [SessionOrderField.EVENTS]: { expr: 's.event_count', key: (v, p) => p.add(String(v), 'bigint') },
  [SessionOrderField.ERRORS]: { expr: 's.error_count', key: (v, p) => p.add(String(v), 'bigint') },
};

/**
 * Sessions of the range in the order asked: by its expression, then id, both the same way, so
 * the keyset `(expr, id) > / < (key)` continues exactly after the last one shown. Other orders
 * than the start sort the range's sessions (found through `sessions_started_idx`).
 */
export async function sessions(
  sql: AnalyticsSql,
  query: AnalyticsQuery,
  request: SessionPageRequest,
  gate?: ReadGate,
): Promise<Page<SessionData>> {
  const { field, direction } = request.order ?? DEFAULT_SESSION_ORDER;
  const { expr, key } = SESSION_ORDER[field];
  const [dir, beyond] = direction === OrderDirection.ASC ? ['ASC', '>'] : ['DESC', '<'];
  const p = new SqlParams(query.workspaceId, query.from, query.to);
  const keyset = request.after
    ? ` AND (${expr}, s.id) ${beyond} (${key(request.after.value, p)}, ${p.add(request.after.id, 'text')})`
    : '';
  const matching = matchingEvent(query, p);
  const { rows } = await sql.read<SessionRow>(
    gate,
    `SELECT ${SESSION_COLUMNS} FROM sessions s
      WHERE s.workspace_id = $1 AND s.started_at >= $2 AND s.started_at < $3${matching}${keyset}
      ORDER BY ${expr} ${dir}, s.id ${dir} LIMIT ${p.add(request.first + 1, 'int')}`,
    p.values,
  );
  return page(rows.map(toSession), request.first);
}

/** The sessions of the range, counted on `sessions_started_idx` (and a matching event, when filtered). */
export async function countSessions(sql: AnalyticsSql, query: AnalyticsQuery, gate?: ReadGate): Promise<number> {
  const p = new SqlParams(query.workspaceId, query.from, query.to);
  const matching = matchingEvent(query, p);
  const { rows } = await sql.read<{ n: string }>(
    gate,
    `SELECT count(*) AS n FROM sessions s
      WHERE s.workspace_id = $1 AND s.started_at >= $2 AND s.started_at < $3${matching}`,
    p.values,
  );
  return Number(rows[0]?.n ?? 0);
}

export async function session(
  sql: AnalyticsSql,
  workspaceId: string,
  id: string,
  gate?: ReadGate,
): Promise<SessionData | null> {
  const { rows } = await sql.read<SessionRow>(
    gate,
    `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.workspace_id = $1 AND s.id = $2`,
    [workspaceId, id],
  );
  const row = rows[0];
  return row ? toSession(row) : null;
}

export async function sessionEvents(
  sql: AnalyticsSql,
  workspaceId: string,
  sessionId: string,
  request: PageRequest<EventKey>,
  gate?: ReadGate,
): Promise<Page<EventData>> {
  const p = new SqlParams(workspaceId, sessionId);
  const keyset = request.after
    ? ` AND (e.ts, e.id) > (${p.add(request.after.ts, 'timestamptz')}, ${p.add(request.after.id, 'uuid')})`
    : '';
  // Bounded by the session's own span (its row, read once as an InitPlan), so that only the
  // partitions it touches are read (run-time partition pruning).
  const { rows } = await sql.read<EventRow>(
    gate,
    `SELECT ${EVENT_COLUMNS} FROM events e
      WHERE e.workspace_id = $1 AND e.session_id = $2
        AND e.ts >= (SELECT started_at FROM sessions WHERE workspace_id = $1 AND id = $2)
        AND e.ts <= (SELECT ended_at FROM sessions WHERE workspace_id = $1 AND id = $2)${keyset}
      ORDER BY e.ts, e.id LIMIT ${p.add(request.first + 1, 'int')}`,
    p.values,
  );
  return page(rows.map(toEvent), request.first);
}

export async function activity(
  sql: AnalyticsSql,
  query: AnalyticsQuery,
  request: PageRequest<EventKey>,
  gate?: ReadGate,
): Promise<Page<EventData>> {
  const p = new SqlParams(query.workspaceId, query.from, query.to);
  const keyset = request.after
    ? ` AND (e.ts, e.id) < (${p.add(request.after.ts, 'timestamptz')}, ${p.add(request.after.id, 'uuid')})`
    : '';
  const { rows } = await sql.read<EventRow>(
    gate,
    `SELECT ${EVENT_COLUMNS} FROM events e
      WHERE e.workspace_id = $1 AND e.ts >= $2 AND e.ts < $3 AND ${eventCondition(query.filters, p, 'e')}${keyset}
      ORDER BY e.ts DESC, e.id DESC LIMIT ${p.add(request.first + 1, 'int')}`,
    p.values,
  );
  return page(rows.map(toEvent), request.first);
}

/**
 * The matching events of a range in `(ts, id)` order, a keyset page at a time (each page its own
 * short statement on `pool`, so nothing holds a connection between batches).
 */
export async function* scanEvents(
  pool: Pool,
  query: AnalyticsQuery,
  options: ScanOptions = {},
): AsyncGenerator<EventData[]> {
  const size = options.batchSize ?? 1000;
  let after: EventKey | null = null;
  for (;;) {
    if (options.signal?.aborted) return;
    const p = new SqlParams(query.workspaceId, query.from, query.to);
    const keyset: string = after
      ? ` AND (e.ts, e.id) > (${p.add(after.ts, 'timestamptz')}, ${p.add(after.id, 'uuid')})`
      : '';
    const { rows }: { rows: EventRow[] } = await pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events e
        WHERE e.workspace_id = $1 AND e.ts >= $2 AND e.ts < $3 AND ${eventCondition(query.filters, p, 'e')}${keyset}
        ORDER BY e.ts, e.id LIMIT ${p.add(size, 'int')}`,
      p.values,
    );
    const last: EventRow | undefined = rows.at(-1);
    if (!last) return;
    yield rows.map(toEvent);
    if (rows.length < size) return;
    after = { ts: last.ts, id: last.id };
  }
}
