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
import { sessionsInRange } from './analytics';
import { ChParams, type ChReads, type Tables, eventCondition, num } from './sql';

type EventRow = {
  id: string;
  session_id: string;
  name: string;
  type: string;
  ms: string;
  user_id: string | null;
  duration_ms: number | null;
  status: string | null;
  properties: string | null;
};

const EVENT_COLUMNS = `id, session_id, name, type, toUnixTimestamp64Milli(ts) AS ms, user_id, duration_ms, status, properties`;

function toEvent(row: EventRow): EventData {
  return {
    id: row.id,
    sessionId: row.session_id,
    name: row.name,
    type: row.type,
    timestamp: new Date(num(row.ms)),
    userId: row.user_id,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    status: row.status,
    properties: row.properties === null ? null : (JSON.parse(row.properties) as Record<string, unknown>),
  };
}

function pageOf<T>(rows: T[], size: number): Page<T> {
  return { nodes: rows.slice(0, size), hasNextPage: rows.length > size };
}

type SessionRow = { session_id: string; started: string; ended: string; event_count: string; error_count: string };

/**
 * Sessions as SessionData: their stats, and what batches said of their user and attributes
 * (`session_updates`, in write order: the latest user wins, attributes merge shallowly).
 */
async function withUpdates(
  reads: ChReads,
  t: Tables,
  workspaceId: string,
  rows: SessionRow[],
  gate?: ReadGate,
): Promise<SessionData[]> {
  if (rows.length === 0) return [];
  const p = new ChParams();
  const updates = await reads.rows<{ session_id: string; user_id: string | null; attributes: string | null }>(
    gate,
    `SELECT session_id, user_id, attributes FROM ${t.sessionUpdates}
      WHERE workspace_id = ${p.add(workspaceId, 'UUID')} AND session_id IN ${p.add(
        rows.map((r) => r.session_id),
        'Array(String)',
      )}
      ORDER BY session_id, seq`,
    p,
  );
  const said = new Map<string, { userId: string | null; attributes: Record<string, unknown> | null }>();
  for (const update of updates) {
    const known = said.get(update.session_id) ?? { userId: null, attributes: null };
    if (update.user_id !== null) known.userId = update.user_id;
    if (update.attributes !== null) {
      known.attributes = { ...known.attributes, ...(JSON.parse(update.attributes) as Record<string, unknown>) };
    }
    said.set(update.session_id, known);
  }
  return rows.map((row) => ({
    id: row.session_id,
    userId: said.get(row.session_id)?.userId ?? null,
    startedAt: new Date(num(row.started)),
    endedAt: new Date(num(row.ended)),
    eventCount: num(row.event_count),
    errorCount: num(row.error_count),
    attributes: said.get(row.session_id)?.attributes ?? null,
  }));
}

/**
 * What a list of sessions is sorted by, per field, over `sessionsInRange`'s columns; each a whole
 * number (times in milliseconds), as `SessionKey.value` is (session-order.ts).
 */
const SESSION_ORDER: Record<SessionOrderField, string> = {
  [SessionOrderField.STARTED_AT]: 'toInt64(started)',
  [SessionOrderField.DURATION]: 'toInt64(ended - started)',
  [SessionOrderField.EVENTS]: 'toInt64(event_count)',
  [SessionOrderField.ERRORS]: 'toInt64(error_count)',
};

/** Sessions of the range in the order asked: by its value, then id, both the same way (keyset after `page.after`). */
export async function sessions(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  page: SessionPageRequest,
  gate?: ReadGate,
): Promise<Page<SessionData>> {
  const { field, direction } = page.order ?? DEFAULT_SESSION_ORDER;
  const expr = SESSION_ORDER[field];
  const [dir, beyond] = direction === OrderDirection.ASC ? ['ASC', '>'] : ['DESC', '<'];
  const p = new ChParams();
  const after = page.after
    ? `WHERE (${expr}, session_id) ${beyond} (${p.add(page.after.value, 'Int64')}, ${p.add(page.after.id, 'String')})`
    : '';
  const rows = await reads.rows<SessionRow>(
    gate,
    `SELECT * FROM (${sessionsInRange(t, query, p)}) ${after}
      ORDER BY ${expr} ${dir}, session_id ${dir} LIMIT ${p.add(page.first + 1, 'UInt32')}`,
    p,
  );
  const found = pageOf(rows, page.first);
  return { nodes: await withUpdates(reads, t, query.workspaceId, found.nodes, gate), hasNextPage: found.hasNextPage };
}

/** The sessions of the range (with a matching event, when filtered), counted from `session_stats`. */
export async function countSessions(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  gate?: ReadGate,
): Promise<number> {
  const p = new ChParams();
  const rows = await reads.rows<{ n: string }>(gate, `SELECT count() AS n FROM (${sessionsInRange(t, query, p)})`, p);
  return num(rows[0]?.n);
}

async function sessionStats(
  reads: ChReads,
  t: Tables,
  workspaceId: string,
  id: string,
  gate?: ReadGate,
): Promise<SessionRow | null> {
  const p = new ChParams();
  const rows = await reads.rows<SessionRow>(
    gate,
    `SELECT session_id, toUnixTimestamp64Milli(min(started_at)) AS started, toUnixTimestamp64Milli(max(ended_at)) AS ended,
            sum(event_count) AS event_count, sum(error_count) AS error_count
       FROM ${t.sessionStats}
      WHERE workspace_id = ${p.add(workspaceId, 'UUID')} AND session_id = ${p.add(id, 'String')}
      GROUP BY session_id`,
    p,
  );
  return rows[0] ?? null;
}

export async function session(
  reads: ChReads,
  t: Tables,
  workspaceId: string,
  id: string,
  gate?: ReadGate,
): Promise<SessionData | null> {
  const row = await sessionStats(reads, t, workspaceId, id, gate);
  if (!row) return null;
  const [found] = await withUpdates(reads, t, workspaceId, [row], gate);
  return found ?? null;
}

/** A session's timeline: its events lie between its first and last, which bound the read. */
export async function sessionEvents(
  reads: ChReads,
  t: Tables,
  workspaceId: string,
  sessionId: string,
  page: PageRequest<EventKey>,
  gate?: ReadGate,
): Promise<Page<EventData>> {
  const stats = await sessionStats(reads, t, workspaceId, sessionId, gate);
  if (!stats) return { nodes: [], hasNextPage: false };
  const p = new ChParams();
  const after = page.after ? `AND (ts, id) > (${p.time(page.after.ts)}, ${p.add(page.after.id, 'String')})` : '';
  const rows = await reads.rows<EventRow>(
    gate,
    `SELECT ${EVENT_COLUMNS} FROM ${t.events}
      WHERE workspace_id = ${p.add(workspaceId, 'UUID')}
        AND ts >= ${p.time(new Date(num(stats.started)))} AND ts <= ${p.time(new Date(num(stats.ended)))}
        AND session_id = ${p.add(sessionId, 'String')} ${after}
      ORDER BY ts, id LIMIT ${p.add(page.first + 1, 'UInt32')}`,
    p,
  );
  return pageOf(rows.map(toEvent), page.first);
}

export async function activity(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  page: PageRequest<EventKey>,
  gate?: ReadGate,
): Promise<Page<EventData>> {
  const p = new ChParams();
  const after = page.after ? `AND (ts, id) < (${p.time(page.after.ts)}, ${p.add(page.after.id, 'String')})` : '';
  const rows = await reads.rows<EventRow>(
    gate,
    `SELECT ${EVENT_COLUMNS} FROM ${t.events}
      WHERE workspace_id = ${p.add(query.workspaceId, 'UUID')} AND ts >= ${p.time(query.from)} AND ts < ${p.time(query.to)}
        AND ${eventCondition(query.filters, p)} ${after}
      ORDER BY ts DESC, id DESC LIMIT ${p.add(page.first + 1, 'UInt32')}`,
    p,
  );
  return pageOf(rows.map(toEvent), page.first);
}

/**
 * The matching events in (ts, id) order, a bounded page per statement (keyset after the last
 * one): memory stays constant however large the range, and stopping the iteration stops reading.
 */
export async function* scanEvents(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  options: ScanOptions = {},
): AsyncGenerator<EventData[]> {
  const size = options.batchSize ?? 1000;
  let after: EventKey | null = null;
  for (;;) {
    if (options.signal?.aborted) return;
    const p = new ChParams();
    const from: string = after ? `AND (ts, id) > (${p.time(after.ts)}, ${p.add(after.id, 'String')})` : '';
    const rows: EventRow[] = await reads.rows<EventRow>(
      undefined,
      `SELECT /* tally:scan */ ${EVENT_COLUMNS} FROM ${t.events}
        WHERE workspace_id = ${p.add(query.workspaceId, 'UUID')} AND ts >= ${p.time(query.from)} AND ts < ${p.time(query.to)}
          AND ${eventCondition(query.filters, p)} ${from}
        ORDER BY ts, id LIMIT ${p.add(size, 'UInt32')}`,
      p,
    );
    if (rows.length === 0) return;
    const events = rows.map(toEvent);
    yield events;
    const last = events.at(-1);
    if (!last || rows.length < size) return;
    after = { ts: last.timestamp, id: last.id };
  }
}
