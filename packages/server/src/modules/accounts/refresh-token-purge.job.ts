import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  type BatchedDeleteOptions,
  type BatchedDeleteResult,
  deleteInBatches,
} from '../../platform/jobs/batched-delete';
import type { JobQueue } from '../../platform/jobs/job-queue';

/**
 * Expired refresh tokens are deleted an hour by hour, a day after they expired (the day keeps
 * recent rows for looking into a session, and is far longer than any access token of theirs
 * lives), in batches on `refresh_tokens_expires_idx`. Running it twice deletes nothing more.
 */
export const PURGE_REFRESH_TOKENS_JOB = 'accounts.purge-refresh-tokens';

/** Minute 17 of every hour (UTC): away from the top of the hour, where other cron work piles up. */
export const PURGE_REFRESH_TOKENS_CRON = '17 * * * *';

export const EXPIRED_REFRESH_TOKEN_GRACE_SECONDS = 24 * 60 * 60;

export function purgeExpiredRefreshTokens(
  db: DataSource,
  options: BatchedDeleteOptions = {},
): Promise<BatchedDeleteResult> {
  return deleteInBatches(
    db,
    'refresh_tokens',
    `expires_at < now() - make_interval(secs => $1)`,
    [EXPIRED_REFRESH_TOKEN_GRACE_SECONDS],
    options,
  );
}

export async function defineRefreshTokenPurge(jobs: JobQueue, db: DataSource, logger: Logger): Promise<void> {
  jobs.define<Record<string, never>>({
    name: PURGE_REFRESH_TOKENS_JOB,
    retryLimit: 2,
    retryDelaySeconds: 60,
    expireInSeconds: 15 * 60,
    // At most one queued and one running at once, however many instances send it.
    policy: 'stately',
    handler: async (_data, job) => {
      const { deleted, done } = await purgeExpiredRefreshTokens(db, { signal: job.signal });
      if (deleted > 0 || !done) logger.info({ deleted, done }, 'purged expired refresh tokens');
    },
  });
  await jobs.schedule(PURGE_REFRESH_TOKENS_JOB, PURGE_REFRESH_TOKENS_CRON);
}
