import type { Pool, PoolClient } from 'pg';
import { bucketOf } from '../duration-histogram';
import { firstCopies, mergeSessions } from '../batch';
import type { EventInput, SessionInput, WriteResult } from '../event-store';
import { GroupCommit, type QueuedBatch } from '../group-commit';
import type { RollupCompaction } from './compaction';
import type { EventPartitions } from './partitions';

/**
 * Batches of one workspace in one statement (writeGroup below says which go together), and nothing in it
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
 * - The rollups only get appended deltas (`event_rollup_deltas` per hour and name, with a sparse
 *   duration histogram; `session_rollup_deltas` per hour: sessions, events, errors), which
 *   compaction.ts folds in later; queries add the deltas not folded yet, so the numbers are exact
 *   from the commit on. The statement says how many delta rows it appended, which is what the
 *   fold is asked for by (and the ingest held back by, past a bound).
 *
 * Whether the workspace may take events is the ingest service's check, not this statement's.
 * Upserted rows are fed in key order, so concurrent batches lock shared rows in the same order.
 */
const INGEST_SQL = `
WITH input AS (
  SELECT t.* FROM json_to_recordset($2::json)
    AS t(id uuid, claim boolean, ts timestamptz, session_id text, name text, type text, user_id text,
         duration_ms float8, duration_bucket smallint, status text, properties jsonb)
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
-- Per hour, the workspace's totals: sessions moved (see above), events and errors.
hour_moves AS (
  SELECT date_trunc('hour', started_at, 'UTC') AS hour, 1 AS n,
         round(extract(epoch FROM ended_at - started_at) * 1000)::bigint AS ms, 0 AS events, 0 AS errors
    FROM upserted
  UNION ALL
  SELECT date_trunc('hour', prev_started_at, 'UTC'), -1,
         -round(extract(epoch FROM prev_ended_at - prev_started_at) * 1000)::bigint, 0, 0
    FROM upserted WHERE prev_started_at IS NOT NULL
  UNION ALL
  SELECT hour, 0, 0, events, errors FROM bucketed
),
hour_rollup AS (
  INSERT INTO session_rollup_deltas (workspace_id, hour, sessions, duration_sum_ms, events, errors)
  SELECT $1, hour, sum(n), sum(ms), sum(events), sum(errors) FROM hour_moves GROUP BY hour
  RETURNING 1
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
  RETURNING 1
)
SELECT (SELECT count(*) FROM fresh)::int AS stored,
       ((SELECT count(*) FROM event_rollup) + (SELECT count(*) FROM hour_rollup))::int AS deltas,
       -- Per session: what each batch of a group stored (writeGroup).
       (SELECT json_object_agg(session_id, n) FROM (SELECT session_id, count(*) AS n FROM fresh GROUP BY 1) s) AS sessions`;

/** What the ingest writes with. */
export interface IngestTarget {
  pool: Pool;
  partitions: EventPartitions;
  compaction: RollupCompaction;
}

/**
 * At most this many batches, or events, in one group: a group's statement takes its events as
 * one JSON parameter, parsed whole before the first row goes in.
 */
const GROUP_BATCHES = 64;
const GROUP_EVENTS = 10_000;
/**
 * Groups written at once (of the pool's 10 connections): a batch that finds one of them free goes
 * at once, alone; the rest gather. One writer left a core idle (PostgreSQL runs a statement on
 * one), and a group waits for its commit's flush.
 */
export const GROUP_WRITERS = 4;

/**
 * Group commit (../group-commit.ts): batches that arrive while a group is being written go
 * together in the next one, in one transaction and, per workspace, one statement: one commit
 * (and its flush), one round trip and one plan's worth of work for all of them, and fewer delta
 * rows (the group's batches of an hour and name sum into one). Most of INGEST_SQL's cost is per
 * event (two indexes on events, the upserts), so this saves some 15 % of PostgreSQL's CPU per
 * event at groups of eight batches of 100, not more. A group that fails
 * with an error PostgreSQL reported (the transaction was rolled back) is written again in
 * halves, so that a batch PostgreSQL refuses fails alone; a lost connection fails the group
 * (nothing of it is answered as stored: the commit may or may not have happened, and every
 * client retries).
 */
export function postgresGroupCommit(target: IngestTarget): GroupCommit {
  return new GroupCommit((group) => writeGroup(target, group), {
    batches: GROUP_BATCHES,
    events: GROUP_EVENTS,
    writers: GROUP_WRITERS,
    isolate: rolledBack,
  });
}

/** SQLSTATE classes after which the outcome of a commit is unknown (connection, shutdown). */
const UNKNOWN_OUTCOME = new Set(['08', '57']);

/** Whether PostgreSQL reported the error, so the transaction it ended did not commit. */
function rolledBack(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && !UNKNOWN_OUTCOME.has(code.slice(0, 2));
}

function sqlState(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function isRetryable(error: unknown): boolean {
  const code = sqlState(error);
  // deadlock_detected, serialization_failure: the transaction did nothing; running it again is safe.
  return code === '40P01' || code === '40001';
}

/** A batch of a group, as its statement takes it. */
interface Item {
  /** Its events, less later copies of a client id (the first copy counts). */
  events: EventInput[];
  sessions: SessionInput[];
  /** Events the batch came with. */
  size: number;
}

/** The batches of one workspace that go in one statement: none shares a session or a client id with another. */
interface Statement {
  workspaceId: string;
  items: Item[];
}

/**
 * Writes a group of batches in one transaction (one statement, autocommitted, when they fit in
 * one): per workspace, batches in arrival order go in the first statement after every one that
 * holds a batch sharing a session or a client id with them. Within a statement the batches'
 * sessions are disjoint, so what INGEST_SQL makes of them together is what it makes of each
 * alone in turn (the rollups and user days only get sums), and a batch's stored events are
 * those of its sessions; a copy of a batch (a client's retry) lands in a later statement of the
 * same transaction, which sees the first copy's rows and stores nothing twice. A deadlock or
 * serialization failure runs the transaction again (it did nothing).
 */
async function writeGroup(target: IngestTarget, group: readonly QueuedBatch[]): Promise<WriteResult[]> {
  const items = group.map(({ batch }) => ({
    events: firstCopies(batch.events),
    sessions: mergeSessions(batch.sessions),
    size: batch.events.length,
  }));
  await target.partitions.ensureFor(timesOf(items));
  const statements = planStatements(group, items);
  let counts: Stored[];
  for (let attempt = 1; ; attempt += 1) {
    try {
      counts = await runStatements(target.pool, statements);
      break;
    } catch (error) {
      if (attempt < 3 && isRetryable(error)) continue;
      throw error;
    }
  }
  const stored = new Map<Item, number>();
  statements.forEach((statement, i) => {
    const result = counts[i] as Stored;
    const [only] = statement.items;
    if (statement.items.length === 1 && only) {
      stored.set(only, result.stored);
      return;
    }
    for (const item of statement.items) {
      let n = 0;
      for (const session of new Set(item.events.map((e) => e.sessionId))) n += count(result.sessions, session);
      stored.set(item, n);
    }
  });
  const results = items.map((item) => {
    const n = stored.get(item) ?? 0;
    return { stored: n, duplicates: item.size - n };
  });
  // Past a bound of unfolded deltas, the group is answered once they are folded (compaction.ts).
  await target.compaction.noteDeltas(counts.reduce((sum, c) => sum + c.deltas, 0));
  return results;
}

/** A session's count (a session id may be any string, `constructor` too). */
function count(sessions: Record<string, number> | null, session: string): number {
  return sessions && Object.hasOwn(sessions, session) ? (sessions[session] ?? 0) : 0;
}

function* timesOf(items: readonly Item[]): Iterable<Date> {
  for (const item of items) for (const event of item.events) yield event.timestamp;
}

/** The group's statements: by workspace (in id order, so concurrent groups lock in one order), then by turn. */
function planStatements(group: readonly QueuedBatch[], items: readonly Item[]): Statement[] {
  const turns = new Map<string, Statement[]>();
  /** Per workspace and key (a session, a client id): the last turn that holds it. */
  const last = new Map<string, number>();
  items.forEach((item, i) => {
    const workspaceId = (group[i] as QueuedBatch).workspaceId;
    const keys = new Set<string>();
    for (const e of item.events) {
      keys.add(`${workspaceId}|s|${e.sessionId}`);
      if (e.clientId) keys.add(`${workspaceId}|e|${e.id.toLowerCase()}`);
    }
    for (const s of item.sessions) keys.add(`${workspaceId}|s|${s.id}`);
    let turn = 0;
    for (const key of keys) turn = Math.max(turn, (last.get(key) ?? -1) + 1);
    for (const key of keys) last.set(key, turn);
    let statements = turns.get(workspaceId);
    if (!statements) {
      statements = [];
      turns.set(workspaceId, statements);
    }
    for (let t = statements.length; t <= turn; t += 1) statements.push({ workspaceId, items: [] });
    (statements[turn] as Statement).items.push(item);
  });
  return [...turns.keys()].sort().flatMap((workspaceId) => turns.get(workspaceId) ?? []);
}

/** What a statement stored: events in all, and per session. */
interface Stored {
  stored: number;
  /** Rollup delta rows it appended (compaction.ts counts them). */
  deltas: number;
  sessions: Record<string, number> | null;
}

/** Runs the statements in one transaction. */
async function runStatements(pool: Pool, statements: readonly Statement[]): Promise<Stored[]> {
  if (statements.length === 1) return [await runStatement(pool, statements[0] as Statement)];
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const counts: Stored[] = [];
    for (const statement of statements) counts.push(await runStatement(client, statement));
    await client.query('COMMIT');
    return counts;
  } catch (error) {
    if (rolledBack(error)) await client.query('ROLLBACK').catch(() => undefined);
    else broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    // A connection in an unknown state is closed, not reused.
    client.release(broken);
  }
}

async function runStatement(db: Pool | PoolClient, statement: Statement): Promise<Stored> {
  // Two JSON parameters, not an array per column: one native JSON.stringify instead of
  // escaping every element of a dozen arrays (the array encoding cost more than the parse).
  const events: object[] = [];
  const sessions: object[] = [];
  for (const item of statement.items) {
    for (const e of item.events) {
      events.push({
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
      });
    }
    for (const s of item.sessions) sessions.push({ id: s.id, user_id: s.userId, attributes: s.attributes });
  }
  // Named: each connection plans it once, not on every group.
  const { rows } = await db.query<Stored>({
    name: 'tally-ingest',
    text: INGEST_SQL,
    values: [statement.workspaceId, JSON.stringify(events), JSON.stringify(sessions)],
  });
  return rows[0] ?? { stored: 0, deltas: 0, sessions: null };
}
