import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Workspace totals per hour (modules/events/postgres/overview.ts).
 *
 * Overview's series and totals summed the per-name rollups: names × days (and names × hours at
 * the ragged ends) per request, which grows with every tool a product adds. The per-hour session
 * rollup (one row per workspace and hour, no name) now also counts the hour's events and errors,
 * so an unfiltered Overview reads one row per hour whatever the number of names. The ingest
 * appends them to `session_rollup_deltas` beside the sessions; the fold adds them up.
 *
 * The rollup tables also get room on their pages and fresher statistics (below).
 *
 * Existing data: the hourly totals come from the per-name hourly rollups, which hold every folded
 * event (the daily ones are a copy by day), and the deltas not folded yet get one session delta
 * per workspace and hour carrying their events and errors (and no sessions), which the next fold
 * adds in like any other.
 */
export class HourTotals1763900000009 implements MigrationInterface {
  name = 'HourTotals1763900000009';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['session_rollups_hourly', 'session_rollup_deltas']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN events bigint NOT NULL DEFAULT 0,
                       ADD COLUMN errors bigint NOT NULL DEFAULT 0`);
    }
    await q.query(`
      INSERT INTO session_rollups_hourly AS r (workspace_id, hour, sessions, duration_sum_ms, events, errors)
      SELECT workspace_id, hour, 0, 0, sum(events), sum(errors) FROM event_rollups_hourly GROUP BY 1, 2
      ON CONFLICT (workspace_id, hour) DO UPDATE SET events = EXCLUDED.events, errors = EXCLUDED.errors`);
    // The folds update rollup rows in place again and again while events arrive: room on each
    // page keeps those updates HOT (no new index entry, the old version pruned on the page), and
    // the statistics are renewed after 2 % new rows rather than 10 %, so that the plans after an
    // import know the rows it made.
    for (const table of ['event_rollups_hourly', 'event_rollups_daily', 'session_rollups_hourly']) {
      await q.query(`ALTER TABLE ${table} SET (fillfactor = 80, autovacuum_analyze_scale_factor = 0.02,
                       autovacuum_vacuum_scale_factor = 0.05)`);
    }
    await q.query(`
      INSERT INTO session_rollup_deltas (workspace_id, hour, sessions, duration_sum_ms, events, errors)
      SELECT workspace_id, hour, 0, 0, sum(events), sum(errors) FROM event_rollup_deltas GROUP BY 1, 2
      HAVING sum(events) <> 0 OR sum(errors) <> 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['event_rollups_hourly', 'event_rollups_daily', 'session_rollups_hourly']) {
      await q.query(`ALTER TABLE ${table} RESET (fillfactor, autovacuum_analyze_scale_factor,
                       autovacuum_vacuum_scale_factor)`);
    }
    for (const table of ['session_rollups_hourly', 'session_rollup_deltas']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN events, DROP COLUMN errors`);
    }
  }
}
