import type { Pool } from 'pg';
import { bucketOf } from '../duration-histogram';
import { firstCopies, mergeSessions } from '../batch';
import type { EventBatch, WriteResult } from '../event-store';
import type { RollupCompaction } from './compaction';
import type { EventPartitions } from './partitions';

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
       ((SELECT count(*) FROM event_rollup) + (SELECT count(*) FROM hour_rollup))::int AS deltas`;

function isRetryable(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  // deadlock_detected, serialization_failure: the statement did nothing; running it again is safe.
  return code === '40P01' || code === '40001';
}

/**
 * Writes one batch (INGEST_SQL): client ids twice in the batch counted once, the months'
 * partitions made first, a deadlock or serialization failure retried (the statement did nothing).
 */
export async function writeBatch(
  store: { pool: Pool; partitions: EventPartitions; compaction: RollupCompaction },
  workspaceId: string,
  batch: EventBatch,
): Promise<WriteResult> {
  // A client id twice in one batch: the first copy counts.
  const events = firstCopies(batch.events);
  const sessions = mergeSessions(batch.sessions);
  await store.partitions.ensureFor(events.map((event) => event.timestamp));
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
      const { rows } = await store.pool.query<{ stored: number; deltas: number }>({
        name: 'tally-ingest',
        text: INGEST_SQL,
        values,
      });
      const stored = rows[0]?.stored ?? 0;
      // Past a bound of unfolded deltas, the batch is answered once they are folded (compaction.ts).
      await store.compaction.noteDeltas(rows[0]?.deltas ?? 0);
      return { stored, duplicates: batch.events.length - stored };
    } catch (error) {
      if (attempt < 3 && isRetryable(error)) continue;
      throw error;
    }
  }
}
