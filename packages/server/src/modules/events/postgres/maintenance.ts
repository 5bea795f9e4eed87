import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { MaintenanceJobs } from '../event-store';
import { ROLLUP_COMPACTION_JOB, type RollupCompaction } from './compaction';
import { scheduleIdLedgerExpiry } from '../id-ledger';
import { EVENT_PARTITIONS_JOB, type EventPartitions } from './partitions';

/** 03:17 UTC daily: the coming months' partitions. */
const PARTITIONS_CRON = '17 3 * * *';
/** Every minute: the rollup deltas folded (and whenever an instance has stored many events). */
const COMPACTION_CRON = '* * * * *';

export interface PostgresUpkeep {
  db: DataSource;
  partitions: EventPartitions;
  compaction: RollupCompaction;
  logger: Logger | null;
}

/**
 * The PostgreSQL store's own upkeep, as jobs: the current month's partition and the next ones
 * (now, then daily), folding the ingest's rollup deltas (minutely, and when asked), and expiring
 * the id ledger's claims (daily). Each is `stately`: at most one queued and one running at once,
 * however many instances send it.
 */
export async function registerPostgresMaintenance(jobs: MaintenanceJobs, upkeep: PostgresUpkeep): Promise<void> {
  const { db, partitions, compaction, logger } = upkeep;
  await partitions.ensureAhead(new Date());

  jobs.define<Record<string, never>>({
    name: EVENT_PARTITIONS_JOB,
    policy: 'stately',
    retryLimit: 5,
    retryDelaySeconds: 60,
    handler: async () => {
      await partitions.ensureAhead(new Date());
      logger?.debug('event partitions prepared');
    },
  });
  await jobs.schedule(EVENT_PARTITIONS_JOB, PARTITIONS_CRON);

  jobs.define<Record<string, never>>({
    name: ROLLUP_COMPACTION_JOB,
    policy: 'stately',
    retryLimit: 3,
    retryDelaySeconds: 5,
    handler: async (_data, job) => {
      const folded = await compaction.compact(job.signal);
      if (folded) logger?.debug(folded, 'rollup deltas folded');
    },
  });
  compaction.setRequester(() => jobs.send(ROLLUP_COMPACTION_JOB, {}));
  await jobs.schedule(ROLLUP_COMPACTION_JOB, COMPACTION_CRON);

  await scheduleIdLedgerExpiry(jobs, db, logger);
}
