import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { type BatchedDeleteOptions, type BatchedDeleteResult, deleteInBatches } from '../jobs/batched-delete';
import type { JobQueue } from '../jobs/job-queue';

/**
 * Rate-limit counters in `rate_limits` (every limit's: RateLimit's, the login limiter's and
 * BatchedRateLimit's rows share the table) are deleted an hour after their window expired, every
 * five minutes — rate-limiter-flexible's own numbers. The library would run that delete on a
 * timer of each counter's (a dozen per instance, each sending the same DELETE), which nothing
 * can stop: after a Tally closed, those timers kept firing at its ended pool and kept it in
 * memory. It is a purge like the others, on the durable queue, once for all instances.
 */
export const PURGE_RATE_LIMITS_JOB = 'platform.purge-rate-limits';

/** Every five minutes, at minute 3, 8, 13, … (away from the top of the hour). */
export const PURGE_RATE_LIMITS_CRON = '3-59/5 * * * *';

/** How long after its window expired a counter is kept. */
export const EXPIRED_RATE_LIMIT_GRACE_MS = 60 * 60_000;

export function purgeExpiredRateLimits(
  db: DataSource,
  options: BatchedDeleteOptions = {},
  now: number = Date.now(),
): Promise<BatchedDeleteResult> {
  return deleteInBatches(db, 'rate_limits', 'expire < $1', [now - EXPIRED_RATE_LIMIT_GRACE_MS], options);
}

export async function defineRateLimitPurge(jobs: JobQueue, db: DataSource, logger: Logger): Promise<void> {
  jobs.define<Record<string, never>>({
    name: PURGE_RATE_LIMITS_JOB,
    retryLimit: 2,
    retryDelaySeconds: 60,
    expireInSeconds: 5 * 60,
    // At most one queued and one running at once, however many instances send it.
    policy: 'stately',
    handler: async (_data, job) => {
      const { deleted, done } = await purgeExpiredRateLimits(db, { signal: job.signal });
      if (deleted > 0 || !done) logger.debug({ deleted, done }, 'purged expired rate limit counters');
    },
  });
  await jobs.schedule(PURGE_RATE_LIMITS_JOB, PURGE_RATE_LIMITS_CRON);
}
