import type { MigrationInterface, QueryRunner } from 'typeorm';

const EPOCH = `timestamptz '1970-01-01 00:00:00+00'`;

/**
 * Event rollups over aligned blocks of hours and days (modules/events/postgres/ranges.ts,
 * rollupBlocks).
 *
 * Tools & Usage added up every name's counts from the daily rollups (30 rows per name for 30
 * days) and, for the hours before the range's first midnight and after its last, from the
 * hourly ones (up to 46 rows per name), with the hours' 96-bucket histograms besides: with
 * hundreds of names, most of a dashboard request. `event_rollup_blocks` replaces
 * `event_histogram_blocks` (migration 0010, histograms only, blocks of 2–32 days) with each
 * name's counts (events, errors, duration sum and count, first-use sessions) and histogram over
 * aligned blocks of 4 and 8 hours and of 2, 4, 8, 16 and 32 days (`hours` long, starting a
 * multiple of `hours` after 1970-01-01 UTC; 8 divides 24, so the short blocks stay inside a UTC
 * day). Any 30 days are then at most 15 rows per name (single hours and days from the hourly and
 * daily rollups), every part an index range. The fold keeps it (compaction.ts); every name and
 * block with events has a row. Filled from the hourly rollups (hour blocks) and the daily ones
 * (day blocks); the deltas not folded yet go in when they are folded, as into the others.
 */
export class RollupBlocks1763900000011 implements MigrationInterface {
  name = 'RollupBlocks1763900000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE event_rollup_blocks (
        workspace_id uuid NOT NULL,
        hours smallint NOT NULL,
        start timestamptz NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        events bigint NOT NULL,
        errors bigint NOT NULL,
        duration_sum_ms double precision NOT NULL,
        duration_count bigint NOT NULL,
        duration_histogram integer[] NOT NULL,
        sessions bigint NOT NULL,
        PRIMARY KEY (workspace_id, hours, start, name, type)
      ) WITH (fillfactor = 80, autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_scale_factor = 0.05)`);
    for (const [source, time, lengths] of [
      ['event_rollups_hourly', 'hour', [4, 8]],
      ['event_rollups_daily', 'day', [48, 96, 192, 384, 768]],
    ] as const) {
      const blocks = `CROSS JOIN (VALUES ${lengths.map((n) => `(${n})`).join(', ')}) AS s(hours)`;
      const start = `date_bin(make_interval(hours => s.hours), r.${time}, ${EPOCH})`;
      await q.query(`
        WITH totals AS (
          SELECT r.workspace_id, s.hours, ${start} AS start, r.name, r.type, sum(r.events) AS events,
                 sum(r.errors) AS errors, sum(r.duration_sum_ms) AS duration_sum_ms,
                 sum(r.duration_count) AS duration_count, sum(r.sessions) AS sessions
            FROM ${source} r ${blocks}
           GROUP BY 1, 2, 3, 4, 5
        ),
        histograms AS (
          SELECT r.workspace_id, s.hours, ${start} AS start, r.name, r.type,
                 tally_histogram_from(array_agg((u.i - 1)::smallint), array_agg(u.c)) AS histogram
            FROM ${source} r ${blocks}
            CROSS JOIN LATERAL unnest(r.duration_histogram) WITH ORDINALITY AS u(c, i)
           WHERE r.duration_count > 0 AND u.c > 0
           GROUP BY 1, 2, 3, 4, 5
        )
        INSERT INTO event_rollup_blocks
          (workspace_id, hours, start, name, type, events, errors, duration_sum_ms, duration_count, duration_histogram, sessions)
        SELECT t.workspace_id, t.hours, t.start, t.name, t.type, t.events, t.errors, t.duration_sum_ms, t.duration_count,
               COALESCE(h.histogram, array_fill(0, ARRAY[96])), t.sessions
          FROM totals t LEFT JOIN histograms h USING (workspace_id, hours, start, name, type)`);
    }
    await q.query(`DROP TABLE event_histogram_blocks`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE event_histogram_blocks (
        workspace_id uuid NOT NULL,
        days smallint NOT NULL,
        start timestamptz NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        duration_histogram integer[] NOT NULL,
        PRIMARY KEY (workspace_id, days, start, name, type)
      ) WITH (fillfactor = 80, autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_scale_factor = 0.05)`);
    await q.query(`
      INSERT INTO event_histogram_blocks (workspace_id, days, start, name, type, duration_histogram)
      SELECT workspace_id, hours / 24, start, name, type, duration_histogram
        FROM event_rollup_blocks WHERE hours >= 48 AND duration_count > 0`);
    await q.query(`DROP TABLE event_rollup_blocks`);
  }
}
