import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  type BatchedDeleteOptions,
  type BatchedDeleteResult,
  deleteInBatches,
} from '../../platform/jobs/batched-delete';
import type { MaintenanceJobs } from './event-store';

/**
 * The id ledger, in PostgreSQL whatever the event store: `event_ids` holds claims of client ids,
 * so that a resent batch counts once. The PostgreSQL store claims ids sent without a timestamp
 * (with one, its events' primary key refuses the copy); the ClickHouse store claims every client
 * id, with its time when sent (clickhouse/ingest.ts). A retry comes within minutes or hours, so
 * claims are kept for 30 days, then deleted daily in batches: after that, the same id without a
 * timestamp is taken as a new event (a copy with its time is still found among the events).
 */
export const EVENT_IDS_RETENTION_JOB = 'events.expire-client-ids';
export const EVENT_IDS_RETENTION_DAYS = 30;

export function expireEventIds(db: DataSource, options: BatchedDeleteOptions = {}): Promise<BatchedDeleteResult> {
  return deleteInBatches(
    db,
    'event_ids',
    `created_at < now() - make_interval(days => $1)`,
    [EVENT_IDS_RETENTION_DAYS],
    options,
  );
}

/** 04:37 UTC daily: expired claims of the id ledger. */
const ID_RETENTION_CRON = '37 4 * * *';

/** The ledger's expiry as a daily job, for whichever store claims ids. */
export async function scheduleIdLedgerExpiry(
  jobs: MaintenanceJobs,
  db: DataSource,
  logger: Logger | null,
): Promise<void> {
  jobs.define<Record<string, never>>({
    name: EVENT_IDS_RETENTION_JOB,
    retryLimit: 2,
    retryDelaySeconds: 60,
    expireInSeconds: 30 * 60,
    policy: 'stately',
    handler: async (_data, job) => {
      const { deleted, done } = await expireEventIds(db, { signal: job.signal, batchSize: 5000 });
      if (deleted > 0 || !done) logger?.info({ deleted, done }, 'expired client event ids');
    },
  });
  await jobs.schedule(EVENT_IDS_RETENTION_JOB, ID_RETENTION_CRON);
}
