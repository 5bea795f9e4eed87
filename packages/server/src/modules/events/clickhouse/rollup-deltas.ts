import type { EventInput } from '../event-store';
import { chTime } from './sql';

const HOUR_MS = 60 * 60 * 1000;

/**
 * What ClickHouse held of a batch's sessions before the batch: each session's first and last
 * event (`session_stats`), its user (`session_updates`, the latest that names one) and when it
 * first used each name (`session_names`). Read under the sessions' locks (ingest.ts), so no other
 * batch changes it until this one's rows are in.
 */
export interface SessionState {
  spans: Map<string, { started: number; ended: number }>;
  users: Map<string, string>;
  /** By `nameKey(session, name, type)`: the first use in milliseconds. */
  firsts: Map<string, number>;
}

/**
 * A user as the rollup rows hold it: `=` and the id, so that the empty string, which a client may
 * send as a user id, stays a user, and '' means none.
 */
export function userKey(userId: string): string {
  return `=${userId}`;
}

export function nameKey(sessionId: string, name: string, type: string): string {
  return `${sessionId}\u0000${name}\u0000${type}`;
}

/** A row of `rollup_deltas` (schema.ts), as JSONEachRow; omitted columns take their defaults. */
export interface DeltaRow {
  workspace_id: string;
  kind: 'session_hour' | 'session_start' | 'first_hour' | 'first_at' | 'user_month';
  at: string;
  name?: string;
  type?: string;
  session_id?: string;
  user_id?: string;
  sessions?: number;
  duration_ms?: number;
  days?: Record<number, number>;
}

/**
 * The rollup rows a batch changes, as the PostgreSQL store's ingest moves its rollups: a new
 * session adds one where it starts; a known one whose start, end or user moved is taken out where
 * it was and put back where it is now (so each row's sums stay exact once merged, and a query
 * adds them up without knowing the history). Likewise a session's first use of a name, and each
 * user's sessions per day of start.
 *
 * - `session_hour`: sessions and their duration by hour of start;
 * - `session_start`: each session at its exact start, with its user and duration (the ragged
 *   ends of a range, and the users of partial days);
 * - `first_hour` / `first_at`: sessions' first uses of a name, by hour and exactly;
 * - `user_month`: per user and month, sessions per day of start (distinct users of whole days).
 *
 * `usersAfter` is each session's user as the batch names it (null or absent: unchanged). `state`
 * is moved to what it is after the batch, so a second part of the same batch can follow.
 */
export function rollupDeltas(
  workspaceId: string,
  fresh: readonly EventInput[],
  state: SessionState,
  usersAfter: ReadonlyMap<string, string | null>,
): DeltaRow[] {
  const rows: DeltaRow[] = [];
  const spans = new Map<string, { started: number; ended: number }>();
  const firsts = new Map<string, { name: string; type: string; session: string; at: number }>();
  for (const e of fresh) {
    const ms = e.timestamp.getTime();
    const span = spans.get(e.sessionId);
    if (!span) spans.set(e.sessionId, { started: ms, ended: ms });
    else {
      if (ms < span.started) span.started = ms;
      if (ms > span.ended) span.ended = ms;
    }
    const key = nameKey(e.sessionId, e.name, e.type);
    const first = firsts.get(key);
    if (!first) firsts.set(key, { name: e.name, type: e.type, session: e.sessionId, at: ms });
    else if (ms < first.at) first.at = ms;
  }

  const sessionIds = new Set([...spans.keys(), ...usersAfter.keys()]);
  for (const session of sessionIds) {
    const before = state.spans.get(session);
    const batch = spans.get(session);
    const after = merged(before, batch);
    if (!after) continue; // attributes of a session no event made: nothing to count
    const stored = state.users.get(session);
    const userBefore = stored === undefined ? '' : userKey(stored);
    const named = usersAfter.get(session);
    const userAfter = named === null || named === undefined ? userBefore : userKey(named);
    if (before && before.started === after.started && before.ended === after.ended && userBefore === userAfter) {
      continue;
    }
    if (before) sessionRows(rows, workspaceId, session, before, userBefore, -1);
    sessionRows(rows, workspaceId, session, after, userAfter, 1);
    state.spans.set(session, { ...after });
    if (named !== null && named !== undefined) state.users.set(session, named);
  }

  for (const [key, first] of firsts) {
    const before = state.firsts.get(key);
    if (before !== undefined && before <= first.at) continue;
    if (before !== undefined) firstRows(rows, workspaceId, first, before, -1);
    firstRows(rows, workspaceId, first, first.at, 1);
    state.firsts.set(key, first.at);
  }
  return rows;
}

type Span = { started: number; ended: number };

/** A session's span after the batch: what was stored, widened by the batch's events. */
function merged(before: Span | undefined, batch: Span | undefined): Span | undefined {
  if (!before || !batch) return before ?? batch;
  return { started: Math.min(before.started, batch.started), ended: Math.max(before.ended, batch.ended) };
}

function sessionRows(
  rows: DeltaRow[],
  workspaceId: string,
  session: string,
  span: { started: number; ended: number },
  user: string,
  sign: 1 | -1,
): void {
  const duration = span.ended - span.started;
  rows.push(
    {
      workspace_id: workspaceId,
      kind: 'session_hour',
      at: hourOf(span.started),
      sessions: sign,
      duration_ms: sign * duration,
    },
    {
      workspace_id: workspaceId,
      kind: 'session_start',
      at: chTime(new Date(span.started)),
      session_id: session,
      user_id: user,
      sessions: sign,
      duration_ms: sign * duration,
    },
  );
  if (user !== '') {
    // A user (userKey) with a session starting that day.
    const start = new Date(span.started);
    rows.push({
      workspace_id: workspaceId,
      kind: 'user_month',
      at: chTime(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1))),
      user_id: user,
      days: { [start.getUTCDate()]: sign },
    });
  }
}

function firstRows(
  rows: DeltaRow[],
  workspaceId: string,
  first: { name: string; type: string; session: string },
  at: number,
  sign: 1 | -1,
): void {
  rows.push(
    {
      workspace_id: workspaceId,
      kind: 'first_hour',
      at: hourOf(at),
      name: first.name,
      type: first.type,
      sessions: sign,
    },
    {
      workspace_id: workspaceId,
      kind: 'first_at',
      at: chTime(new Date(at)),
      name: first.name,
      type: first.type,
      session_id: first.session,
      sessions: sign,
    },
  );
}

function hourOf(ms: number): string {
  return chTime(new Date(Math.floor(ms / HOUR_MS) * HOUR_MS));
}
