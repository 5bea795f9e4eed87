import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Analytics storage (modules/events). Every key leads with workspace_id.
 *
 * - `events`: the raw events, partitioned by month on `ts` (declarative range partitions, created
 *   ahead by the `events.partitions` job and on demand before an insert that needs one, through
 *   `tally_ensure_events_partition`). The primary key must hold the partition key, so it is
 *   (workspace_id, ts, id); a client's `id` is made unique per workspace by `event_ids` instead.
 * - `event_ids`: the client-sent ids already stored (not partitioned), so a resent batch counts
 *   once even when its events carry no timestamp (and so land at a new `ts` each time).
 * - `sessions`: one row per session, kept current from its events in the ingest's statement.
 *   `prev_started_at` / `prev_ended_at` hold what the last upsert replaced, so the same statement
 *   can move the session's contribution between hourly rollup rows without a race.
 * - `event_name_sessions`: when a session first used each event name (UsageRow.sessions).
 * - `event_rollups_hourly`, `session_rollups_hourly`: additive hourly rollups, maintained in the
 *   ingest's statement, from which Overview and Tools & Usage answer long ranges;
 *   `event_histograms_daily`: the duration histograms per day too, for long ranges' p95.
 */
export class Analytics1763900000005 implements MigrationInterface {
  name = 'Analytics1763900000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        workspace_id uuid NOT NULL,
        ts timestamptz NOT NULL,
        id uuid NOT NULL,
        session_id text NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        user_id text,
        duration_ms double precision,
        -- The duration's histogram bucket (modules/events/duration-histogram.ts), set by the ingest.
        duration_bucket smallint,
        status text CHECK (status IN ('ok', 'error')),
        properties jsonb,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, ts, id)
      ) PARTITION BY RANGE (ts)`);
    await q.query(`CREATE INDEX events_session_idx ON events (workspace_id, session_id, ts, id)`);

    await q.query(`
      CREATE TABLE event_ids (
        workspace_id uuid NOT NULL,
        id uuid NOT NULL,
        PRIMARY KEY (workspace_id, id)
      )`);

    await q.query(`
      CREATE TABLE sessions (
        workspace_id uuid NOT NULL,
        id text NOT NULL,
        started_at timestamptz NOT NULL,
        ended_at timestamptz NOT NULL,
        event_count integer NOT NULL DEFAULT 0,
        error_count integer NOT NULL DEFAULT 0,
        user_id text,
        attributes jsonb,
        prev_started_at timestamptz,
        prev_ended_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, id)
      )`);
    await q.query(
      `CREATE INDEX sessions_started_idx ON sessions (workspace_id, started_at, id) INCLUDE (user_id, ended_at)`,
    );

    await q.query(`
      CREATE TABLE event_name_sessions (
        workspace_id uuid NOT NULL,
        session_id text NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        first_at timestamptz NOT NULL,
        prev_first_at timestamptz,
        PRIMARY KEY (workspace_id, session_id, name, type)
      )`);
    await q.query(`CREATE INDEX event_name_sessions_first_idx ON event_name_sessions (workspace_id, first_at)`);

    await q.query(`
      CREATE TABLE event_rollups_hourly (
        workspace_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        events bigint NOT NULL,
        errors bigint NOT NULL,
        duration_sum_ms double precision NOT NULL,
        duration_count bigint NOT NULL,
        duration_histogram integer[] NOT NULL,
        sessions bigint NOT NULL,
        PRIMARY KEY (workspace_id, hour, name, type)
      )`);
    // The day's duration histograms as well: a 30-day p95 then adds 30 arrays per name, not 720.
    await q.query(`
      CREATE TABLE event_histograms_daily (
        workspace_id uuid NOT NULL,
        day timestamptz NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        duration_histogram integer[] NOT NULL,
        PRIMARY KEY (workspace_id, day, name, type)
      )`);
    await q.query(`
      CREATE TABLE session_rollups_hourly (
        workspace_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        sessions bigint NOT NULL,
        duration_sum_ms bigint NOT NULL,
        PRIMARY KEY (workspace_id, hour)
      )`);

    // Histograms are int arrays of 96 buckets (modules/events/duration-histogram.ts, which also
    // puts each duration in its bucket): counted by an aggregate, added element by element.
    await q.query(`
      CREATE FUNCTION tally_histogram_add(state integer[], bucket smallint) RETURNS integer[]
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
        AS $$
        BEGIN
          IF state IS NULL THEN
            state := array_fill(0, ARRAY[96]);
          END IF;
          IF bucket IS NOT NULL THEN
            state[bucket + 1] := state[bucket + 1] + 1;
          END IF;
          RETURN state;
        END $$`);
    await q.query(`CREATE AGGREGATE tally_histogram(smallint) (SFUNC = tally_histogram_add, STYPE = integer[])`);
    await q.query(`
      CREATE FUNCTION tally_add_histograms(a integer[], b integer[]) RETURNS integer[]
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
        AS $$
        BEGIN
          IF a IS NULL THEN
            RETURN b;
          END IF;
          IF b IS NULL THEN
            RETURN a;
          END IF;
          FOR i IN 1 .. array_length(b, 1) LOOP
            a[i] := a[i] + b[i];
          END LOOP;
          RETURN a;
        END $$`);

    // Creates the month's partition of events when it is missing; safe to call from any number
    // of instances at once (an advisory lock serialises creators). Returns the partition's name.
    await q.query(`
      CREATE FUNCTION tally_ensure_events_partition(at timestamptz) RETURNS text
        LANGUAGE plpgsql
        AS $$
        DECLARE
          month_start timestamptz := date_trunc('month', at, 'UTC');
          part text := format('events_p%s', to_char(month_start AT TIME ZONE 'UTC', 'YYYY_MM'));
        BEGIN
          IF to_regclass(part) IS NOT NULL THEN
            RETURN part;
          END IF;
          PERFORM pg_advisory_xact_lock(hashtext('tally_events_partitions'));
          IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                           part, month_start, month_start + interval '1 month');
          END IF;
          RETURN part;
        END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION tally_ensure_events_partition(timestamptz)`);
    await q.query(`DROP FUNCTION tally_add_histograms(integer[], integer[])`);
    await q.query(`DROP AGGREGATE tally_histogram(smallint)`);
    await q.query(`DROP FUNCTION tally_histogram_add(integer[], smallint)`);
    await q.query(`DROP TABLE session_rollups_hourly`);
    await q.query(`DROP TABLE event_histograms_daily`);
    await q.query(`DROP TABLE event_rollups_hourly`);
    await q.query(`DROP TABLE event_name_sessions`);
    await q.query(`DROP TABLE sessions`);
    await q.query(`DROP TABLE event_ids`);
    await q.query(`DROP TABLE events`);
  }
}
