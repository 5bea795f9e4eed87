import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { bucketOf } from '../duration-histogram';
import { firstCopies, mergeSessions } from '../batch';
import type { EventBatch, EventInput, SessionInput, WriteResult } from '../event-store';
import { GroupCommit } from '../group-commit';
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

/** At most this many batches, or events, in one group. */
const GROUP_BATCHES = 64;
const GROUP_EVENTS = 50_000;

/**
 * Group commit (../group-commit.ts): batches that arrive while a group is being written wait and
 * go together in the next one — one lock statement, one claim statement, one lookup, and one
 * insert per table for all their events (ClickHouse makes a part, and runs its views, per insert;
 * chdb runs one statement at a time). A batch alone goes at once. Each is answered when its group
 * has committed, or fails with it (its client retries; the claims of a failed group never commit).
 */
export function clickHouseGroupCommit(w: ClickHouseWriter): GroupCommit {
  return new GroupCommit((group) => writeGroup(w, group), { batches: GROUP_BATCHES, events: GROUP_EVENTS });
}

/** One batch of a group, as the steps below see it. */
interface Item {
  workspaceId: string;
  batch: EventBatch;
  /** Its events with a client id, less those an earlier copy in the group claims. */
  claimed: EventInput[];
  unclaimed: EventInput[];
  sessions: SessionInput[];
}

/**
 * Stores a group of batches so that a retried one is never counted twice, at once (not "after a merge"):
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
async function writeGroup(
  w: ClickHouseWriter,
  batches: ReadonlyArray<{ workspaceId: string; batch: EventBatch }>,
): Promise<WriteResult[]> {
  // A client id twice in one batch, or in two batches of the group: the first copy counts.
  const claimsSeen = new Set<string>();
  const items: Item[] = batches.map(({ workspaceId, batch }) => {
    const events = firstCopies(batch.events);
    const claimed: EventInput[] = [];
    for (const e of events) {
      if (!e.clientId) continue;
      const key = claimOf(workspaceId, e);
      if (!claimsSeen.has(key)) claimed.push(e);
      claimsSeen.add(key);
    }
    const unclaimed = events.filter((e) => !e.clientId);
    return { workspaceId, batch, claimed, unclaimed, sessions: mergeSessions(batch.sessions) };
  });
  const pairs = new Map<string, { workspaceId: string; sessionId: string }>();
  for (const item of items) {
    for (const id of [...item.batch.events.map((e) => e.sessionId), ...item.sessions.map((s) => s.id)]) {
      pairs.set(`${item.workspaceId}|${id}`, { workspaceId: item.workspaceId, sessionId: id });
    }
  }
  if (pairs.size === 0) return items.map(() => ({ stored: 0, duplicates: 0 }));
  const ledger = await w.pg.connect();
  try {
    await ledger.query('BEGIN');
    // Before the claims: a retried batch waits here for its first copy, with the same sessions.
    await lockSessions(ledger, [...pairs.values()]);
    const won = await claim(ledger, items);
    const stored = await storedCopies(w, items, won);
    const fresh = (item: Item, e: EventInput) =>
      won.has(claimOf(item.workspaceId, e)) && !stored.has(claimOf(item.workspaceId, e));
    const parts = items.map((item) => ({
      plain: [...item.claimed.filter((e) => e.clientTimestamp && fresh(item, e)), ...item.unclaimed],
      untimed: item.claimed.filter((e) => !e.clientTimestamp && fresh(item, e)),
    }));
    const states = await sessionStates(w, [...pairs.values()]);
    const updates: Array<Record<string, unknown>> = [];
    const deltas: Array<{ rows: DeltaRow[]; token: string }> = [];
    items.forEach((item, i) => {
      const { plain, untimed } = parts[i] as { plain: EventInput[]; untimed: EventInput[] };
      const state = states.get(item.workspaceId) ?? emptyState();
      states.set(item.workspaceId, state);
      const said = sessionUpdates(w, item.workspaceId, [...plain, ...untimed], item.sessions, state);
      updates.push(...said.rows);
      // Each batch's rollup rows are an insert of their own, with a token from its own claims, so
      // that its retry, in whatever group it lands, makes them again under the same token
      // (deltasToken). Those of events claimed without a time come after the rest's, as their
      // own insert does below.
      deltas.push(
        {
          rows: rollupDeltas(item.workspaceId, plain, state, said.users),
          token: deltasToken(item.workspaceId, plain, said.rows),
        },
        {
          rows: rollupDeltas(item.workspaceId, untimed, state, new Map()),
          token: deltasToken(item.workspaceId, untimed, []),
        },
      );
    });
    if (updates.length > 0) {
      await w.ch.client.insert({ table: w.tables.sessionUpdates, values: updates, format: 'JSONEachRow' });
    }
    // Before the events they count: should the events' insert fail, or Tally die before the
    // claims commit, the retry's rows carry the same token and ClickHouse drops them.
    for (const { rows, token } of deltas) {
      if (rows.length === 0) continue;
      await w.ch.client.insert({
        table: `${w.tables.rollupDeltas} SETTINGS insert_deduplication_token = '${token}'`,
        values: rows,
        format: 'JSONEachRow',
      });
    }
    // Claimed without a client time: each batch's own insert, with a token from its claims, so
    // that the retry of a batch whose claims did not commit is dropped whole (see above).
    // Everything else is exact without one (copies with a time are found by the lookup, the rest
    // are new): one insert for the whole group.
    for (const [i, item] of items.entries()) {
      const untimed = parts[i]?.untimed ?? [];
      if (untimed.length === 0) continue;
      await w.ch.client.insert({
        // Settings of this statement only (chdb would keep a session's SET for the next one).
        table: `${w.tables.events} SETTINGS insert_deduplication_token = '${dedupeToken(item.workspaceId, untimed)}', deduplicate_blocks_in_dependent_materialized_views = 1`,
        values: untimed.map((e) => eventRow(item.workspaceId, e)),
        format: 'JSONEachRow',
      });
    }
    const plainRows = items.flatMap((item, i) => (parts[i]?.plain ?? []).map((e) => eventRow(item.workspaceId, e)));
    if (plainRows.length > 0) {
      await w.ch.client.insert({ table: w.tables.events, values: plainRows, format: 'JSONEachRow' });
    }
    await ledger.query('COMMIT');
    return items.map((item, i) => {
      const count = (parts[i]?.plain.length ?? 0) + (parts[i]?.untimed.length ?? 0);
      return { stored: count, duplicates: item.batch.events.length - count };
    });
  } catch (error) {
    await ledger.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    ledger.release();
  }
}

function emptyState(): SessionState {
  return { spans: new Map(), users: new Map(), firsts: new Map() };
}

/** An event's claim in its workspace, as the group's sets hold them. */
function claimOf(workspaceId: string, e: EventInput): string {
  return `${workspaceId}|${claimKey(e.id, e.clientTimestamp ? e.timestamp.getTime() : null)}`;
}

/** The first number of the two-number advisory locks that stand for sessions (any Tally leaves free). */
const SESSION_LOCKS = 731_652;

/**
 * Locks the batch's sessions until the transaction ends, in one order for every batch (so two
 * never wait on each other): what ingest reads of a session and the rows it then adds are never
 * interleaved with another batch's, on this instance or any other.
 */
async function lockSessions(
  ledger: PoolClient,
  pairs: ReadonlyArray<{ workspaceId: string; sessionId: string }>,
): Promise<void> {
  // Volatile calls in the select list run after the ORDER BY: the locks are taken in key order.
  await ledger.query(
    `SELECT pg_advisory_xact_lock($1, k) FROM (
       SELECT DISTINCT hashtext(w || ':' || s) AS k FROM unnest($2::text[], $3::text[]) AS t(w, s)
     ) AS keys ORDER BY k`,
    [SESSION_LOCKS, pairs.map((p) => p.workspaceId), pairs.map((p) => p.sessionId)],
  );
}

/** What ClickHouse holds of the sessions (rollup-deltas.ts), per workspace, in one statement. */
async function sessionStates(
  w: ClickHouseWriter,
  pairs: ReadonlyArray<{ workspaceId: string; sessionId: string }>,
): Promise<Map<string, SessionState>> {
  // Workspaces and sessions as two sets (a pair outside the group is skipped below): the
  // primary keys start with (workspace_id, session_id), so both narrow the read.
  const p = new ChParams();
  const wanted = new Set(pairs.map((pair) => `${pair.workspaceId}|${pair.sessionId}`));
  const where = `workspace_id IN ${p.add([...new Set(pairs.map((pair) => pair.workspaceId))], 'Array(UUID)')}
    AND session_id IN ${p.add([...new Set(pairs.map((pair) => pair.sessionId))], 'Array(String)')}`;
  const result = await w.ch.client.query({
    query: `SELECT 's' AS k, workspace_id, session_id, '' AS name, '' AS type,
                   toUnixTimestamp64Milli(min(started_at)) AS a, toUnixTimestamp64Milli(max(ended_at)) AS b, '' AS u
              FROM ${w.tables.sessionStats} WHERE ${where}
             GROUP BY workspace_id, session_id
            UNION ALL
            SELECT 'u', workspace_id, session_id, '', '', 0, 0, ifNull(argMaxIf(user_id, seq, user_id IS NOT NULL), '')
              FROM ${w.tables.sessionUpdates} WHERE ${where}
             GROUP BY workspace_id, session_id HAVING countIf(user_id IS NOT NULL) > 0
            UNION ALL
            SELECT 'n', workspace_id, session_id, name, type, toUnixTimestamp64Milli(min(first_at)), 0, ''
              FROM ${w.tables.sessionNames} WHERE ${where}
             GROUP BY workspace_id, session_id, name, type
            SETTINGS output_format_json_quote_64bit_integers = 1`,
    query_params: p.values,
    format: 'JSONEachRow',
  });
  type Row = {
    k: 's' | 'u' | 'n';
    workspace_id: string;
    session_id: string;
    name: string;
    type: string;
    a: string;
    b: string;
    u: string;
  };
  const states = new Map<string, SessionState>();
  for (const row of await result.json<Row>()) {
    if (!wanted.has(`${row.workspace_id}|${row.session_id}`)) continue;
    let state = states.get(row.workspace_id);
    if (!state) {
      state = emptyState();
      states.set(row.workspace_id, state);
    }
    if (row.k === 's') state.spans.set(row.session_id, { started: Number(row.a), ended: Number(row.b) });
    else if (row.k === 'u') state.users.set(row.session_id, row.u);
    else state.firsts.set(nameKey(row.session_id, row.name, row.type), Number(row.a));
  }
  return states;
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

/** Claims every batch's client ids in one statement; the claims won (`claimOf`). */
async function claim(ledger: PoolClient, items: readonly Item[]): Promise<Set<string>> {
  const claims = items.flatMap((item) => item.claimed.map((e) => ({ workspaceId: item.workspaceId, e })));
  if (claims.length === 0) return new Set();
  const { rows } = await ledger.query<{ workspace_id: string; id: string; ms: string | null }>(
    `INSERT INTO event_ids (workspace_id, id, ts)
     SELECT c.w, c.id, c.ts FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS c(w, id, ts) ORDER BY 1, 2, 3
     ON CONFLICT DO NOTHING
     RETURNING workspace_id, id, CASE WHEN ts = '-infinity' THEN NULL ELSE floor(extract(epoch FROM ts) * 1000)::bigint END AS ms`,
    [
      claims.map((c) => c.workspaceId),
      claims.map((c) => c.e.id),
      claims.map((c) => (c.e.clientTimestamp ? c.e.timestamp.toISOString() : '-infinity')),
    ],
  );
  return new Set(rows.map((row) => `${row.workspace_id}|${claimKey(row.id, row.ms === null ? null : Number(row.ms))}`));
}

/**
 * The won claims with a client time whose event ClickHouse already holds (a copy older than its
 * claim, which expired), in one lookup for the group (`claimOf`).
 */
async function storedCopies(w: ClickHouseWriter, items: readonly Item[], won: Set<string>): Promise<Set<string>> {
  const timed = items.flatMap((item) =>
    item.claimed
      .filter((e) => e.clientTimestamp && won.has(claimOf(item.workspaceId, e)))
      .map((e) => ({ workspaceId: item.workspaceId, e })),
  );
  if (timed.length === 0) return new Set();
  const p = new ChParams();
  const result = await w.ch.client.query({
    query: `SELECT workspace_id, id, toUnixTimestamp64Milli(ts) AS ms FROM ${w.tables.events}
             WHERE workspace_id IN ${p.add([...new Set(timed.map((t) => t.workspaceId))], 'Array(UUID)')}
               AND ts IN ${p.add([...new Set(timed.map((t) => chTime(t.e.timestamp)))], "Array(DateTime64(3, 'UTC'))")}
               AND id IN ${p.add([...new Set(timed.map((t) => t.e.id.toLowerCase()))], 'Array(String)')}
            SETTINGS output_format_json_quote_64bit_integers = 1`,
    query_params: p.values,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ workspace_id: string; id: string; ms: string }>();
  return new Set(rows.map((r) => `${r.workspace_id}|${claimKey(r.id, Number(r.ms))}`));
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
