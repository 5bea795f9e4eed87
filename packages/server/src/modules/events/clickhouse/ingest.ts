import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { bucketOf } from '../duration-histogram';
import { firstCopies, mergeSessions } from '../batch';
import type { EventBatch, EventInput, SessionInput, WriteResult } from '../event-store';
import { jsonbText, propertyText } from '../query';
import type { ClickHouse } from './connection';
import { type DeltaRow, type SessionState, nameKey, rollupDeltas } from './rollup-deltas';
import { ChParams, type Tables, chTime } from './sql';

export interface ClickHouseWriter {
  ch: ClickHouse;
  /** The id ledger (`event_ids`) lives in PostgreSQL: its unique key is what ClickHouse lacks. */
  pg: Pool;
  tables: Tables;
  /** Orders what batches say of sessions (latest user wins, attributes merge in this order). */
  sequence: () => number;
}

/**
 * Stores a batch so that a retried one is never counted twice, at once (not "after a merge"):
 *
 * 1. Client ids are claimed in PostgreSQL's id ledger (`event_ids`: id and time, or id alone
 *    when the client sent no time) inside a transaction that stays open until ClickHouse has the
 *    rows: of two copies arriving together, one wins each claim, and the other's events are
 *    duplicates. A claim commits only with the insert: one that fails claims nothing.
 * 2. Claims last EVENT_IDS_RETENTION_DAYS; a copy WITH its time may come later than that, so the
 *    claimed events with a time are looked up in ClickHouse (the primary key: workspace, time)
 *    and the ones already there are duplicates — exact for as long as the event is kept.
 * 3. Claimed events without a client time get a new time on every send, so no lookup finds a
 *    copy: they go in an insert of their own with an `insert_deduplication_token` made from their
 *    ids. If Tally dies after ClickHouse took them but before the claims committed, the client's
 *    retry wins the claims again, and ClickHouse drops its identical-token insert, views included
 *    (within the deduplication window of schema.ts, and the same month's partition).
 * Events without a client id are always new: a plain insert (with the claimed timed ones).
 *
 * Sessions are not rows to update: `session_stats` and `session_names` come from the events
 * (materialized views), and what the batch says of a session's user and attributes is appended
 * to `session_updates` (before the events, so a failed batch leaves at most an update its retry
 * repeats). The session rollups (`rollup_deltas`, rollup-deltas.ts) need what a session was
 * before the batch, so the batch's sessions are locked (PostgreSQL advisory locks, in the same
 * transaction) from before that read until its rows are in.
 */
export async function writeBatch(w: ClickHouseWriter, workspaceId: string, batch: EventBatch): Promise<WriteResult> {
  // A client id twice in one batch: the first copy counts.
  const events = firstCopies(batch.events);
  const claimed = events.filter((e) => e.clientId);
  const unclaimed = events.filter((e) => !e.clientId);
  const items = mergeSessions(batch.sessions);
  const sessionIds = [...new Set([...events.map((e) => e.sessionId), ...items.map((s) => s.id)])];
  if (sessionIds.length === 0) return { stored: 0, duplicates: 0 };
  const ledger = await w.pg.connect();
  try {
    await ledger.query('BEGIN');
    // Before the claims: a retried batch waits here for its first copy, with the same sessions.
    await lockSessions(ledger, workspaceId, sessionIds);
    let winners: EventInput[] = [];
    if (claimed.length > 0) {
      winners = await claim(ledger, workspaceId, claimed);
      winners = await withoutStored(w, workspaceId, winners);
    }
    const fresh = [...winners, ...unclaimed];
    const state = await sessionState(w, workspaceId, sessionIds);
    const { rows: updates, users } = sessionUpdates(w, workspaceId, fresh, items, state);
    if (updates.length > 0) {
      await w.ch.client.insert({ table: w.tables.sessionUpdates, values: updates, format: 'JSONEachRow' });
    }
    // Claimed without a client time: their own insert, with a token from their claims, so that
    // the retry of a batch whose claims did not commit is dropped whole (see above). Everything
    // else is exact without one: copies with a time are found by the lookup, the rest are new.
    // Their rollup rows are likewise their own, after the rest's: dropped with them on a retry.
    const untimed = winners.filter((e) => !e.clientTimestamp);
    const plain = [...winners.filter((e) => e.clientTimestamp), ...unclaimed];
    await insertDeltas(w, workspaceId, rollupDeltas(workspaceId, plain, state, users), plain, updates);
    await insertDeltas(w, workspaceId, rollupDeltas(workspaceId, untimed, state, new Map()), untimed, []);
    if (untimed.length > 0) {
      const token = dedupeToken(workspaceId, untimed);
      await w.ch.client.insert({
        // Settings of this statement only (chdb would keep a session's SET for the next one).
        table: `${w.tables.events} SETTINGS insert_deduplication_token = '${token}', deduplicate_blocks_in_dependent_materialized_views = 1`,
        values: untimed.map((e) => eventRow(workspaceId, e)),
        format: 'JSONEachRow',
      });
    }
    if (plain.length > 0) {
      await w.ch.client.insert({
        table: w.tables.events,
        values: plain.map((e) => eventRow(workspaceId, e)),
        format: 'JSONEachRow',
      });
    }
    await ledger.query('COMMIT');
    return { stored: fresh.length, duplicates: batch.events.length - fresh.length };
  } catch (error) {
    await ledger.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    ledger.release();
  }
}

/**
 * Rollup rows before the events they count: should the events' insert fail, or Tally die before
 * the claims commit, the retry's rows carry the same token and ClickHouse drops them.
 */
async function insertDeltas(
  w: ClickHouseWriter,
  workspaceId: string,
  deltas: DeltaRow[],
  events: readonly EventInput[],
  updates: ReadonlyArray<Record<string, unknown>>,
): Promise<void> {
  if (deltas.length === 0) return;
  await w.ch.client.insert({
    table: `${w.tables.rollupDeltas} SETTINGS insert_deduplication_token = '${deltasToken(workspaceId, events, updates)}'`,
    values: deltas,
    format: 'JSONEachRow',
  });
}

/** The first number of the two-number advisory locks that stand for sessions (any Tally leaves free). */
const SESSION_LOCKS = 731_652;

/**
 * Locks the batch's sessions until the transaction ends, in one order for every batch (so two
 * never wait on each other): what ingest reads of a session and the rows it then adds are never
 * interleaved with another batch's, on this instance or any other.
 */
async function lockSessions(ledger: PoolClient, workspaceId: string, sessionIds: string[]): Promise<void> {
  // Volatile calls in the select list run after the ORDER BY: the locks are taken in key order.
  await ledger.query(
    `SELECT pg_advisory_xact_lock($1, k) FROM (
       SELECT DISTINCT hashtext($2 || ':' || s) AS k FROM unnest($3::text[]) AS s
     ) AS keys ORDER BY k`,
    [SESSION_LOCKS, workspaceId, sessionIds],
  );
}

/** What ClickHouse holds of the sessions (rollup-deltas.ts), in one statement. */
async function sessionState(w: ClickHouseWriter, workspaceId: string, sessionIds: string[]): Promise<SessionState> {
  const p = new ChParams();
  const ws = p.add(workspaceId, 'UUID');
  const ids = p.add(sessionIds, 'Array(String)');
  const result = await w.ch.client.query({
    query: `SELECT 's' AS k, session_id, '' AS name, '' AS type,
                   toUnixTimestamp64Milli(min(started_at)) AS a, toUnixTimestamp64Milli(max(ended_at)) AS b, '' AS u
              FROM ${w.tables.sessionStats} WHERE workspace_id = ${ws} AND session_id IN ${ids} GROUP BY session_id
            UNION ALL
            SELECT 'u', session_id, '', '', 0, 0, ifNull(argMaxIf(user_id, seq, user_id IS NOT NULL), '')
              FROM ${w.tables.sessionUpdates} WHERE workspace_id = ${ws} AND session_id IN ${ids}
             GROUP BY session_id HAVING countIf(user_id IS NOT NULL) > 0
            UNION ALL
            SELECT 'n', session_id, name, type, toUnixTimestamp64Milli(min(first_at)), 0, ''
              FROM ${w.tables.sessionNames} WHERE workspace_id = ${ws} AND session_id IN ${ids}
             GROUP BY session_id, name, type
            SETTINGS output_format_json_quote_64bit_integers = 1`,
    query_params: p.values,
    format: 'JSONEachRow',
  });
  type Row = { k: 's' | 'u' | 'n'; session_id: string; name: string; type: string; a: string; b: string; u: string };
  const state: SessionState = { spans: new Map(), users: new Map(), firsts: new Map() };
  for (const row of await result.json<Row>()) {
    if (row.k === 's') state.spans.set(row.session_id, { started: Number(row.a), ended: Number(row.b) });
    else if (row.k === 'u') state.users.set(row.session_id, row.u);
    else state.firsts.set(nameKey(row.session_id, row.name, row.type), Number(row.a));
  }
  return state;
}

/**
 * The token of a batch's rollup rows: its stored events' claims (or, for a batch of session
 * attributes alone, its updates, which are new each time). A retry of a batch whose claims did
 * not commit makes its rows under the same token, and ClickHouse drops them if the first attempt
 * got them in — whether or not the events followed (their own token, or the lookup, covers them).
 */
function deltasToken(
  workspaceId: string,
  fresh: readonly EventInput[],
  updates: ReadonlyArray<Record<string, unknown>>,
): string {
  const hash = createHash('sha256').update(workspaceId).update('\nrollups\n');
  if (fresh.length === 0) return hash.update(JSON.stringify(updates)).digest('hex');
  const keys = fresh.map((e) => claimKey(e.id, e.clientTimestamp ? e.timestamp.getTime() : null)).sort();
  return hash.update(keys.join('\n')).digest('hex');
}

/** The claim of a client id: its time, or none (`-infinity`) when the client sent no time. */
function claimKey(id: string, ms: number | null): string {
  return `${id.toLowerCase()}|${ms ?? '-'}`;
}

async function claim(ledger: PoolClient, workspaceId: string, events: EventInput[]): Promise<EventInput[]> {
  const { rows } = await ledger.query<{ id: string; ms: string | null }>(
    `INSERT INTO event_ids (workspace_id, id, ts)
     SELECT $1, c.id, c.ts FROM unnest($2::uuid[], $3::timestamptz[]) AS c(id, ts) ORDER BY 2, 3
     ON CONFLICT DO NOTHING
     RETURNING id, CASE WHEN ts = '-infinity' THEN NULL ELSE floor(extract(epoch FROM ts) * 1000)::bigint END AS ms`,
    [
      workspaceId,
      events.map((e) => e.id),
      events.map((e) => (e.clientTimestamp ? e.timestamp.toISOString() : '-infinity')),
    ],
  );
  const won = new Set(rows.map((row) => claimKey(row.id, row.ms === null ? null : Number(row.ms))));
  return events.filter((e) => won.has(claimKey(e.id, e.clientTimestamp ? e.timestamp.getTime() : null)));
}

/** The events with a client time that ClickHouse already holds (a copy older than its claim). */
async function withoutStored(w: ClickHouseWriter, workspaceId: string, events: EventInput[]): Promise<EventInput[]> {
  const timed = events.filter((e) => e.clientTimestamp);
  if (timed.length === 0) return events;
  const p = new ChParams();
  const result = await w.ch.client.query({
    query: `SELECT id, toUnixTimestamp64Milli(ts) AS ms FROM ${w.tables.events}
             WHERE workspace_id = ${p.add(workspaceId, 'UUID')}
               AND ts IN ${p.add([...new Set(timed.map((e) => chTime(e.timestamp)))], "Array(DateTime64(3, 'UTC'))")}
               AND id IN ${p.add([...new Set(timed.map((e) => e.id.toLowerCase()))], 'Array(String)')}
            SETTINGS output_format_json_quote_64bit_integers = 1`,
    query_params: p.values,
    format: 'JSONEachRow',
  });
  const stored = new Set((await result.json<{ id: string; ms: string }>()).map((r) => claimKey(r.id, Number(r.ms))));
  if (stored.size === 0) return events;
  return events.filter((e) => !e.clientTimestamp || !stored.has(claimKey(e.id, e.timestamp.getTime())));
}

/** Made from the claimed ids (a retry's events carry a new time, not new ids). */
function dedupeToken(workspaceId: string, events: EventInput[]): string {
  const keys = events.map((e) => claimKey(e.id, e.clientTimestamp ? e.timestamp.getTime() : null)).sort();
  return createHash('sha256').update(workspaceId).update('\n').update(keys.join('\n')).digest('hex');
}

function eventRow(workspaceId: string, e: EventInput): Record<string, unknown> {
  const properties = e.properties;
  const keys = properties ? Object.keys(properties) : [];
  const texts: Record<string, string> = {};
  for (const key of keys) {
    const text = propertyText(properties, key);
    if (text !== null) texts[key] = text;
  }
  return {
    workspace_id: workspaceId,
    ts: chTime(e.timestamp),
    id: e.id.toLowerCase(),
    session_id: e.sessionId,
    name: e.name,
    type: e.type,
    user_id: e.userId,
    duration_ms: e.durationMs,
    duration_bucket: e.durationMs === null ? null : bucketOf(e.durationMs),
    status: e.status,
    properties: properties === null ? null : jsonbText(properties),
    prop_keys: keys,
    prop_text: texts,
  };
}

/**
 * What the batch says of each session, as the reference store applies it: the user of the
 * batch's latest stored event that has one, then the user and attributes the batch's sessions
 * list gives — for a session with an event stored, by this batch or before (a session the store
 * does not know is not created by its attributes alone). Also each session's user as the batch
 * leaves it, where the batch names one.
 */
function sessionUpdates(
  w: ClickHouseWriter,
  workspaceId: string,
  fresh: EventInput[],
  items: readonly SessionInput[],
  state: SessionState,
): { rows: Array<Record<string, unknown>>; users: Map<string, string | null> } {
  const users = new Map<string, string | null>();
  const byTime = [...fresh].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  for (const e of byTime) {
    if (!users.has(e.sessionId)) users.set(e.sessionId, null);
    if (e.userId !== null) users.set(e.sessionId, e.userId);
  }
  const attributes = new Map<string, Record<string, unknown>>();
  for (const item of items) {
    if (!users.has(item.id) && !state.spans.has(item.id)) continue;
    if (item.userId !== null) users.set(item.id, item.userId);
    else if (!users.has(item.id)) users.set(item.id, null);
    if (item.attributes) attributes.set(item.id, item.attributes);
  }
  const rows: Array<Record<string, unknown>> = [];
  for (const [sessionId, userId] of users) {
    const attrs = attributes.get(sessionId) ?? null;
    if (userId === null && attrs === null) continue;
    rows.push({
      workspace_id: workspaceId,
      session_id: sessionId,
      seq: w.sequence(),
      user_id: userId,
      attributes: attrs === null ? null : JSON.stringify(attrs),
    });
  }
  return { rows, users };
}

/**
 * Strictly increasing numbers for `session_updates.seq`: microseconds of the wall clock, never
 * repeating within the process (instances' clocks order their writes only roughly, as for any
 * two concurrent batches).
 */
export function updateSequence(now: () => number = Date.now): () => number {
  let last = 0;
  return () => {
    last = Math.max(last + 1, now() * 1000);
    return last;
  };
}
