import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { JobQueue } from '../../platform/jobs/job-queue';
import { HISTOGRAM_BUCKETS } from './duration-histogram';

export const ROLLUP_COMPACTION_JOB = 'events.compact-rollups';

/**
 * Folds the ingest's appended rollup deltas into the rollups (migration 0007 says why there are
 * deltas). Each fold is one statement that deletes a bounded set of delta rows and adds exactly
 * those into `event_rollups_hourly` and `event_rollups_daily` (or `session_rollups_hourly`),
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
  INSERT INTO session_rollups_hourly AS r (workspace_id, hour, sessions, duration_sum_ms)
  SELECT workspace_id, hour, sum(sessions), sum(duration_sum_ms) FROM moved GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (workspace_id, hour) DO UPDATE SET
    sessions = r.sessions + EXCLUDED.sessions,
    duration_sum_ms = r.duration_sum_ms + EXCLUDED.duration_sum_ms
)
SELECT count(*)::int AS moved FROM moved`;

export interface RollupCompactionOptions {
  /** Delta rows folded per transaction. */
  batchRows?: number;
  /** Events stored on this instance after which it asks for a fold (besides the minutely one). */
  nudgeAfterEvents?: number;
}

export class RollupCompaction {
  private readonly batchRows: number;
  private readonly nudgeAfterEvents: number;
  private stored = 0;
  private requester: (() => Promise<void>) | null = null;
  private requesting = false;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger | null = null,
    options: RollupCompactionOptions = {},
  ) {
    this.batchRows = options.batchRows ?? 20_000;
    this.nudgeAfterEvents = options.nudgeAfterEvents ?? 20_000;
  }

  /** How a fold is asked for (the job queue's send); until set, only compact() folds. */
  setRequester(requester: () => Promise<void>): void {
    this.requester = requester;
  }

  /**
   * Counts events the ingest stored; past `nudgeAfterEvents` it asks the queue for a fold, so
   * that busy workspaces' deltas stay few between the minutely runs.
   */
  noteStored(events: number): void {
    this.stored += events;
    if (this.stored < this.nudgeAfterEvents || !this.requester || this.requesting) return;
    this.stored = 0;
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
  async compact(signal?: AbortSignal): Promise<{ eventRows: number; sessionRows: number } | null> {
    let eventRows = 0;
    let sessionRows = 0;
    for (;;) {
      if (signal?.aborted) break;
      const step = await this.inLock(async (client) => {
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

  private async inLock<T>(work: (client: PoolClient) => Promise<T>): Promise<T | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_xact_lock(hashtext('tally_rollup_compaction')) AS locked`,
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

/** Folds deltas every minute, and whenever an instance has stored many events since its last ask. */
export async function defineRollupCompactionJob(
  jobs: JobQueue,
  compaction: RollupCompaction,
  logger: Logger,
): Promise<void> {
  jobs.define<Record<string, never>>({
    name: ROLLUP_COMPACTION_JOB,
    // At most one queued and one running at once, however many instances ask.
    policy: 'stately',
    retryLimit: 3,
    retryDelaySeconds: 5,
    handler: async (_data, job) => {
      const folded = await compaction.compact(job.signal);
      if (folded) logger.debug(folded, 'rollup deltas folded');
    },
  });
  compaction.setRequester(() => jobs.send(ROLLUP_COMPACTION_JOB, {}));
  await jobs.schedule(ROLLUP_COMPACTION_JOB, '* * * * *');
}
