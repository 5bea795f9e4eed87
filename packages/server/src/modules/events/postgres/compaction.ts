import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { HISTOGRAM_BUCKETS } from '../duration-histogram';
import { ROLLUP_BLOCK_HOURS } from './ranges';

const BLOCK_HOURS = ROLLUP_BLOCK_HOURS.map((h) => `(${h})`).join(', ');

export const ROLLUP_COMPACTION_JOB = 'events.compact-rollups';

/**
 * Folds the ingest's appended rollup deltas into the rollups (migration 0007 says why there are
 * deltas). Each fold is one statement that deletes a bounded set of delta rows and adds exactly
 * those into `event_rollups_hourly`, `event_rollups_daily` and `event_rollup_blocks` (migration
 * 0011: the same counts and histograms over aligned blocks of 4 hours to 32 days) (or
 * `session_rollups_hourly`, which
 * since migration 0009 holds each hour's events and errors beside its sessions),
 * so a query — which reads the rollups plus the remaining deltas in one snapshot — gives the same
 * answer before, during and after. An advisory lock keeps folds on one instance at a time.
 */
const FOLD_EVENTS_SQL = `
WITH moved AS (
  DELETE FROM event_rollup_deltas
   WHERE ctid = ANY(ARRAY(SELECT ctid FROM event_rollup_deltas LIMIT $1))
  RETURNING *
),
expanded AS (
  SELECT m.workspace_id, m.hour, m.name, m.type, u.bucket, u.n
    FROM moved m CROSS JOIN LATERAL unnest(m.buckets, m.bucket_counts) AS u(bucket, n)
),
histograms AS (
  SELECT workspace_id, hour, name, type, tally_histogram_from(array_agg(bucket), array_agg(n)) AS histogram
    FROM expanded GROUP BY 1, 2, 3, 4
),
totals AS (
  SELECT workspace_id, hour, name, type, sum(events) AS events, sum(errors) AS errors,
         sum(duration_sum_ms) AS duration_sum, sum(duration_count) AS duration_count, sum(sessions) AS sessions
    FROM moved GROUP BY 1, 2, 3, 4
),
hourly AS (
  INSERT INTO event_rollups_hourly AS r
    (workspace_id, hour, name, type, events, errors, duration_sum_ms, duration_count, duration_histogram, sessions)
  SELECT t.workspace_id, t.hour, t.name, t.type, t.events, t.errors, t.duration_sum, t.duration_count,
         COALESCE(h.histogram, array_fill(0, ARRAY[${HISTOGRAM_BUCKETS}])), t.sessions
    FROM totals t LEFT JOIN histograms h USING (workspace_id, hour, name, type)
   ORDER BY 1, 2, 3, 4
  ON CONFLICT (workspace_id, hour, name, type) DO UPDATE SET
    events = r.events + EXCLUDED.events,
    errors = r.errors + EXCLUDED.errors,
    duration_sum_ms = r.duration_sum_ms + EXCLUDED.duration_sum_ms,
    duration_count = r.duration_count + EXCLUDED.duration_count,
    duration_histogram = CASE WHEN EXCLUDED.duration_count = 0 THEN r.duration_histogram
                              ELSE tally_add_histograms(r.duration_histogram, EXCLUDED.duration_histogram) END,
    sessions = r.sessions + EXCLUDED.sessions
),
daily_histograms AS (
  SELECT workspace_id, date_trunc('day', hour, 'UTC') AS day, name, type,
         tally_histogram_from(array_agg(bucket), array_agg(n)) AS histogram
    FROM expanded GROUP BY 1, 2, 3, 4
),
daily_totals AS (
  SELECT workspace_id, date_trunc('day', hour, 'UTC') AS day, name, type, sum(events) AS events,
         sum(errors) AS errors, sum(duration_sum) AS duration_sum, sum(duration_count) AS duration_count,
         sum(sessions) AS sessions
    FROM totals GROUP BY 1, 2, 3, 4
),
block_totals AS (
  SELECT t.workspace_id, s.hours, date_bin(make_interval(hours => s.hours), t.hour, timestamptz '1970-01-01 00:00:00+00') AS start,
         t.name, t.type, sum(t.events) AS events, sum(t.errors) AS errors, sum(t.duration_sum) AS duration_sum,
         sum(t.duration_count) AS duration_count, sum(t.sessions) AS sessions
    FROM totals t CROSS JOIN (VALUES ${BLOCK_HOURS}) AS s(hours)
   GROUP BY 1, 2, 3, 4, 5
),
-- Summed per bucket first (a hash aggregate of sums), so that the arrays are built from far fewer
-- rows: every length's blocks of a batch of deltas share most of their buckets.
block_buckets AS (
  SELECT e.workspace_id, s.hours, date_bin(make_interval(hours => s.hours), e.hour, timestamptz '1970-01-01 00:00:00+00') AS start,
         e.name, e.type, e.bucket, sum(e.n)::integer AS n
    FROM expanded e CROSS JOIN (VALUES ${BLOCK_HOURS}) AS s(hours)
   GROUP BY 1, 2, 3, 4, 5, 6
),
block_histograms AS (
  SELECT workspace_id, hours, start, name, type, tally_histogram_from(array_agg(bucket), array_agg(n)) AS histogram
    FROM block_buckets GROUP BY 1, 2, 3, 4, 5
),
blocks AS (
  INSERT INTO event_rollup_blocks AS b
    (workspace_id, hours, start, name, type, events, errors, duration_sum_ms, duration_count, duration_histogram, sessions)
  SELECT t.workspace_id, t.hours, t.start, t.name, t.type, t.events, t.errors, t.duration_sum, t.duration_count,
         COALESCE(h.histogram, array_fill(0, ARRAY[${HISTOGRAM_BUCKETS}])), t.sessions
    FROM block_totals t LEFT JOIN block_histograms h USING (workspace_id, hours, start, name, type)
   ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (workspace_id, hours, start, name, type) DO UPDATE SET
    events = b.events + EXCLUDED.events,
    errors = b.errors + EXCLUDED.errors,
    duration_sum_ms = b.duration_sum_ms + EXCLUDED.duration_sum_ms,
    duration_count = b.duration_count + EXCLUDED.duration_count,
    duration_histogram = CASE WHEN EXCLUDED.duration_count = 0 THEN b.duration_histogram
                              ELSE tally_add_histograms(b.duration_histogram, EXCLUDED.duration_histogram) END,
    sessions = b.sessions + EXCLUDED.sessions
),
daily AS (
  INSERT INTO event_rollups_daily AS d
    (workspace_id, day, name, type, events, errors, duration_sum_ms, duration_count, duration_histogram, sessions)
  SELECT t.workspace_id, t.day, t.name, t.type, t.events, t.errors, t.duration_sum, t.duration_count,
         COALESCE(h.histogram, array_fill(0, ARRAY[${HISTOGRAM_BUCKETS}])), t.sessions
    FROM daily_totals t LEFT JOIN daily_histograms h USING (workspace_id, day, name, type)
   ORDER BY 1, 2, 3, 4
  ON CONFLICT (workspace_id, day, name, type) DO UPDATE SET
    events = d.events + EXCLUDED.events,
    errors = d.errors + EXCLUDED.errors,
    duration_sum_ms = d.duration_sum_ms + EXCLUDED.duration_sum_ms,
    duration_count = d.duration_count + EXCLUDED.duration_count,
    duration_histogram = CASE WHEN EXCLUDED.duration_count = 0 THEN d.duration_histogram
                              ELSE tally_add_histograms(d.duration_histogram, EXCLUDED.duration_histogram) END,
    sessions = d.sessions + EXCLUDED.sessions
)
SELECT count(*)::int AS moved FROM moved`;

const FOLD_SESSIONS_SQL = `
WITH moved AS (
  DELETE FROM session_rollup_deltas
   WHERE ctid = ANY(ARRAY(SELECT ctid FROM session_rollup_deltas LIMIT $1))
  RETURNING *
),
folded AS (
  INSERT INTO session_rollups_hourly AS r (workspace_id, hour, sessions, duration_sum_ms, events, errors)
  SELECT workspace_id, hour, sum(sessions), sum(duration_sum_ms), sum(events), sum(errors)
    FROM moved GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (workspace_id, hour) DO UPDATE SET
    sessions = r.sessions + EXCLUDED.sessions,
    duration_sum_ms = r.duration_sum_ms + EXCLUDED.duration_sum_ms,
    events = r.events + EXCLUDED.events,
    errors = r.errors + EXCLUDED.errors
)
SELECT count(*)::int AS moved FROM moved`;

export interface RollupCompactionOptions {
  /** Delta rows folded per transaction. */
  batchRows?: number;
  /** Delta rows appended on this instance after which it asks the job queue for a fold. */
  nudgeAfterRows?: number;
  /**
   * Delta rows appended on this instance since its last fold after which a batch is answered only
   * once they are folded: the bound on what a query adds up beyond the rollups.
   */
  holdAfterRows?: number;
}

/**
 * Every query adds the deltas not folded yet to the rollups, so their number is what a fresh
 * dashboard costs (a million deltas after a burst cost a second a request). Two things keep it
 * small, both counted in delta rows as the ingest's statement reports them:
 *
 * - Past `nudgeAfterRows` (5,000) this instance asks the job queue for a fold (besides the
 *   minutely one); the queue wakes a worker at once, so deltas are folded seconds after they
 *   arrive, in big statements (20,000 rows each), which cost far less per row than small ones.
 * - Past `holdAfterRows` (50,000: the fold is not keeping up, or the queue is stopped), the
 *   batches that arrive are answered only once this instance has folded everything (waiting out
 *   a fold running elsewhere, then folding what is left). Ingest slows to the fold's pace instead
 *   of the deltas piling up, so a query never sums more than about `holdAfterRows` per instance
 *   (plus the batches in flight) however fast events come.
 */
export class RollupCompaction {
  private readonly batchRows: number;
  private readonly nudgeAfterRows: number;
  private readonly holdAfterRows: number;
  /** Delta rows appended since this instance's last fold started. */
  private pending = 0;
  /** Since the last nudge. */
  private sinceNudge = 0;
  private requester: (() => Promise<void>) | null = null;
  private requesting = false;
  private catchingUp: Promise<unknown> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger | null = null,
    options: RollupCompactionOptions = {},
  ) {
    this.batchRows = options.batchRows ?? 20_000;
    this.nudgeAfterRows = options.nudgeAfterRows ?? 5_000;
    this.holdAfterRows = options.holdAfterRows ?? 50_000;
  }

  /** How a fold is asked for (the job queue's send); until set, only compact() folds. */
  setRequester(requester: () => Promise<void>): void {
    this.requester = requester;
  }

  /**
   * Counts the delta rows a batch appended (committed already): past `nudgeAfterRows` asks the
   * queue for a fold; past `holdAfterRows` resolves only once they are folded.
   */
  async noteDeltas(rows: number): Promise<void> {
    this.pending += rows;
    this.sinceNudge += rows;
    if (this.pending >= this.holdAfterRows) {
      // The batch is stored whatever happens here: a failed fold is logged, never the batch's error.
      this.catchingUp ??= this.compact(undefined, true)
        .catch((error: unknown) => this.logger?.warn({ err: error }, 'could not fold the rollup deltas'))
        .finally(() => {
          this.catchingUp = null;
        });
      await this.catchingUp;
      return;
    }
    if (this.sinceNudge < this.nudgeAfterRows || !this.requester || this.requesting) return;
    this.sinceNudge = 0;
    this.requesting = true;
    this.requester()
      .catch((error: unknown) => this.logger?.warn({ err: error }, 'could not ask for a rollup fold'))
      .finally(() => {
        this.requesting = false;
      });
  }

  /**
   * Folds every delta there is now; returns the rows folded, or null when another instance is
   * folding at the moment (it will fold these too).
   */
  async compact(
    signal?: AbortSignal,
    /** Wait for another instance's fold instead of leaving the deltas to it (settle()). */
    wait = false,
  ): Promise<{ eventRows: number; sessionRows: number } | null> {
    let eventRows = 0;
    let sessionRows = 0;
    for (;;) {
      if (signal?.aborted) break;
      const step = await this.inLock(wait, async (client) => {
        // What this instance appended so far is committed: this fold takes it in (it runs until
        // a statement finds fewer rows than it may take).
        this.pending = 0;
        const events = await client.query<{ moved: number }>(FOLD_EVENTS_SQL, [this.batchRows]);
        const sessions = await client.query<{ moved: number }>(FOLD_SESSIONS_SQL, [this.batchRows]);
        return { events: events.rows[0]?.moved ?? 0, sessions: sessions.rows[0]?.moved ?? 0 };
      });
      if (!step) return eventRows + sessionRows === 0 ? null : { eventRows, sessionRows };
      eventRows += step.events;
      sessionRows += step.sessions;
      if (step.events < this.batchRows && step.sessions < this.batchRows) break;
    }
    // The folded rows are dead now: without a vacuum, every query's index scan of the (now
    // nearly empty) logs would still visit them. Small tables, so this is quick; it never
    // blocks the ingest's inserts.
    if (eventRows + sessionRows > 0) {
      await this.pool.query('VACUUM (SKIP_LOCKED) event_rollup_deltas, session_rollup_deltas');
    }
    return { eventRows, sessionRows };
  }

  private async inLock<T>(wait: boolean, work: (client: PoolClient) => Promise<T>): Promise<T | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ locked: boolean }>(
        wait
          ? `SELECT true AS locked FROM (SELECT pg_advisory_xact_lock(hashtext('tally_rollup_compaction'))) AS l`
          : `SELECT pg_try_advisory_xact_lock(hashtext('tally_rollup_compaction')) AS locked`,
      );
      if (!rows[0]?.locked) {
        await client.query('ROLLBACK');
        return null;
      }
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
