import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rollups without hot rows (modules/events/rollup-compaction.ts).
 *
 * Every ingest used to add into the same hourly rollup rows, so concurrent batches of one
 * workspace queued behind each other's row locks until commit. Now the ingest's statement only
 * appends: `event_rollup_deltas` (per hour × name × type, with the duration histogram kept
 * sparse — bucket numbers and their counts) and `session_rollup_deltas` (per hour). A job folds
 * them into `event_rollups_hourly`, `event_rollups_daily` and `session_rollups_hourly` in one
 * statement each (rows deleted and added at once), and every query reads the rollups plus the
 * deltas not folded yet: the answer is the same before and after a fold. Append-only logs have
 * no primary key; their one index leads with workspace_id.
 *
 * `user_days_monthly`: per workspace, month (UTC) and user, how many of the user's sessions
 * started on each day of the month, and as a bit mask the days with at least one. Distinct users
 * of a range are then one small row per user and month (whole days by the mask, the ragged ends
 * from `sessions`), not every session of the range. The ingest keeps it current from what its
 * session upsert replaced (`prev_user_id`, like `prev_started_at`), only when a session is new or
 * its start day or user changes.
 *
 * `event_ids` now holds only the client ids of events sent without a timestamp (with one, the
 * events' own primary key (workspace_id, ts, id) refuses the copy); `created_at` lets a job drop
 * ids older than the retry window.
 */
export class RollupDeltas1763900000007 implements MigrationInterface {
  name = 'RollupDeltas1763900000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE event_rollup_deltas (
        workspace_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        events bigint NOT NULL,
        errors bigint NOT NULL,
        duration_sum_ms double precision NOT NULL,
        duration_count bigint NOT NULL,
        buckets smallint[],
        bucket_counts integer[],
        sessions bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX event_rollup_deltas_idx ON event_rollup_deltas (workspace_id, hour)`);
    await q.query(`
      CREATE TABLE session_rollup_deltas (
        workspace_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        sessions bigint NOT NULL,
        duration_sum_ms bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX session_rollup_deltas_idx ON session_rollup_deltas (workspace_id, hour)`);
    // Both logs are emptied every minute: vacuumed after every fold (rollup-compaction.ts) and,
    // as a backstop, by autovacuum after a thousand dead rows rather than a fifth of the table.
    for (const table of ['event_rollup_deltas', 'session_rollup_deltas']) {
      await q.query(
        `ALTER TABLE ${table} SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
           autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000)`,
      );
    }
    // The daily histograms become daily rollups: the day's counts beside its histogram, so a
    // 30-day Overview or Tools & Usage reads 30 rows per name instead of 720 (hours at the
    // ragged ends still come from the hourly table). Filled from the hourly rollups, which
    // until now held everything; days without durations had no daily row yet.
    await q.query(`ALTER TABLE event_histograms_daily RENAME TO event_rollups_daily`);
    await q.query(
      `ALTER TABLE event_rollups_daily RENAME CONSTRAINT event_histograms_daily_pkey TO event_rollups_daily_pkey`,
    );
    await q.query(`
      ALTER TABLE event_rollups_daily
        ADD COLUMN events bigint NOT NULL DEFAULT 0,
        ADD COLUMN errors bigint NOT NULL DEFAULT 0,
        ADD COLUMN duration_sum_ms double precision NOT NULL DEFAULT 0,
        ADD COLUMN duration_count bigint NOT NULL DEFAULT 0,
        ADD COLUMN sessions bigint NOT NULL DEFAULT 0`);
    await q.query(`
      INSERT INTO event_rollups_daily AS d
        (workspace_id, day, name, type, duration_histogram, events, errors, duration_sum_ms, duration_count, sessions)
      SELECT workspace_id, date_trunc('day', hour, 'UTC'), name, type, array_fill(0, ARRAY[96]),
             sum(events), sum(errors), sum(duration_sum_ms), sum(duration_count), sum(sessions)
        FROM event_rollups_hourly GROUP BY 1, 2, 3, 4
      ON CONFLICT (workspace_id, day, name, type) DO UPDATE SET
        events = EXCLUDED.events, errors = EXCLUDED.errors, duration_sum_ms = EXCLUDED.duration_sum_ms,
        duration_count = EXCLUDED.duration_count, sessions = EXCLUDED.sessions`);
    await q.query(`ALTER TABLE event_ids ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(`ALTER TABLE sessions ADD COLUMN prev_user_id text`);
    await q.query(`
      CREATE TABLE user_days_monthly (
        workspace_id uuid NOT NULL,
        month date NOT NULL,
        user_id text NOT NULL,
        day_sessions integer[] NOT NULL,
        days bigint NOT NULL,
        PRIMARY KEY (workspace_id, month, user_id)
      )`);
    // Per-day counts (31) from day-of-month/count pairs, and the mask of the days counted.
    await q.query(`
      CREATE FUNCTION tally_day_counts(days integer[], counts integer[]) RETURNS integer[]
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
        AS $$
        DECLARE
          result integer[] := array_fill(0, ARRAY[31]);
        BEGIN
          FOR i IN 1 .. coalesce(array_length(days, 1), 0) LOOP
            result[days[i]] := result[days[i]] + counts[i];
          END LOOP;
          RETURN result;
        END $$`);
    await q.query(`
      CREATE FUNCTION tally_days_mask(counts integer[]) RETURNS bigint
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
        AS $$
        DECLARE
          mask bigint := 0;
        BEGIN
          FOR i IN 1 .. coalesce(array_length(counts, 1), 0) LOOP
            IF counts[i] > 0 THEN
              mask := mask | (1::bigint << (i - 1));
            END IF;
          END LOOP;
          RETURN mask;
        END $$`);

    // A dense histogram (96 buckets, as tally_histogram makes) from sparse bucket/count pairs.
    await q.query(`
      CREATE FUNCTION tally_histogram_from(buckets smallint[], counts integer[]) RETURNS integer[]
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
        AS $$
        DECLARE
          result integer[] := array_fill(0, ARRAY[96]);
        BEGIN
          IF buckets IS NOT NULL THEN
            FOR i IN 1 .. coalesce(array_length(buckets, 1), 0) LOOP
              result[buckets[i] + 1] := result[buckets[i] + 1] + counts[i];
            END LOOP;
          END IF;
          RETURN result;
        END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION tally_days_mask(integer[])`);
    await q.query(`DROP FUNCTION tally_day_counts(integer[], integer[])`);
    await q.query(`DROP TABLE user_days_monthly`);
    await q.query(`ALTER TABLE sessions DROP COLUMN prev_user_id`);
    await q.query(`DROP FUNCTION tally_histogram_from(smallint[], integer[])`);
    await q.query(`ALTER TABLE event_ids DROP COLUMN created_at`);
    await q.query(`DROP TABLE session_rollup_deltas`);
    await q.query(`DROP TABLE event_rollup_deltas`);
    await q.query(`
      ALTER TABLE event_rollups_daily
        DROP COLUMN events, DROP COLUMN errors, DROP COLUMN duration_sum_ms, DROP COLUMN duration_count,
        DROP COLUMN sessions`);
    await q.query(
      `ALTER TABLE event_rollups_daily RENAME CONSTRAINT event_rollups_daily_pkey TO event_histograms_daily_pkey`,
    );
    await q.query(`ALTER TABLE event_rollups_daily RENAME TO event_histograms_daily`);
  }
}
