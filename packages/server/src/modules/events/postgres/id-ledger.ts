import type { DataSource } from 'typeorm';
import {
  type BatchedDeleteOptions,
  type BatchedDeleteResult,
  deleteInBatches,
} from '../../../platform/jobs/batched-delete';

/**
 * `event_ids` holds the client ids of events sent without a timestamp, so that a resent batch
 * of them counts once (events with a timestamp need no claim: their primary key refuses the
 * copy). A retry comes within minutes or hours, so claims are kept for 30 days, then deleted
 * daily in batches: after that, the same id without a timestamp is taken as a new event.
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
