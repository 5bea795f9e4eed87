import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { JobQueue } from '../../platform/jobs/job-queue';
import type { EventStore } from './event-store';

/** Months of partitions kept ready beyond the current one. */
export const MONTHS_AHEAD = 3;

/** The job that creates the coming months' partitions (also run at every start). */
export const EVENT_PARTITIONS_JOB = 'events.partitions';

function isDuplicateTable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '42P07';
}

/** `YYYY-MM` of a time's month in UTC: the key of its partition. */
export function monthKey(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/**
 * The monthly partitions of `events`. Which months exist is remembered per instance, so an
 * insert into a known month costs nothing extra; a batch with a month not seen yet (an event far
 * in the past or future, or the first of a new month before the job ran) creates it first, in
 * its own short transaction, before the insert: an insert never fails for want of a partition.
 * Creation is idempotent and serialised across instances (`tally_ensure_events_partition`).
 */
export class EventPartitions {
  private readonly known = new Set<string>();
  /** The most recently confirmed month as [start, end) in ms: most events of a batch fall in it. */
  private recent: [number, number] = [0, 0];

  constructor(private readonly pool: Pool) {}

  /** Makes sure every month of `times` has its partition. */
  async ensureFor(times: Iterable<Date>): Promise<void> {
    const missing = new Map<string, Date>();
    for (const at of times) {
      const t = at.getTime();
      if (t >= this.recent[0] && t < this.recent[1]) continue;
      const key = monthKey(at);
      if (this.known.has(key)) this.remember(at);
      else if (!missing.has(key)) missing.set(key, at);
    }
    for (const [key, at] of missing) {
      try {
        await this.pool.query(`SELECT tally_ensure_events_partition($1::timestamptz)`, [at.toISOString()]);
      } catch (error) {
        // Another instance created it while this one waited for the lock (the function's second
        // look can miss it: catalog caches are refreshed at the next statement, not by an
        // advisory lock). It exists, which is all this wanted.
        if (!isDuplicateTable(error)) throw error;
      }
      this.known.add(key);
      this.remember(at);
    }
  }

  /** Remembers the month of `at` as the one to check first (its partition is known to exist). */
  private remember(at: Date): void {
    const start = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
    this.recent = [start, Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)];
  }

  /** The current month's partition and the next `MONTHS_AHEAD` ones. */
  async ensureAhead(now: Date): Promise<void> {
    const months: Date[] = [];
    for (let i = 0; i <= MONTHS_AHEAD; i += 1) {
      months.push(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1)));
    }
    await this.ensureFor(months);
  }

  /** The partitions that exist, by month key (for tests and operators). */
  async list(): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
    );
    return rows.map((row) => row.name);
  }
}

/** Schedules the partition job daily; each run prepares the coming months. */
export async function defineEventPartitionsJob(jobs: JobQueue, store: EventStore, logger: Logger): Promise<void> {
  jobs.define<Record<string, never>>({
    name: EVENT_PARTITIONS_JOB,
    // At most one queued and one running at once, however many instances send it.
    policy: 'stately',
    retryLimit: 5,
    retryDelaySeconds: 60,
    handler: async () => {
      await store.prepareAhead(new Date());
      logger.debug('event partitions prepared');
    },
  });
  await jobs.schedule(EVENT_PARTITIONS_JOB, '17 3 * * *');
}
