import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  type BatchedDeleteOptions,
  type BatchedDeleteResult,
  deleteInBatches,
} from '../../platform/jobs/batched-delete';
import type { JobQueue } from '../../platform/jobs/job-queue';

/**
 * `event_ids` holds the client ids of events sent without a timestamp, so that a resent batch
 * of them counts once (events with a timestamp need no claim: their primary key refuses the
 * copy). A retry comes within minutes or hours, so claims are kept for 30 days, then deleted
 * daily in batches: after that, the same id without a timestamp is taken as a new event.
 */
export const EVENT_IDS_RETENTION_JOB = 'events.expire-client-ids';
export const EVENT_IDS_RETENTION_DAYS = 30;
/** 04:37 UTC daily. */
const EVENT_IDS_RETENTION_CRON = '37 4 * * *';

export function expireEventIds(db: DataSource, options: BatchedDeleteOptions = {}): Promise<BatchedDeleteResult> {
  return deleteInBatches(
    db,
    'event_ids',
    `created_at < now() - make_interval(days => $1)`,
    [EVENT_IDS_RETENTION_DAYS],
    options,
  );
}

export async function defineEventIdsRetention(jobs: JobQueue, db: DataSource, logger: Logger): Promise<void> {
  jobs.define<Record<string, never>>({
    name: EVENT_IDS_RETENTION_JOB,
    retryLimit: 2,
    retryDelaySeconds: 60,
    expireInSeconds: 30 * 60,
    policy: 'stately',
    handler: async (_data, job) => {
      const { deleted, done } = await expireEventIds(db, { signal: job.signal, batchSize: 5000 });
      if (deleted > 0 || !done) logger.info({ deleted, done }, 'expired client event ids');
    },
  });
  await jobs.schedule(EVENT_IDS_RETENTION_JOB, EVENT_IDS_RETENTION_CRON);
}
