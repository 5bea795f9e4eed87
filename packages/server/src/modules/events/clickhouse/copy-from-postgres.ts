import type { Pool } from 'pg';
import type { EventData, EventInput, EventStore, SessionInput } from '../event-store';

/**
 * Copies the events of the PostgreSQL store into the ClickHouse store (`pnpm
 * events:to-clickhouse`, scripts/copy-events-to-clickhouse.ts): for every live workspace with
 * events, all of them in `(ts, id)` order through the PostgreSQL store's `scanEvents`, written
 * through the ClickHouse store's `writeBatch` as events whose client sent their id and time. So
 * the ClickHouse store's dedupe (the id ledger's claims of id and time, and the lookup in
 * ClickHouse behind them, clickhouse/ingest.ts) recognises every event it already holds: a run
 * that is stopped, or run again, never counts one twice, and a second run copies only what
 * arrived since the first.
 *
 * Each batch carries its sessions as PostgreSQL has them now (user and merged attributes from
 * `sessions`), so the last run leaves every session's user and attributes as PostgreSQL says.
 */
export interface CopyToClickHouse {
  /** The PostgreSQL database: its workspaces, their events' first and last time, their sessions. */
  pool: Pool;
  /** The PostgreSQL store (read through `scanEvents`). */
  source: EventStore;
  /** The ClickHouse store (written through `writeBatch`). */
  target: EventStore;
  /** Events per batch (default 5000). */
  batchSize?: number;
  /** Stops after the batch being written (the next run carries on). */
  signal?: AbortSignal;
  /** After every batch, and once when a workspace is done. */
  progress?: (workspace: WorkspaceCopy) => void;
}

export interface WorkspaceCopy {
  workspaceId: string;
  name: string;
  /** Events read from PostgreSQL so far. */
  read: number;
  /** Of those, the ones ClickHouse stored now. */
  copied: number;
  /** Of those, the ones ClickHouse held already (an earlier run). */
  duplicates: number;
  done: boolean;
}

export interface CopySummary {
  workspaces: WorkspaceCopy[];
  copied: number;
  duplicates: number;
  /** Whether `signal` stopped the copy before the end. */
  stopped: boolean;
}

const DEFAULT_BATCH = 5000;

/**
 * The live workspaces with events, and the time of their first and last one (from the events'
 * primary key, a probe per workspace). Deleted teams are left out: their events are being purged.
 */
async function workspacesWithEvents(pool: Pool): Promise<Array<{ id: string; name: string; first: Date; last: Date }>> {
  const { rows } = await pool.query<{ id: string; name: string; first: Date; last: Date }>(
    `SELECT w.id, w.name, r.first, r.last
       FROM workspaces w
      CROSS JOIN LATERAL (SELECT min(e.ts) AS first, max(e.ts) AS last FROM events e WHERE e.workspace_id = w.id) r
      WHERE w.deleted_at IS NULL AND r.first IS NOT NULL
      ORDER BY w.created_at, w.id`,
  );
  return rows;
}

/** What PostgreSQL says of the batch's sessions now: the user and the merged attributes. */
async function sessionsOf(pool: Pool, workspaceId: string, events: EventData[]): Promise<SessionInput[]> {
  const ids = [...new Set(events.map((e) => e.sessionId))];
  const { rows } = await pool.query<{ id: string; user_id: string | null; attributes: Record<string, unknown> | null }>(
    `SELECT id, user_id, attributes FROM sessions WHERE workspace_id = $1 AND id = ANY($2::text[]) ORDER BY id`,
    [workspaceId, ids],
  );
  return rows.map((row) => ({ id: row.id, userId: row.user_id, attributes: row.attributes }));
}

function statusOf(event: EventData): EventInput['status'] {
  const { status } = event;
  if (status === null || status === 'ok' || status === 'error') return status;
  throw new Error(`event ${event.id} has the status "${status}", which the ingest never takes`);
}

/** A stored event as one whose client sent its id and time: so a copy of it is recognised. */
function asClientEvent(event: EventData): EventInput {
  return {
    id: event.id,
    clientId: true,
    clientTimestamp: true,
    timestamp: event.timestamp,
    sessionId: event.sessionId,
    name: event.name,
    type: event.type,
    userId: event.userId,
    durationMs: event.durationMs,
    status: statusOf(event),
    properties: event.properties,
  };
}

export async function copyEventsToClickHouse(options: CopyToClickHouse): Promise<CopySummary> {
  const { pool, source, target, signal, progress } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const summary: CopySummary = { workspaces: [], copied: 0, duplicates: 0, stopped: false };
  for (const workspace of await workspacesWithEvents(pool)) {
    if (signal?.aborted) break;
    const copy: WorkspaceCopy = {
      workspaceId: workspace.id,
      name: workspace.name,
      read: 0,
      copied: 0,
      duplicates: 0,
      done: false,
    };
    summary.workspaces.push(copy);
    // All time: the first event up to just after the last (ranges end before `to`).
    const query = {
      workspaceId: workspace.id,
      from: workspace.first,
      to: new Date(workspace.last.getTime() + 1),
      filters: [],
    };
    for await (const events of source.scanEvents(query, { batchSize, signal })) {
      if (signal?.aborted) break;
      const sessions = await sessionsOf(pool, workspace.id, events);
      const written = await target.writeBatch(workspace.id, { events: events.map(asClientEvent), sessions });
      copy.read += events.length;
      copy.copied += written.stored;
      copy.duplicates += written.duplicates;
      summary.copied += written.stored;
      summary.duplicates += written.duplicates;
      progress?.(copy);
    }
    if (signal?.aborted) break;
    copy.done = true;
    progress?.(copy);
  }
  summary.stopped = signal?.aborted ?? false;
  return summary;
}
