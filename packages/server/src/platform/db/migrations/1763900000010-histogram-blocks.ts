import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Duration histograms over blocks of days (modules/events/postgres/tools-usage.ts).
 *
 * Tools & Usage's p95 per name adds up the name's 96-bucket histograms over the range: from the
 * daily rollups, 30 rows per name for 30 days, which with hundreds of names was most of a
 * dashboard request. `event_histogram_blocks` holds each name's histogram over aligned blocks of
 * 2, 4, 8, 16 and 32 days (block starts are multiples of their length in days since 1970-01-01
 * UTC), so whole days are covered by a handful of blocks per name (30 days: at most 8, single days
 * from the daily rollups), at the cost of five more small upserts per folded name and day. The
 * fold keeps it (compaction.ts); only names with durations have rows. Filled from the daily
 * rollups' histograms.
 */
export class HistogramBlocks1763900000010 implements MigrationInterface {
  name = 'HistogramBlocks1763900000010';

  async up(q: QueryRunner): Promise<void> {
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
      SELECT d.workspace_id, s.days, date_bin(make_interval(days => s.days), d.day, timestamptz '1970-01-01 00:00:00+00'),
             d.name, d.type, tally_histogram_from(array_agg((u.i - 1)::smallint), array_agg(u.c))
        FROM event_rollups_daily d
        CROSS JOIN (VALUES (2), (4), (8), (16), (32)) AS s(days)
        CROSS JOIN LATERAL unnest(d.duration_histogram) WITH ORDINALITY AS u(c, i)
       WHERE d.duration_count > 0 AND u.c > 0
       GROUP BY 1, 2, 3, 4, 5`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE event_histogram_blocks`);
  }
}
